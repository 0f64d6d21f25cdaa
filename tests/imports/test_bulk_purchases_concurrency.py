"""A large purchase import beside purchases at the till for the same customers: nothing lost,
nothing counted twice. The bulk path locks the window row (shared) and then the chunk's
membership rows, the checkout's order, so a till purchase either lands before a chunk reads
the customer's figures or waits for the import; either way each purchase earns once and the
running balance holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum

from tests.imports.core_support import store, write_csv
from tests.imports.purchase_books import import_purchases
from tests.loyalty.conftest import assert_ledger_consistent
from tests.loyalty.threads_support import in_threads
from tiercard.accounts.models import User
from tiercard.core.timeutils import business_today
from tiercard.imports import run
from tiercard.loyalty.models import Membership, PointsEntry
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.services.window import window_rebuild
from tiercard.sales.models import Purchase

__all__ = ["store"]

pytestmark = pytest.mark.django_db(transaction=True)

FIGURES = ("win_spend", "win_orders", "win_max_order", "win_growth", "growth_total")
PHONES = ("13800000011", "13800000012")


def test_till_purchases_during_a_bulk_import_lose_and_double_nothing(
    settings: Any,
    store: Path,
    tmp_path: Path,
    users: dict[str, User],
    make_customer: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.TIERCARD_IMPORT_BULK_FROM_BYTES = 0
    monkeypatch.setattr(run, "CHUNK_ROWS", 3)  # many chunks, each locking its own customers
    cards = [make_customer("rep_east1", name=f"客户{i}", phones=p) for i, p in enumerate(PHONES)]
    admin, rep = users["admin"], users["rep_east1"]
    day = business_today() - dt.timedelta(days=3)
    rows = [["订单号", "手机", "下单时间", "商品", "实付金额"]] + [
        [f"F-{i}", PHONES[i % 2], f"{day:%Y-%m-%d} {8 + i % 12:02d}:00", "茶", "700"]
        for i in range(24)
    ]
    path = write_csv(tmp_path, rows, name="purchases.csv")

    def act(i: int) -> object:
        if i == 0:
            return import_purchases(admin, path, skip_invalid=False)
        return purchase_record(
            actor=rep,
            customer_id=cards[0].pk,
            data={"external_ref": f"T-{i}", "lines": [{"item_name": "茶", "unit_price": "300"}]},
        )

    done, failed = in_threads(9, act, workers=9)

    assert failed == [] and len(done) == 9
    batch = next(d for d in done if hasattr(d, "new_count"))
    assert (batch.status, batch.new_count, batch.invalid_count) == ("committed", 24, 0)
    first = cards[0].pk
    assert Purchase.objects.filter(customer_id=first).count() == 12 + 8
    assert Purchase.objects.filter(customer_id=first).aggregate(s=Sum("total"))["s"] == Decimal(
        "10800.00"
    )
    # Each purchase earned exactly once, and the ledger's running balance holds throughout.
    earned = PointsEntry.objects.filter(customer_id=first, kind="earn")
    assert earned.count() == 20
    assert earned.values("purchase_id").distinct().count() == 20
    for card in cards:
        assert_ledger_consistent(card.pk)
        row = Membership.objects.get(pk=card.pk)
        stored = {name: getattr(row, name) for name in FIGURES}
        window_rebuild(active_programme(), business_today())
        row.refresh_from_db()
        assert stored == {name: getattr(row, name) for name in FIGURES}
