"""The nightly expiry job: set-based, exact, re-runnable; and the expiring-points notices."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.loyalty.points_support import NOW, SHANGHAI, TODAY, give
from tiercard.loyalty.models import Membership, PointsEntry, PointsLot
from tiercard.loyalty.services.points import points_adjust
from tiercard.loyalty.services.points_expire import ExpireReport, points_expire
from tiercard.outbox.models import OutboxMessage
from tiercard.tiers.earning import Expiry

pytestmark = pytest.mark.django_db

frozen = time_machine.travel(NOW, tick=False)


@pytest.fixture
def thirty_days(points_rules):
    points_rules(expiry=Expiry.AFTER_DAYS, expiry_after=30)


@frozen
def test_expiry_takes_due_lots_exactly_and_a_rerun_is_a_no_op(
    users, book, earn, thirty_days, ledger_check
):
    a, b, c = book["east1"], book["east2"], book["south"]
    with time_machine.travel(dt.datetime(2026, 5, 20, 20, tzinfo=SHANGHAI), tick=False):
        earn(a, "100.00", at="2026-05-01 10:00")  # expires 05-31: due on 06-15
        earn(a, "40.00", at="2026-05-10 10:00")  # expires 06-09: due
        earn(a, "70.00", at="2026-05-20 10:00")  # expires 06-19: not due
        earn(b, "25.00", at="2026-05-14 10:00")  # expires 06-13: due
        give(users, c, 60, "c")  # expires 06-19
        for customer in (a, b):  # spend some first: the job expires only what is left
            points_adjust(
                actor=users["admin"],
                customer_id=customer.pk,
                points=-20,
                reason="兑换",
                key=f"s{customer.pk}",
            )

    report = points_expire(today=TODAY, notice_days=0)

    # a: lots 100 (20 spent) and 40 → 80 + 40 expire; b: 25 − 20 = 5 expire
    assert report == ExpireReport(customers=2, points=125, notices=0)
    expire_a = PointsEntry.objects.get(key=f"expire:{a.pk}:2026-06-15")
    assert (expire_a.kind, expire_a.points, expire_a.balance_after) == ("expire", -120, 70)
    assert sorted(al.points for al in expire_a.allocations.all()) == [40, 80]
    assert PointsEntry.objects.get(key=f"expire:{b.pk}:2026-06-15").points == -5
    balances = dict(Membership.objects.values_list("pk", "points_balance"))
    assert balances == {a.pk: 70, b.pk: 0, c.pk: 60}
    assert not PointsLot.objects.filter(remaining__gt=0, expires_on__lt=TODAY).exists()
    for customer in (a, b, c):
        ledger_check(customer.pk)

    entries = PointsEntry.objects.count()
    assert points_expire(today=TODAY, notice_days=0) == ExpireReport(0, 0, 0)
    assert PointsEntry.objects.count() == entries


@frozen
def test_expiry_runs_in_chunks_with_a_fixed_number_of_statements(users, make_customer, thirty_days):
    customers = [make_customer(name=f"客户{i}") for i in range(7)]
    for i, customer in enumerate(customers):
        give(users, customer, 10 + i, f"g{i}")
    PointsLot.objects.update(expires_on=TODAY - dt.timedelta(days=1))

    with CaptureQueriesContext(connection) as small:
        report = points_expire(today=TODAY, batch=3, notice_days=0)

    assert report == ExpireReport(customers=7, points=sum(10 + i for i in range(7)), notices=0)
    assert set(Membership.objects.values_list("points_balance", flat=True)) == {0}
    # 3 chunks: per chunk a handful of statements, independent of how many customers it holds;
    # then one INSERT ... SELECT of the notices, however many there are.
    writes = [
        q
        for q in small.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]
    assert len(writes) == 3 * 4 + 1


@frozen
def test_never_expiring_points_stay(users, book, points_rules):
    points_rules(expiry=Expiry.NEVER)
    give(users, book["east1"], 50, "g")

    assert points_expire(today=dt.date(2099, 1, 1), notice_days=30) == ExpireReport(0, 0, 0)
    assert Membership.objects.get(pk=book["east1"].pk).points_balance == 50


@frozen
def test_notices_one_per_customer_and_expiry_date_never_repeated(users, book, earn, thirty_days):
    a, b = book["east1"], book["east2"]
    earn(a, "10.00", at="2026-05-20 10:00")  # expires 06-19
    earn(a, "20.00", at="2026-05-20 18:00")  # same day: one notice with both
    earn(a, "30.00", at="2026-06-10 10:00")  # expires 07-10
    earn(b, "40.00", at="2026-06-14 10:00")  # expires 07-14: beyond 06-15 + 28
    give(users, b, 5, "late")  # expires 07-15

    report = points_expire(today=TODAY, notice_days=28)

    assert report.notices == 2
    got = {m.key: (m.kind, m.customer_id, m.payload) for m in OutboxMessage.objects.order_by("key")}
    assert got == {
        f"points_expiring:{a.pk}:2026-06-19": (
            "points_expiring",
            a.pk,
            {"points": 30, "expires_on": "2026-06-19"},
        ),
        f"points_expiring:{a.pk}:2026-07-10": (
            "points_expiring",
            a.pk,
            {"points": 30, "expires_on": "2026-07-10"},
        ),
    }
    assert points_expire(today=TODAY, notice_days=28).notices == 0
    assert points_expire(today=TODAY, notice_days=30).notices == 2  # b's two dates now in range
    assert OutboxMessage.objects.count() == 4
