"""Helpers for the import service tests: files written on the fly, one-call imports."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tiercard.accounts.models import User
from tiercard.imports.models import ImportBatch, ImportProblem
from tiercard.imports.services import import_check, import_commit, import_configure, import_upload


@pytest.fixture
def store(settings: Any, tmp_path: Path) -> Path:
    """Uploaded files go to a folder of the test's own."""
    folder = tmp_path / "store"
    settings.TIERCARD_IMPORT_DIR = folder
    return folder


def write_csv(
    folder: Path,
    rows: Sequence[Sequence[Any]],
    *,
    name: str = "data.csv",
    encoding: str = "utf-8-sig",
) -> Path:
    path = folder / name
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


def write_xlsx(folder: Path, rows: Sequence[Sequence[Any]], *, name: str = "data.xlsx") -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    for row in rows:
        sheet.append(list(row))
    path = folder / name
    book.save(path)
    return path


def upload(
    actor: User,
    kind: str,
    path: Path,
    *,
    mode: str = "upsert",
    key: str = "phone",
    mapping: dict[int, str] | None = None,
) -> ImportBatch:
    batch = import_upload(actor=actor, kind=kind, path=path, filename=path.name)
    return import_configure(
        actor=actor,
        batch_id=batch.pk,
        mapping=mapping if mapping is not None else batch.field_of_column(),
        mode=mode,
        match_key=key,
    )


def check(actor: User, kind: str, path: Path, **options: Any) -> ImportBatch:
    batch = upload(actor, kind, path, **options)
    return import_check(actor=actor, batch_id=batch.pk)


def imported(
    actor: User, kind: str, path: Path, *, skip_invalid: bool = False, **options: Any
) -> ImportBatch:
    """Upload, configure, check and commit ``path``; the batch as it ends."""
    batch = check(actor, kind, path, **options)
    return import_commit(actor=actor, batch_id=batch.pk, skip_invalid=skip_invalid)


def counts(batch: ImportBatch) -> dict[str, int]:
    return {
        "rows": batch.rows_total,
        "new": batch.new_count,
        "updated": batch.updated_count,
        "unchanged": batch.unchanged_count,
        "invalid": batch.invalid_count,
    }


def problems(batch: ImportBatch, *, severity: str = "error") -> list[tuple[int, str, str]]:
    """(row, column, code) of the batch's problems."""
    return [
        (p.row_number, p.column, p.code)
        for p in ImportProblem.objects.filter(batch=batch, severity=severity).order_by(
            "row_number", "id"
        )
    ]
