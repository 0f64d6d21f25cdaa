"""Running a benchmark command in a test: its output, its JSON line, the database untouched."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command


def run_bench(command: str, *args: str) -> tuple[str, dict]:
    """Run ``command --json`` with ``args``; the text printed and the last line's JSON.

    Fails when the configured SQLite database changed: a benchmark works only on its scratch
    databases.
    """
    configured = Path(settings.DATABASES["default"]["NAME"])
    before = configured.stat().st_mtime if configured.exists() else None
    out = StringIO()
    call_command(command, *args, "--json", stdout=out)
    after = configured.stat().st_mtime if configured.exists() else None
    assert before == after, "the benchmark must never touch the configured database"
    text = out.getvalue()
    return text, json.loads(text.strip().splitlines()[-1])
