"""The import size limit: a million purchase rows fit, a 200 MB file is refused clearly, and
the limit is set from the environment (``TIERCARD_IMPORT_MAX_MB``)."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from tests.imports.core_support import store
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.imports.models import ImportBatch
from tiercard.imports.reading import DEFAULT_MAX_BYTES, ImportFileError, check_size

__all__ = ["store"]

BENCH_PURCHASES = 55 * 2**20  # the 1,000,000-row purchase CSV `tiercard bench import` writes
TOO_LARGE = 200 * 10**6


def test_the_default_takes_a_million_purchase_rows_and_refuses_200_mb() -> None:
    assert settings.TIERCARD_IMPORT_MAX_BYTES == DEFAULT_MAX_BYTES == 100 * 2**20
    check_size(BENCH_PURCHASES)  # accepted: no exception
    with translation.override("en"), pytest.raises(ImportFileError) as caught:
        check_size(TOO_LARGE)
    assert caught.value.code == "import_too_large"
    assert str(caught.value.message) == (
        "The file is 190.7 MB; the limit is 100 MB. Split it into smaller files."
    )
    with translation.override("zh-hans"), pytest.raises(ImportFileError) as caught:
        check_size(TOO_LARGE)
    assert str(caught.value.message) == "文件大小为 190.7 MB，上限为 100 MB。请拆分为较小的文件。"


def test_the_environment_sets_the_limit() -> None:
    """``TIERCARD_IMPORT_MAX_MB`` read by the settings module, in a fresh process."""
    code = "from django.conf import settings; print(settings.TIERCARD_IMPORT_MAX_BYTES)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tiercard.settings"}
    for given, expected in (("250", 250 * 2**20), (None, 100 * 2**20)):
        if given is None:
            env.pop("TIERCARD_IMPORT_MAX_MB", None)
        else:
            env["TIERCARD_IMPORT_MAX_MB"] = given
        done = subprocess.run(  # noqa: S603 (our interpreter, our code)
            [sys.executable, "-c", "import django; django.setup(); " + code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert int(done.stdout.strip()) == expected


def test_the_cli_refuses_a_200_mb_file_before_reading_it(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    """A sparse 200 MB file: refused on its size alone, nothing stored or audited."""
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(TOO_LARGE)
    audit = AuditEvent.objects.count()
    translation.activate("en")
    with pytest.raises(CommandError, match="import_too_large") as caught:
        call_command(
            "import", str(path), "--kind", "purchases", "--as", "mgr_east", stdout=StringIO()
        )
    assert "the limit is 100 MB" in str(caught.value)
    assert ImportBatch.objects.count() == 0 and AuditEvent.objects.count() == audit
    assert not store.exists() or not any(store.iterdir())
