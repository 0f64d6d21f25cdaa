"""Concurrent uses of a quota never exceed it (real threads, SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.loyalty.threads_support import in_threads
from tests.loyalty.tiers_support import member as _member
from tiercard.core.errors import Conflict
from tiercard.loyalty.models import BenefitCounter, BenefitUse
from tiercard.loyalty.services.benefits import benefit_use
from tiercard.loyalty.services.state import active_programme

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20  # each test starts all of them at once


def member(customer: Any, tier: str) -> None:
    # A flushed database has lost the migration's programme: active_programme installs it.
    _member(customer, tier, ladder_version=active_programme().version)


def test_20_concurrent_uses_of_a_two_a_month_quota_exactly_2_succeed(users, book):
    customer, rep = book["east1"], users["rep_east1"]
    member(customer, "vip")

    done, failed = in_threads(
        THREADS,
        lambda i: benefit_use(
            actor=rep, customer_id=customer.pk, code="free_delivery", key=f"k{i}"
        ),
        workers=THREADS,
    )

    assert len(done) == 2
    assert len(failed) == THREADS - 2
    assert all(isinstance(e, Conflict) and e.code == "quota_exhausted" for e in failed), {
        repr(e) for e in failed
    }
    assert BenefitUse.objects.filter(customer=customer).count() == 2
    assert list(BenefitCounter.objects.values_list("used", flat=True)) == [2]


def test_20_concurrent_first_uses_on_a_fresh_customer_create_one_counter(users, book):
    """No membership row and no counter yet: both are created once, under the race."""
    customer, rep = book["east1"], users["rep_east1"]
    member(customer, "premium")  # 1 a month
    customer2 = book["east2"]

    done, failed = in_threads(
        THREADS,
        lambda i: benefit_use(
            actor=users["admin"] if i % 2 else rep,
            customer_id=(customer2 if i % 2 else customer).pk,
            code="free_delivery",
            key=f"k{i}",
        ),
        workers=THREADS,
    )

    # customer2 holds the lowest tier: every one of its uses is refused, none is counted.
    assert len(done) == 1 and done[0].customer_id == customer.pk
    codes = sorted(e.code for e in failed if isinstance(e, Conflict))
    assert codes == ["benefit_not_in_tier"] * 10 + ["quota_exhausted"] * 9
    assert list(BenefitCounter.objects.values_list("customer_id", "used")) == [(customer.pk, 1)]


def test_20_concurrent_replays_of_one_key_use_the_quota_once(users, book):
    customer, rep = book["east1"], users["rep_east1"]
    member(customer, "vip")

    done, failed = in_threads(
        THREADS,
        lambda _i: benefit_use(
            actor=rep, customer_id=customer.pk, code="free_delivery", key="same"
        ),
        workers=THREADS,
    )

    assert failed == []
    assert len({u.pk for u in done}) == 1
    assert list(BenefitCounter.objects.values_list("used", flat=True)) == [1]
