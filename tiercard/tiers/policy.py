"""What a tier review does: upgrades at once, downgrades only as the ladder's policy allows.

Inputs are what the membership row stores: the held tier, the qualified tier (from
``qualified_tier``), full months since the last upgrade, full months the customer has been
below the held tier (0 when they qualify; the caller resets it), and whether a manual lock is
active. Decision, in this order (the reason code in brackets):

1. qualified above held: move to the qualified tier at once (``upgrade``), locked or not;
2. qualified equals held: stay (``kept``);
3. a manual lock is active: stay (``locked``);
4. fewer than ``protected_months`` since the last upgrade: stay (``protected``);
5. fewer than ``grace_months`` below the held tier: stay (``grace``) — the caller sends the
   pre-downgrade warning while in grace;
6. otherwise ``downgrade``: one tier down (``Landing.ONE_STEP``) or straight to the qualified
   tier (``Landing.QUALIFIED``).

Invariants: the result is never below the qualified tier; a downgrade never happens within
the protected months or while locked; with ``ONE_STEP`` a review moves down at most one tier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from tiercard.tiers.ladder import Ladder, Tier
from tiercard.tiers.validation import RuleErrors
from tiercard.tiers.window import add_months

MAX_MONTHS = 120


class Landing(StrEnum):
    ONE_STEP = "one_step"
    QUALIFIED = "qualified"


class Reason(StrEnum):
    UPGRADE = "upgrade"
    KEPT = "kept"
    LOCKED = "locked"
    PROTECTED = "protected"
    GRACE = "grace"
    DOWNGRADE = "downgrade"


@dataclass(frozen=True)
class DowngradePolicy:
    """Per ladder. Months are whole months, 0..120; construction validates."""

    protected_months: int = 0
    grace_months: int = 0
    landing: Landing = Landing.ONE_STEP

    def __post_init__(self) -> None:
        errors = RuleErrors()
        for name in ("protected_months", "grace_months"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                errors.add(name, "not_integer", _("Enter a whole number."))
            elif not 0 <= value <= MAX_MONTHS:
                errors.add(name, "out_of_range", _("Enter a number of months from 0 to 120."))
        if not isinstance(self.landing, Landing):
            errors.add("landing", "unknown_landing", _("Use one_step or qualified."))
        errors.raise_if_any()


def parse_policy(data: Mapping[str, Any]) -> DowngradePolicy:
    """From ``{"protected_months": 3, "grace_months": 1, "landing": "one_step"}``."""
    raw = data.get("landing", Landing.ONE_STEP.value)
    landing: Any = Landing(raw) if raw in {m.value for m in Landing} else raw
    return DowngradePolicy(data.get("protected_months", 0), data.get("grace_months", 0), landing)


def dump_policy(policy: DowngradePolicy) -> dict[str, Any]:
    return {
        "protected_months": policy.protected_months,
        "grace_months": policy.grace_months,
        "landing": policy.landing.value,
    }


@dataclass(frozen=True)
class ReviewOutcome:
    tier: Tier
    reason: Reason

    @property
    def changed(self) -> bool:
        return self.reason in (Reason.UPGRADE, Reason.DOWNGRADE)


def review(
    ladder: Ladder,
    policy: DowngradePolicy,
    *,
    held: str,
    qualified: str,
    months_since_upgrade: int,
    months_below: int,
    locked: bool = False,
) -> ReviewOutcome:
    """The tier after a scheduled review (see the module docstring for the rules)."""
    current, target = ladder.get(held), ladder.get(qualified)
    if ladder.index(target) > ladder.index(current):
        return ReviewOutcome(target, Reason.UPGRADE)
    if target == current:
        return ReviewOutcome(current, Reason.KEPT)
    if locked:
        return ReviewOutcome(current, Reason.LOCKED)
    if months_since_upgrade < policy.protected_months:
        return ReviewOutcome(current, Reason.PROTECTED)
    if months_below < policy.grace_months:
        return ReviewOutcome(current, Reason.GRACE)
    if policy.landing is Landing.QUALIFIED:
        return ReviewOutcome(target, Reason.DOWNGRADE)
    below = ladder.below(current)
    assert below is not None  # the held tier is above the qualified one
    return ReviewOutcome(below, Reason.DOWNGRADE)


def after_activity(ladder: Ladder, *, held: str, qualified: str) -> Tier:
    """Between reviews (on a purchase): upgrade at once, never downgrade."""
    current, target = ladder.get(held), ladder.get(qualified)
    return target if ladder.index(target) > ladder.index(current) else current


def latest_warned_fall(today: date, warning_days: int, grace_months: int) -> date | None:
    """The last day after ``today`` a customer may fall below their tier and still be due
    for the downgrade within ``warning_days`` (grace counted in whole months from the fall:
    due from ``add_months(fall, grace_months)`` on); ``None`` when no such day exists, i.e.
    every fall after today leaves more than ``warning_days`` to warn in."""
    horizon = today + timedelta(days=warning_days)
    day = horizon
    while day > today:
        if add_months(day, grace_months) <= horizon:
            return day
        day -= timedelta(days=1)
    return None
