"""The checkout's per-order decisions, as pure functions over a membership row's values.

One place decides what a purchase does to a customer: which figures move and by how much,
whether the tier goes up, how many points it earns, when they expire, how much debt they
settle. Two callers apply these decisions and only differ in how they write them:

* ``checkout.purchase_record`` (the till, the API, small imports): one order, the membership
  row locked, each decision written at once;
* ``imports.bulk_purchases`` (large imports): thousands of orders in file order over rows
  locked together, the decisions written with a few multi-row statements per chunk.

Nothing here reads or writes the database: ``row`` is a ``Membership`` instance used as a
value (its fields are read and set in Python; the caller saves). The evaluation order is the
checkout's (module docstring of ``checkout``): figures first, then the tier, then points at
the multiplier of the tier held after the upgrade.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from lunardate import LunarDate

from tiercard.customers.models import BirthdayCalendar
from tiercard.loyalty.models import Membership
from tiercard.loyalty.services.state import metrics_of
from tiercard.tiers import earning
from tiercard.tiers.evaluation import qualified_tier
from tiercard.tiers.ladder import Ladder
from tiercard.tiers.metrics import Metrics
from tiercard.tiers.policy import after_activity

FIGURES = (
    "win_spend",
    "win_orders",
    "win_max_order",
    "win_growth",
    "last_purchase_on",
    "growth_total",
)
"""The membership columns a purchase moves (saved with the tier decision in one UPDATE)."""

RECOVERED_FIELDS = ("below_since", "warned_for")
"""Cleared when a purchase makes the customer qualify for the held tier again."""

UPGRADE_FIELDS = (
    "tier",
    "tier_since",
    "upgraded_at",
    "below_since",
    "warned_for",
    "ladder_version",
)
"""Set by an upgrade."""


def add_purchase(
    row: Membership, *, total: Decimal, day: dt.date, in_window: bool, growth: int
) -> None:
    """Add a purchase of ``total`` on business date ``day`` to ``row``'s figures.

    ``in_window``: the purchase is at or after the window's first instant. A zero-amount
    purchase is not an order and does not make the customer recent.
    """
    if in_window:
        row.win_spend += total
        row.win_orders += 1 if total > 0 else 0
        row.win_max_order = max(row.win_max_order, total)
        row.win_growth += growth
    if total > 0 and (row.last_purchase_on is None or day > row.last_purchase_on):
        row.last_purchase_on = day
    row.growth_total += growth


@dataclass(frozen=True)
class TierStep:
    """What a purchase does to the tier: ``to_tier`` when it upgrades (else ``None``);
    ``recovered`` when the customer qualifies for the held tier again (grace over)."""

    to_tier: str | None
    recovered: bool
    metrics: Metrics


def tier_step(row: Membership, ladder: Ladder, today: dt.date) -> TierStep:
    """The tier decision on ``row``'s figures (already including the purchase): upgrades
    only (``policy.after_activity``); a tier the ladder no longer has counts as the lowest."""
    metrics = metrics_of(row, today)
    qualified = qualified_tier(ladder, metrics)
    held = row.tier if any(t.code == row.tier for t in ladder.tiers) else ladder.lowest.code
    new = after_activity(ladder, held=held, qualified=qualified.code)
    if new.code == row.tier:
        recovered = row.below_since is not None and qualified.code == row.tier
        return TierStep(None, recovered, metrics)
    return TierStep(new.code, False, metrics)


def apply_tier_step(row: Membership, step: TierStep, *, now: dt.datetime, version: int) -> None:
    """Set on ``row`` what ``step`` decided (``updated_at`` always: the row was written)."""
    row.updated_at = now
    if step.recovered:
        row.below_since = row.warned_for = None
    if step.to_tier is not None:
        row.tier, row.tier_since, row.upgraded_at = step.to_tier, now, now
        row.below_since = row.warned_for = None
        row.ladder_version = version


def upgrade_payload(
    *, change_id: int, from_tier: str, to_tier: str, today: dt.date, version: int
) -> dict[str, object]:
    """The ``tier_upgrade`` outbox message's payload (its key: ``tier_upgrade:<change id>``)."""
    return {
        "change": change_id,
        "from_tier": from_tier,
        "to_tier": to_tier,
        "effective_on": today.isoformat(),
        "ladder_version": version,
    }


@dataclass(frozen=True)
class Earn:
    """The points a purchase earns and what happens to its lot at once.

    The earn entry credits ``points`` into a lot expiring on ``expires_on``; then ``settle``
    points of debt left by earlier returns are taken from that lot (a reversal entry); then
    ``expire_now`` points — what is left of a lot whose last day has already passed (a
    backdated purchase) — expire at once (an expiry entry). ``remaining`` is the lot's end.
    """

    points: int
    expires_on: dt.date | None
    settle: int
    expire_now: int

    @property
    def remaining(self) -> int:
        return self.points - self.settle - self.expire_now


def earn_of(
    rules: earning.PointsRules,
    *,
    amount: Decimal,
    multiplier: Decimal,
    birthday: bool,
    earned_on: dt.date,
    owed: int,
    today: dt.date,
    tier: str,
) -> Earn | None:
    """What a purchase of ``amount`` earns at the ``multiplier`` of ``tier`` (the tier held
    after the purchase's own upgrade), with the birthday month's and the campaigns' bonus of
    ``earned_on``; ``None`` when nothing."""
    points = earning.points_for(
        rules, amount, multiplier=multiplier, birthday=birthday, day=earned_on, tier=tier
    )
    if points <= 0:
        return None
    expires = earning.expires_on(rules, earned_on)
    settle = min(owed, points) if owed > 0 else 0
    left = points - settle
    expire_now = left if expires is not None and expires < today else 0
    return Earn(points, expires, settle, expire_now)


class BirthdayCard(Protocol):
    """The card fields the birthday bonus reads (a ``Customer`` or a row of its values)."""

    @property
    def birthday(self) -> dt.date | None: ...
    @property
    def birthday_calendar(self) -> str: ...
    @property
    def lunar_birth_month(self) -> int | None: ...
    @property
    def lunar_birth_day(self) -> int | None: ...


def birthday_month(card: BirthdayCard, day: dt.date) -> bool:
    """Whether ``day`` falls in the customer's birthday month (lunar birthdays converted)."""
    if card.birthday_calendar == BirthdayCalendar.LUNAR and card.lunar_birth_month:
        for year in (day.year, day.year - 1):  # a late-winter lunar date can fall next year
            solar = _lunar_to_solar(year, card.lunar_birth_month, card.lunar_birth_day)
            if solar is not None and (solar.year, solar.month) == (day.year, day.month):
                return True
        return False
    return card.birthday is not None and card.birthday.month == day.month


def _lunar_to_solar(year: int, month: int, day: int | None) -> dt.date | None:
    for d in (day or 1, 29):  # the 30th does not exist in a short lunar month
        try:
            solar: dt.date = LunarDate(year, month, d).to_solar_date()
        except ValueError:
            continue
        return solar
    return None
