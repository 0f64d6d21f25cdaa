"""Tier status (why, progress, what keeps it until when), history, tier on a date, scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.loyalty.tiers_support import TODAY, member
from tiercard.core.errors import NotFound
from tiercard.loyalty.models import ChangeReason, TierChange
from tiercard.loyalty.selectors.tiers import tier_distribution, tier_history, tier_on, tier_status
from tiercard.loyalty.services.tier_sql import day_start
from tiercard.sales.models import Purchase
from tiercard.tiers.metrics import Metric

pytestmark = pytest.mark.django_db


def buy(customer, day: dt.date, amount: str) -> None:
    Purchase.objects.create(
        customer=customer,
        occurred_at=day_start(day) + dt.timedelta(hours=11),
        subtotal=Decimal(amount),
        total=Decimal(amount),
    )


def test_a_qualifying_customer_keeps_the_tier_until_a_purchase_leaves_the_window(users, book):
    customer = book["east1"]
    buy(customer, dt.date(2026, 1, 10), "1500.00")
    buy(customer, dt.date(2026, 3, 5), "800.00")
    member(
        customer,
        "standard",
        spend="2300.00",
        orders=2,
        max_order="1500.00",
        last=dt.date(2026, 3, 5),
        upgraded_at=day_start(dt.date(2026, 3, 5)),
    )
    status = tier_status(users["rep_east1"], customer.pk, TODAY)
    assert status.tier.code == "standard" and status.qualified.code == "standard"
    assert status.tier.name_zh == "标准级" and status.benefits.points_multiplier == Decimal("1.2")
    assert status.why.met
    assert [(leaf.metric, leaf.actual, leaf.met) for leaf in status.why.leaves()] == [
        (Metric.SPEND, Decimal("2300.00"), True),
        (Metric.ORDER_COUNT, 2, True),
    ]
    # Rolling 12 months: the 2026-01-10 purchase leaves the window on 2027-01-10.
    assert status.keep.qualifies and status.keep.holds_until == dt.date(2027, 1, 9)
    assert status.keep.downgrade_on == dt.date(2027, 2, 10)  # one month of grace
    assert status.progress is not None and status.progress.target.code == "premium"
    todo = {gap.leaf.metric: gap.gap for gap in status.progress.todo}
    assert todo == {Metric.SPEND: Decimal("5700.00"), Metric.ORDER_COUNT: 2}


def test_recency_can_end_the_tier_before_the_window_does(users, book):
    customer = book["east1"]
    for day in (dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1)):
        buy(customer, day, "2500.00")
    member(
        customer,
        "premium",
        spend="10000.00",
        orders=4,
        max_order="2500.00",
        last=dt.date(2026, 5, 1),
    )
    keep = tier_status(users["admin"], customer.pk, TODAY).keep
    # days since the last purchase <= 180 fails on 2026-05-01 + 181 days.
    assert keep.holds_until == dt.date(2026, 10, 28)
    assert keep.downgrade_on == dt.date(2026, 11, 29)


def test_a_customer_below_the_tier_sees_the_planned_downgrade(users, book):
    customer = book["east1"]
    member(customer, "vip", below_since=dt.date(2026, 6, 1))
    status = tier_status(users["admin"], customer.pk, TODAY)
    assert not status.keep.qualifies and status.qualified.code == "basic"
    assert status.keep.downgrade_on == dt.date(2026, 7, 1)
    assert not status.why.met
    locked = member(
        book["east2"], "vip", below_since=dt.date(2026, 6, 1), lock_until=dt.date(2026, 8, 1)
    )
    assert tier_status(users["admin"], locked.pk, TODAY).keep.downgrade_on == dt.date(2026, 8, 2)


def test_a_customer_without_membership_holds_the_lowest_tier(users, book):
    status = tier_status(users["rep_east1"], book["east1"].pk, TODAY)
    assert status.tier.code == "basic" and status.since is None
    assert status.keep.holds_until is None and status.progress is not None


def change(customer, on, from_tier, to_tier, hour=10):
    return TierChange.objects.create(
        customer=customer,
        at=day_start(on) + dt.timedelta(hours=hour),
        effective_on=on,
        from_tier=from_tier,
        to_tier=to_tier,
        reason=ChangeReason.AUTO_UPGRADE,
        ladder_version=1,
    )


def test_tier_on_a_past_date_and_history_newest_first(users, book):
    customer = book["east1"]
    first = change(customer, dt.date(2026, 1, 10), "basic", "standard")
    second = change(customer, dt.date(2026, 3, 1), "standard", "premium", hour=9)
    third = change(customer, dt.date(2026, 3, 1), "premium", "vip", hour=15)
    viewer = users["rep_east1"]
    assert tier_on(viewer, customer.pk, dt.date(2025, 12, 31)) == "basic"
    assert tier_on(viewer, customer.pk, dt.date(2026, 1, 10)) == "standard"
    assert tier_on(viewer, customer.pk, dt.date(2026, 2, 28)) == "standard"
    assert tier_on(viewer, customer.pk, dt.date(2026, 3, 1)) == "vip"
    assert list(tier_history(viewer, customer.pk)) == [third, second, first]


def test_another_reps_customer_is_not_found_through_every_door(users, book):
    other = book["east2"].pk
    member(book["east2"], "vip")
    viewer = users["rep_east1"]
    for call in (
        lambda: tier_status(viewer, other, TODAY),
        lambda: tier_history(viewer, other),
        lambda: tier_on(viewer, other, TODAY),
    ):
        with pytest.raises(NotFound):
            call()


def test_distribution_counts_only_what_the_viewer_sees(users, book):
    member(book["east1"], "vip")
    member(book["south"], "standard")
    assert tier_distribution(users["rep_east1"]) == {
        "basic": 0,
        "standard": 0,
        "premium": 0,
        "vip": 1,
    }
    assert tier_distribution(users["admin"]) == {"basic": 1, "standard": 1, "premium": 0, "vip": 1}
