"""Purchases, returns and redemptions of one customer at the same time: no deadlock, no lost
update, no double count. Every path locks in the same order (window row shared, membership
row, then the sales rows), so PostgreSQL never has to break a deadlock and SQLite's IMMEDIATE
transactions simply queue.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from tiercard.core.errors import Conflict
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import Membership, PointsEntry
from tiercard.loyalty.services.checkout import purchase_record, purchase_return
from tiercard.loyalty.services.points_redeem import points_redeem
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.services.window import window_rebuild
from tiercard.sales.models import Purchase

from .test_points_concurrency import in_threads

pytestmark = pytest.mark.django_db(transaction=True)

FIGURES = ("win_spend", "win_orders", "win_max_order", "win_growth", "growth_total")


def test_mixed_traffic_on_one_customer_keeps_every_figure_and_balance(
    users, book, make_reward, ledger_check
):
    customer, rep = book["east1"], users["rep_east1"]
    make_reward("tea", 50)
    earlier = [
        purchase_record(
            actor=rep,
            customer_id=customer.pk,
            data={"lines": [{"item_name": "茶", "unit_price": "100.00"}]},
        ).purchase.pk
        for _i in range(10)
    ]

    def act(i: int) -> object:
        if i % 3 == 0:
            return purchase_return(actor=rep, purchase_id=earlier[i % 10], data={"amount": "40.00"})
        if i % 3 == 1:
            return points_redeem(
                actor=rep, customer_id=customer.pk, reward_code="tea", quantity=1, key=f"r{i}"
            )
        return purchase_record(
            actor=rep,
            customer_id=customer.pk,
            data={"lines": [{"item_name": "茶", "unit_price": "10.00"}]},
        )

    done, failed = in_threads(60, act)

    expected = {"insufficient_points", "return_exceeds_purchase"}
    assert all(isinstance(e, Conflict) and e.code in expected for e in failed), failed
    assert len(done) + len(failed) == 60
    purchases = Purchase.objects.filter(customer=customer)
    assert purchases.count() == 10 + 20  # every purchase landed once
    returned = purchases.aggregate(s=Sum("returned_amount"))["s"]
    assert returned == Decimal("40.00") * sum(1 for r in done if hasattr(r, "purchase_return"))
    row = Membership.objects.get(pk=customer.pk)
    stored = {name: getattr(row, name) for name in FIGURES}
    window_rebuild(active_programme(), business_today())
    row.refresh_from_db()
    assert stored == {name: getattr(row, name) for name in FIGURES}
    assert (
        row.points_balance
        == PointsEntry.objects.filter(customer=customer).aggregate(s=Sum("points"))["s"]
    )
    ledger_check(customer.pk)


def test_nightly_jobs_beside_live_purchases_lose_nothing(users, book, ledger_check):
    from tiercard.loyalty.tasks import run_daily

    rep = users["mgr_east"]  # sees both east customers
    customers = [book["east1"], book["east2"]]

    def act(i: int) -> object:
        if i % 5 == 0:
            return run_daily(today=business_today(), full=True)
        return purchase_record(
            actor=rep,
            customer_id=customers[i % 2].pk,
            data={"lines": [{"item_name": "茶", "unit_price": "700.00"}]},
        )

    done, failed = in_threads(40, act)

    assert failed == [] and len(done) == 40
    for customer in customers:
        row = Membership.objects.get(pk=customer.pk)
        assert row.win_orders == 16 and row.win_spend == Decimal("11200.00")
        # ¥11,200 in 16 orders, bought today: 高级 (premium) by the default ladder
        assert row.tier == "premium"
        ledger_check(customer.pk)
