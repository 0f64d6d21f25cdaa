"""The set-based review decides exactly what the pure ``policy.review`` decides, row by row."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import Decimal

import pytest

from tests.loyalty.tiers_support import TODAY, activate, customers, member
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import ChangeReason, Membership, TierChange
from tiercard.loyalty.services.grading import tiers_review
from tiercard.loyalty.services.state import metrics_of
from tiercard.loyalty.services.tier_sql import day_start, months_cutoff, whole_months
from tiercard.tiers.evaluation import qualified_tier
from tiercard.tiers.policy import DowngradePolicy, Landing, Reason, review
from tiercard.tiers.programme import default_programme
from tiercard.tiers.window import add_months

pytestmark = pytest.mark.django_db

NEVER = 10**6
POLICIES = [
    DowngradePolicy(3, 1, Landing.ONE_STEP),
    DowngradePolicy(0, 0, Landing.QUALIFIED),
    DowngradePolicy(2, 2, Landing.ONE_STEP),
    DowngradePolicy(1, 0, Landing.ONE_STEP),
]


def figures(rng: random.Random) -> dict[str, object]:
    """Figures clustered around the default ladder's thresholds."""
    spend = rng.choice([0, 1999.99, 2000, 7999.99, 8000, 19999.99, 20000, 30000])
    return {
        "spend": Decimal(str(spend)).quantize(Decimal("0.01")),
        "orders": rng.choice([0, 1, 2, 3, 4, 7, 8, 12]),
        "max_order": Decimal(rng.choice(["0", "9999.99", "10000"])),
        "last": rng.choice([None, *(TODAY - dt.timedelta(days=d) for d in (0, 90, 91, 180, 181))]),
    }


def maybe_date(rng: random.Random, choices: list[dt.date]) -> dt.date | None:
    return rng.choice([None, None, *choices])


def population(rng: random.Random, people: list) -> None:
    codes = ["basic", "standard", "premium", "vip", "vip"]
    months_back = [add_months(TODAY, -m) for m in range(0, 4)]
    near = [d + dt.timedelta(days=k) for d in months_back for k in (-1, 0, 1)]
    for person in people:
        upgraded = maybe_date(rng, near)
        member(
            person,
            rng.choice(codes),
            upgraded_at=None if upgraded is None else day_start(upgraded) + dt.timedelta(hours=20),
            below_since=maybe_date(rng, near),
            lock_until=maybe_date(
                rng, [TODAY - dt.timedelta(days=1), TODAY, TODAY + dt.timedelta(days=9)]
            ),
            **figures(rng),
        )


def expected(row: Membership, programme) -> tuple[str, dt.date | None]:
    """(tier, below_since) after the review, from the pure policy."""
    ladder, policy = programme.ladder, programme.policy
    qualified = qualified_tier(ladder, metrics_of(row, TODAY))
    below = row.below_since or TODAY
    outcome = review(
        ladder,
        policy,
        held=row.tier,
        qualified=qualified.code,
        months_since_upgrade=(
            NEVER
            if row.upgraded_at is None
            else whole_months(business_today(row.upgraded_at), TODAY)
        ),
        months_below=whole_months(below, TODAY),
        locked=row.lock_until is not None and row.lock_until >= TODAY,
    )
    if outcome.reason in (Reason.UPGRADE, Reason.KEPT):
        return outcome.tier.code, None
    if outcome.reason is Reason.DOWNGRADE:
        still_below = ladder.index(qualified) < ladder.index(outcome.tier)
        return outcome.tier.code, TODAY if still_below else None
    return row.tier, below


@pytest.mark.parametrize("policy", POLICIES, ids=str)
def test_set_based_review_equals_the_pure_policy_row_by_row(users, policy):
    programme = dataclasses.replace(default_programme(), policy=policy)
    activate(programme)
    rng = random.Random(f"{policy}")
    population(rng, customers(users["rep_east1"], 240))
    before = {row.pk: row for row in Membership.objects.all()}
    want = {pk: expected(row, programme) for pk, row in before.items()}

    tiers_review(today=TODAY, full=True)

    got = {row.pk: (row.tier, row.below_since) for row in Membership.objects.all()}
    assert got == want
    changed = {pk for pk in want if want[pk][0] != before[pk].tier}
    history = TierChange.objects.all()
    assert {c.customer_id for c in history} == changed
    for change in history:
        assert (change.from_tier, change.to_tier) == (
            before[change.customer_id].tier,
            want[change.customer_id][0],
        )
        up = programme.ladder.index(change.to_tier) > programme.ladder.index(change.from_tier)
        assert change.reason == (
            ChangeReason.REVIEW_UPGRADE if up else ChangeReason.REVIEW_DOWNGRADE
        )
    assert len(changed) > 20  # the population exercises every branch, not just "kept"


@pytest.mark.parametrize("months", [1, 2, 3, 12])
def test_months_cutoff_inverts_whole_months(months):
    start = dt.date(2024, 1, 1)
    for offset in range(0, 800, 3):
        today = start + dt.timedelta(days=offset)
        cutoff = months_cutoff(today, months)
        for day in (cutoff - dt.timedelta(days=1), cutoff, cutoff + dt.timedelta(days=1)):
            assert (whole_months(day, today) >= months) == (day <= cutoff)
