"""``tiercard import`` and ``tiercard import undo``: dry run, refusal, commit, undo."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from tests.imports.core_support import write_csv
from tests.imports.interface_support import (
    INTERACTIONS,
    PURCHASES,
    assert_good_rows_written,
    store,
)
from tiercard.accounts.models import User
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.imports.models import ImportBatch, ImportStatus

__all__ = ["store"]


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_dry_run_then_import_then_undo(users: dict[str, User], store: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [["姓名", "手机号", "城市"], ["张伟", "13812340001", "上海"]])
    text = run("import", str(path), "--kind", "customers", "--as", "mgr_east", "--dry-run")
    assert "column 手机号 → phones" in text and "new 1" in text and "dry run" in text
    assert Customer.objects.count() == 0
    text = run("import", str(path), "--kind", "customers", "--as", "mgr_east")
    assert "committed: rows 1: new 1" in text
    batch = ImportBatch.objects.get(status=ImportStatus.COMMITTED)
    assert f"tiercard import_undo {batch.pk}" in text
    text = run("import_undo", str(batch.pk), "--as", "mgr_east")
    assert "undone; 0 conflicts" in text
    assert Customer.objects.get().status == CustomerStatus.ARCHIVED


def test_invalid_rows_refuse_the_file_unless_skipped(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [["姓名", "手机"], ["张伟", "13812340001"], ["坏", "12"]])
    with pytest.raises(CommandError, match="1 invalid rows: nothing was imported"):
        run("import", str(path), "--kind", "customers", "--as", "rep_east1")
    assert Customer.objects.count() == 0
    text = run("import", str(path), "--kind", "customers", "--as", "rep_east1", "--skip-invalid")
    assert "error row 3, 手机" in text and "[bad_phone]" in text
    assert list(Customer.objects.values_list("name", flat=True)) == ["张伟"]


def test_forbidden_role_and_bad_file_are_clear_errors(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [["姓名", "手机"], ["张伟", "13812340001"]])
    with pytest.raises(CommandError, match="permission_denied"):
        run("import", str(path), "--kind", "customers", "--as", "marketing")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="import_empty"):
        run("import", str(empty), "--kind", "customers", "--as", "admin")
    assert ImportBatch.objects.count() == 0 and Customer.objects.count() == 0


def test_the_console_script_reaches_import_and_import_undo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tiercard.cli import main

    for argv in (["import", "--help"], ["import", "undo", "--help"]):
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "--skip-invalid" in out and "batch_id" in out


def test_a_saved_profile_maps_the_columns(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    from tiercard.imports.models import MappingProfile

    MappingProfile.objects.create(
        owner=users["admin"],
        kind="customers",
        name="门店",
        mapping={"会员": "name", "电话号": "phones"},
    )
    path = write_csv(tmp_path, [["会员", "电话号"], ["张伟", "13812340001"]])
    with pytest.raises(CommandError, match="No mapping profile named"):
        run("import", str(path), "--kind", "customers", "--as", "admin", "--profile", "无")
    assert not ImportBatch.objects.exists()
    text = run("import", str(path), "--kind", "customers", "--as", "admin", "--profile", "门店")
    assert "column 会员 → name" in text and "new 1" in text
    assert Customer.objects.get().primary_phone == "+8613812340001"


@pytest.mark.parametrize(
    ("kind", "rows", "bad"),
    [
        ("purchases", PURCHASES, "error row 4, 实付金额: The amount must not be negative."),
        ("interactions", INTERACTIONS, "error row 4, 方式: “飞鸽” is not one of the choices."),
    ],
)
def test_purchases_and_interactions_end_to_end(
    users: dict[str, User],
    book: dict[str, Customer],
    store: Path,
    tmp_path: Path,
    kind: str,
    rows: list[tuple[str, ...]],
    bad: str,
) -> None:
    from tiercard.interactions.models import Interaction
    from tiercard.sales.models import Purchase

    path = write_csv(tmp_path, rows)
    text = run("import", str(path), "--kind", kind, "--as", "rep_east1", "--dry-run")
    assert "check: rows 3: new 2, updated 0, unchanged 0, invalid 1" in text and bad in text
    with pytest.raises(CommandError, match="1 invalid rows: nothing was imported"):
        run("import", str(path), "--kind", kind, "--as", "rep_east1")
    assert not Purchase.objects.exists() and not Interaction.objects.exists()
    text = run("import", str(path), "--kind", kind, "--as", "rep_east1", "--skip-invalid")
    assert "committed: rows 3: new 2, updated 0, unchanged 0, invalid 1" in text
    assert_good_rows_written(kind, book)
