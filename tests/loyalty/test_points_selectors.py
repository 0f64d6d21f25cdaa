"""Points reads: ledger pages, a customer's summary, the expiry forecast and the liability.

All figures asserted exactly, for viewers of different scopes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.loyalty.points_support import TODAY
from tiercard.core.errors import NotFound
from tiercard.loyalty.models import PointsLot
from tiercard.loyalty.selectors.points import (
    points_forecast,
    points_ledger,
    points_liability,
    points_summary,
)
from tiercard.loyalty.services.points import points_adjust
from tiercard.loyalty.services.points_expire import points_expire
from tiercard.loyalty.services.rewards import points_redeem
from tiercard.tiers.earning import Expiry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("business_day")]


@pytest.fixture
def points_book(users, book, earn, points_rules, make_reward):
    """Lots on known days (points last 100 days), one overdue lot, one redemption.

    east1: 100 → 06-28 (30 drawn by a redemption), 200 → 07-29, 300 → 09-23, 40 overdue.
    east2: 70 → 06-28, 50 → 08-28.   south: 1000 → 06-28.
    """
    points_rules(expiry=Expiry.AFTER_DAYS, expiry_after=100)
    east1, east2, south = book["east1"], book["east2"], book["south"]
    earn(east1, "100.00", at="2026-03-20 10:00")
    earn(east1, "200.00", at="2026-04-20 10:00")
    earn(east1, "300.00", at="2026-06-15 09:00")
    earn(east2, "70.00", at="2026-03-20 10:00")
    earn(east2, "50.00", at="2026-05-20 10:00")
    earn(south, "1000.00", at="2026-03-20 10:00")
    overdue = points_adjust(
        actor=users["admin"], customer_id=east1.pk, points=40, reason="补录", key="late"
    )
    PointsLot.objects.filter(entry=overdue).update(expires_on=TODAY - dt.timedelta(days=1))
    make_reward("tea", 30)
    points_redeem(
        actor=users["rep_east1"], customer_id=east1.pk, reward_code="tea", quantity=1, key="r"
    )
    return book


def test_summary_of_one_customer(users, points_book):
    customer = points_book["east1"]

    summary = points_summary(viewer=users["rep_east1"], customer_id=customer.pk, today=TODAY)

    assert (summary.balance, summary.owed, summary.overdue, summary.usable) == (610, 0, 40, 570)
    assert summary.expiring == {30: 70, 60: 270, 90: 270}
    assert (summary.next_expiry, summary.next_expiry_points) == (dt.date(2026, 6, 28), 70)
    assert (summary.earned, summary.redeemed, summary.expired, summary.adjusted) == (
        600,
        30,
        0,
        40,
    )

    points_expire(today=TODAY, notice_days=0)
    after = points_summary(viewer=users["admin"], customer_id=customer.pk, today=TODAY)

    assert (after.balance, after.overdue, after.usable, after.expired) == (570, 0, 570, 40)
    assert (
        after.earned - after.reversed - after.redeemed - after.expired + after.adjusted
        == after.balance
    )


def test_summary_of_a_customer_without_points(users, book):
    summary = points_summary(viewer=users["admin"], customer_id=book["south"].pk, today=TODAY)

    assert (summary.balance, summary.expiring, summary.next_expiry) == (
        0,
        {30: 0, 60: 0, 90: 0},
        None,
    )


@pytest.mark.parametrize(
    ("viewer", "points", "customers"),
    [
        ("admin", {30: 1140, 60: 1340, 90: 1390}, {30: 3, 60: 3, 90: 3}),
        ("marketing", {30: 1140, 60: 1340, 90: 1390}, {30: 3, 60: 3, 90: 3}),
        ("mgr_east", {30: 140, 60: 340, 90: 390}, {30: 2, 60: 2, 90: 2}),
        ("rep_east1", {30: 70, 60: 270, 90: 270}, {30: 1, 60: 1, 90: 1}),
        ("rep_south", {30: 1000, 60: 1000, 90: 1000}, {30: 1, 60: 1, 90: 1}),
    ],
)
def test_forecast_over_the_viewers_customers(
    users, points_book, django_assert_num_queries, viewer, points, customers
):
    with django_assert_num_queries(1):
        forecast = points_forecast(viewer=users[viewer], today=TODAY)

    assert (forecast.points, forecast.customers) == (points, customers)


@pytest.mark.parametrize(
    ("viewer", "points", "value", "customers"),
    [
        ("admin", 1690, Decimal("16.90"), 3),
        ("mgr_east", 690, Decimal("6.90"), 2),
        ("rep_east1", 570, Decimal("5.70"), 1),
        ("rep_east2", 120, Decimal("1.20"), 1),
    ],
)
def test_liability_values_outstanding_points(users, points_book, viewer, points, value, customers):
    liability = points_liability(viewer=users[viewer], today=TODAY)

    assert (liability.points, liability.value, liability.customers) == (points, value, customers)
    assert liability.point_value == Decimal("0.01") and liability.owed == 0


def test_ledger_pages_newest_first(users, points_book):
    customer = points_book["east1"]

    first = points_ledger(viewer=users["rep_east1"], customer_id=customer.pk, limit=2)
    second = points_ledger(
        viewer=users["rep_east1"], customer_id=customer.pk, cursor=first.next_cursor, limit=2
    )
    last = points_ledger(
        viewer=users["rep_east1"], customer_id=customer.pk, cursor=second.next_cursor, limit=2
    )

    kinds = [e.kind for page in (first, second, last) for e in page.entries]
    assert kinds == ["redeem", "adjust", "earn", "earn", "earn"]
    assert last.next_cursor is None
    assert [e.balance_after for e in first.entries] == [610, 640]


def test_another_reps_customer_is_not_found_in_every_read(users, points_book):
    other = points_book["east1"].pk
    for read in (
        lambda: points_summary(viewer=users["rep_east2"], customer_id=other, today=TODAY),
        lambda: points_ledger(viewer=users["rep_east2"], customer_id=other),
        lambda: points_ledger(viewer=users["mgr_south"], customer_id=other),
    ):
        with pytest.raises(NotFound):
            read()
