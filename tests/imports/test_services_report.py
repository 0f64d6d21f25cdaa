"""The error report and the readers: rejected rows with reasons, scoped batches, audit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import load_workbook

from tests.imports.core_support import check, store, write_csv
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import NotFound
from tiercard.imports.report import error_report
from tiercard.imports.selectors import import_batch_get, import_batches, import_problems

__all__ = ["store"]


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


def test_error_report_lists_rejected_rows_with_reasons(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        [
            ["姓名", "手机", "备注"],
            ["张伟", "13812340001", "ok"],
            ['=HYPERLINK("x")', "12", "bad"],
            ["李娜", "13812340003", ""],
            ["", "13812340004", "no name"],
        ],
    )
    batch = check(users["rep_east1"], "customers", path)
    report = error_report(viewer=users["rep_east1"], batch_id=batch.pk)
    assert report.filename == f"import-{batch.pk}-errors.xlsx"
    sheet = load_workbook(io.BytesIO(b"".join(report.chunks))).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Row", "Reasons", "姓名", "手机", "备注"]
    assert [r[0] for r in rows[1:]] == [3, 5]
    assert "手机" in rows[1][1] and rows[1][2] == '\'=HYPERLINK("x")'
    assert (
        AuditEvent.objects.filter(action="export", object_type="imports.importbatch").count() == 1
    )


def test_batches_and_problems_are_scoped(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [["姓名", "手机"], ["a", "1"], ["b", "2"], ["c", "3"]])
    batch = check(users["rep_east1"], "customers", path)
    assert list(import_batches(viewer=users["rep_east1"])) == [batch]
    assert list(import_batches(viewer=users["mgr_east"])) == [batch]
    assert list(import_batches(viewer=users["admin"])) == [batch]
    for outsider in ("rep_east2", "mgr_south", "marketing"):
        assert not import_batches(viewer=users[outsider]).exists()
        with pytest.raises(NotFound):
            import_batch_get(viewer=users[outsider], batch_id=batch.pk)
        with pytest.raises(NotFound):
            error_report(viewer=users[outsider], batch_id=batch.pk)
    first = import_problems(viewer=users["rep_east1"], batch_id=batch.pk, limit=2)
    rest = import_problems(
        viewer=users["rep_east1"], batch_id=batch.pk, after=first[-1].pk, limit=10
    )
    assert [p.row_number for p in first + rest] == [2, 3, 4]
    with translation.override("zh-hans"):
        assert first[0].message == "电话号码无效。"  # rendered in the viewer's language
    with translation.override("en"):
        assert first[0].message == "Not a valid phone number."


def test_background_tasks_check_and_commit(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    from tests.imports.core_support import upload
    from tiercard.customers.models import Customer
    from tiercard.imports.tasks import run_import_check, run_import_commit

    path = write_csv(tmp_path, [["姓名", "手机"], ["张伟", "13812340001"]])
    batch = upload(users["rep_east1"], "customers", path)
    checked = run_import_check.call(users["rep_east1"].pk, batch.pk)
    assert checked == {
        "batch": batch.pk,
        "status": "checked",
        "rows": 1,
        "new": 1,
        "updated": 0,
        "unchanged": 0,
        "invalid": 0,
    }
    assert Customer.objects.count() == 0
    done = run_import_commit.call(users["rep_east1"].pk, batch.pk, False)
    assert done["status"] == "committed" and Customer.objects.count() == 1
    event = AuditEvent.objects.filter(object_type="customers.customer").get()
    assert event.interface == "task"
