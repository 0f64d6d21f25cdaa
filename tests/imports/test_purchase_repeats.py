"""Purchase rows without an order number that repeat an earlier row of the same file.

They are one purchase by content (``apply_purchases.content_ref``), so the repeat is recorded
once: the user is told (a warning naming the earlier row) and the counts of the check and
the commit agree, on the per-order path and the bulk path, across chunks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from tests.imports.core_support import check, counts, problems, store, write_csv
from tiercard.accounts.models import User
from tiercard.customers.models import Customer
from tiercard.imports import run
from tiercard.imports.models import ImportProblem
from tiercard.imports.services import import_commit
from tiercard.sales.models import Purchase

__all__ = ["store"]

HEADER = ["手机", "下单时间", "商品", "实付金额"]
A = ["13812345678", "2024-05-01 10:00", "茶叶", "100"]
B = ["13812345678", "2024-05-02 10:00", "茶叶", "100"]
C = ["13812345678", "2024-05-01 10:00", "茶具", "100"]


@pytest.fixture(autouse=True)
def _english_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    translation.activate("en")
    monkeypatch.setattr(run, "CHUNK_ROWS", 2)  # rows 2-3, 4-5, 6: repeats across chunks too


@pytest.mark.parametrize("threshold", [10**12, 0], ids=["per-order", "bulk"])
def test_a_repeated_row_is_told_and_counted_alike_in_check_and_commit(
    settings: Any,
    users: dict[str, User],
    store: Path,
    tmp_path: Path,
    book: dict[str, Customer],
    threshold: int,
) -> None:
    settings.TIERCARD_IMPORT_BULK_FROM_BYTES = threshold
    path = write_csv(tmp_path, [HEADER, A, B, A, C, A])
    expected = {"rows": 5, "new": 3, "updated": 0, "unchanged": 2, "invalid": 0}
    warnings = [(4, "", "duplicate_in_file"), (6, "", "duplicate_in_file")]

    batch = check(users["rep_east1"], "purchases", path)
    assert counts(batch) == expected
    assert (batch.duplicate_count, batch.warning_count) == (2, 2)
    assert problems(batch, severity="warning") == warnings and problems(batch) == []
    message = ImportProblem.objects.filter(batch=batch, row_number=4).get().message
    assert message.startswith("The same purchase as row 2 (same customer, time, amount")
    assert Purchase.objects.count() == 0

    batch = import_commit(actor=users["rep_east1"], batch_id=batch.pk, skip_invalid=False)
    assert batch.status == "committed"
    assert counts(batch) == expected
    assert (batch.duplicate_count, batch.warning_count) == (2, 2)
    assert problems(batch, severity="warning") == warnings
    assert Purchase.objects.filter(customer=book["east1"]).count() == 3
    assert Customer.objects.get(pk=book["east1"].pk).order_count == 3


def test_rows_with_order_numbers_are_not_repeats(
    users: dict[str, User], store: Path, tmp_path: Path, book: dict[str, Customer]
) -> None:
    """The same content under two order numbers is two purchases: nothing to warn about."""
    path = write_csv(tmp_path, [["订单号", *HEADER], ["X-1", *A], ["X-2", *A]])
    batch = check(users["rep_east1"], "purchases", path)
    assert (batch.new_count, batch.unchanged_count, batch.warning_count) == (2, 0, 0)
    batch = import_commit(actor=users["rep_east1"], batch_id=batch.pk, skip_invalid=False)
    assert (batch.new_count, batch.unchanged_count, batch.warning_count) == (2, 0, 0)
    assert Purchase.objects.count() == 2
