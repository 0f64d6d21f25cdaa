"""Concurrent redemptions never overspend, never double-post, and never race the expiry job.

Real threads, each with its own database connection, on SQLite (IMMEDIATE transactions) and
PostgreSQL (row locks).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Sum

from tests.loyalty.threads_support import in_threads
from tiercard.core.errors import Conflict, DomainError
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import EntryKind, Membership, PointsEntry, Redemption
from tiercard.loyalty.services.points import points_adjust
from tiercard.loyalty.services.points_expire import points_expire
from tiercard.loyalty.services.rewards import points_redeem
from tiercard.tiers.earning import Expiry

pytestmark = pytest.mark.django_db(transaction=True)


def ledger_sum(customer_id: int) -> int:
    return PointsEntry.objects.filter(customer_id=customer_id).aggregate(n=Sum("points"))["n"]


def test_500_concurrent_redemptions_of_1000_points_exactly_33_succeed(
    users, book, make_reward, ledger_check
):
    customer, rep = book["east1"], users["rep_east1"]
    make_reward("tea", 30)
    points_adjust(
        actor=users["admin"], customer_id=customer.pk, points=1000, reason="赠送", key="g"
    )

    done, failed = in_threads(
        500,
        lambda i: points_redeem(
            actor=rep, customer_id=customer.pk, reward_code="tea", quantity=1, key=f"r{i}"
        ),
        workers=40,  # 40 at a time: the test server allows 50 connections
    )

    assert len(done) == 33
    assert len(failed) == 467
    assert all(isinstance(e, Conflict) and e.code == "insufficient_points" for e in failed), {
        repr(e) for e in failed
    }
    row = Membership.objects.get(pk=customer.pk)
    assert row.points_balance == 10 == ledger_sum(customer.pk)
    assert Redemption.objects.count() == 33
    assert PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 33
    ledger_check(customer.pk)


def test_100_concurrent_replays_of_one_key_redeem_once(users, book, make_reward, ledger_check):
    customer, rep = book["east1"], users["rep_east1"]
    make_reward("tea", 30, stock=50)
    points_adjust(
        actor=users["admin"], customer_id=customer.pk, points=1000, reason="赠送", key="g"
    )

    done, failed = in_threads(
        100,
        lambda _i: points_redeem(
            actor=rep, customer_id=customer.pk, reward_code="tea", quantity=2, key="same"
        ),
        workers=40,
    )

    assert failed == []
    assert len({r.pk for r in done}) == 1
    assert PointsEntry.objects.filter(key="redeem:same").count() == 1
    assert Redemption.objects.count() == 1
    assert Membership.objects.get(pk=customer.pk).points_balance == 940
    ledger_check(customer.pk)


def test_redemptions_racing_the_expiry_job_never_overspend(
    users, book, make_reward, points_rules, ledger_check
):
    """The job expires a lot that redemptions are drawing from at the same moment."""
    customer, rep = book["east1"], users["rep_east1"]
    points_rules(expiry=Expiry.AFTER_DAYS, expiry_after=1)
    make_reward("tea", 30)
    points_adjust(actor=users["admin"], customer_id=customer.pk, points=600, reason="赠送", key="g")
    later = business_today() + dt.timedelta(days=5)  # the job's day: the lot is due then

    def act(i: int) -> Any:
        if i % 10 == 5:
            return points_expire(today=later, notice_days=0)
        return points_redeem(
            actor=rep, customer_id=customer.pk, reward_code="tea", quantity=1, key=f"r{i}"
        )

    _done, failed = in_threads(60, act)

    assert all(isinstance(e, DomainError) and e.code == "insufficient_points" for e in failed), {
        repr(e) for e in failed
    }
    row = Membership.objects.get(pk=customer.pk)
    redeemed = 30 * Redemption.objects.count()
    expired = -(
        PointsEntry.objects.filter(kind=EntryKind.EXPIRE).aggregate(n=Sum("points"))["n"] or 0
    )
    assert row.points_balance == 0 == ledger_sum(customer.pk)  # the job ran: nothing is left
    assert redeemed + expired == 600
    assert PointsEntry.objects.filter(kind=EntryKind.EXPIRE).count() <= 1
    ledger_check(customer.pk)
