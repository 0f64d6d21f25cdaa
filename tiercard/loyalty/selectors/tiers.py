"""Reads about tiers, scoped by the viewer: status and its explanation, history, tier on a date.

Every function resolves the customer through ``visible_customers`` and raises ``NotFound``
for a customer outside the viewer's scope. A customer without a membership row holds the
lowest tier of the active programme with zero figures.

"What keeps the tier until when" (``Keep``):

* a customer who qualifies for the held tier (or higher) keeps qualifying until
  ``holds_until``: the last day before the figures would fall short *if nothing more is
  bought*, i.e. as purchases leave the window and the days since the last purchase grow. It
  is found by re-evaluating the ladder on each day something changes (a purchase or growth
  entry dropping out of the window, a recency bound passing), from the customer's purchases
  in the current window: one small query per customer;
* ``downgrade_on`` is the first day a review could then move the customer down, given the
  policy: the lock, the protection months since the last upgrade and the grace months from
  the day of falling below (for a customer already below: from ``below_since``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet

from tiercard.accounts.models import User
from tiercard.core.errors import NotFound
from tiercard.core.prepared import Prepared
from tiercard.core.timeutils import business_today
from tiercard.customers.selectors import visible_customers
from tiercard.loyalty.models import GrowthEntry, Membership, TierChange
from tiercard.loyalty.services.state import (
    Active,
    active_programme,
    metrics_of,
    new_membership,
    window_start_instant,
)
from tiercard.sales.models import Purchase
from tiercard.tiers.benefits import Benefits
from tiercard.tiers.evaluation import Explanation, explain, qualified_tier
from tiercard.tiers.ladder import Ladder, Tier, recency_spans
from tiercard.tiers.metrics import Metrics
from tiercard.tiers.policy import DowngradePolicy
from tiercard.tiers.progress import Progress, progress
from tiercard.tiers.window import Window, add_months

HORIZON_DAYS = 366 * 6
"""Look-ahead for window drop-outs: longer than the longest window (60 months)."""


@dataclass(frozen=True)
class TierInfo:
    code: str
    name_zh: str
    name_en: str
    colour: str
    rank: int

    @classmethod
    def of(cls, tier: Tier) -> TierInfo:
        return cls(tier.code, tier.name_zh, tier.name_en, tier.colour, tier.rank)


@dataclass(frozen=True)
class Keep:
    """See the module docstring. ``None`` dates mean: nothing ends (the lowest tier)."""

    qualifies: bool
    holds_until: dt.date | None
    downgrade_on: dt.date | None


@dataclass(frozen=True)
class TierStatus:
    customer_id: int
    tier: TierInfo
    since: dt.datetime | None
    ladder_version: int
    qualified: TierInfo
    metrics: Metrics
    why: Explanation
    progress: Progress | None
    keep: Keep
    lock_until: dt.date | None
    override_reason: str
    override_by: str
    override_approved_by: str
    below_since: dt.date | None
    benefits: Benefits


def _visible(viewer: User, customer_id: int) -> None:
    if not visible_customers(viewer).filter(pk=customer_id).exists():
        raise NotFound()


_MEMBERSHIP = Prepared(
    lambda customer_id: (
        Membership.objects.select_related("override_by", "override_approved_by")
        .filter(pk=customer_id)
        .order_by("pk")[:1]
    )
)
"""The membership row with who overrode it: read on every card (compiled once)."""


def _row(customer_id: int, active: Active) -> Membership:
    found = _MEMBERSHIP.rows(customer_id)
    return found[0] if found else new_membership(customer_id, active)


def tier_status(
    viewer: User,
    customer_id: int,
    today: dt.date | None = None,
    *,
    in_scope: bool = False,
    active: Active | None = None,
) -> TierStatus:
    """The held tier with why, progress to the next tier and what keeps it until when.

    ``in_scope``: the caller read this customer through ``viewer``'s scope in the same request
    (the card page), so the scope query is not repeated; NotFound otherwise when out of scope.
    ``active``: the active programme when the caller has read it already (else read here)."""
    if not in_scope:
        _visible(viewer, customer_id)
    today = today or business_today()
    active = active or active_programme()
    programme = active.programme
    ladder = programme.ladder
    row = _row(customer_id, active)
    held = _held(ladder, row.tier)
    metrics = metrics_of(row, today)
    qualified = qualified_tier(ladder, metrics)
    return TierStatus(
        customer_id=customer_id,
        tier=TierInfo.of(held),
        since=None if row._state.adding else row.tier_since,
        ladder_version=row.ladder_version,
        qualified=TierInfo.of(qualified),
        metrics=metrics,
        why=explain(ladder, metrics, held),
        progress=progress(ladder, metrics, held),
        keep=_keep(row, held, qualified, active, today),
        lock_until=row.lock_until,
        override_reason=row.override_reason,
        override_by=row.override_by.username if row.override_by else "",
        override_approved_by=row.override_approved_by.username if row.override_approved_by else "",
        below_since=row.below_since,
        benefits=programme.benefits_of(held.code),
    )


def _held(ladder: Ladder, code: str) -> Tier:
    for tier in ladder.tiers:
        if tier.code == code:
            return tier
    return ladder.lowest  # a tier of an older version, until the next review regrades it


def _keep(row: Membership, held: Tier, qualified: Tier, active: Active, today: dt.date) -> Keep:
    ladder, policy = active.programme.ladder, active.programme.policy
    if held == ladder.lowest:
        return Keep(True, None, None)
    if ladder.index(qualified) >= ladder.index(held):
        lapse = first_lapse(row, held, active, today)
        if lapse is None:
            return Keep(True, None, None)
        return Keep(True, lapse - dt.timedelta(days=1), planned_downgrade(row, policy, lapse))
    below = row.below_since or today
    return Keep(False, None, planned_downgrade(row, policy, max(below, today), below))


def planned_downgrade(
    row: Membership, policy: DowngradePolicy, earliest: dt.date, below: dt.date | None = None
) -> dt.date:
    """First day from ``earliest`` on that lock, protection and grace all allow a downgrade."""
    below = below or earliest
    candidates = [earliest, add_months(below, policy.grace_months)]
    if row.lock_until is not None:
        candidates.append(row.lock_until + dt.timedelta(days=1))
    if row.upgraded_at is not None and policy.protected_months:
        # whole_months(upgraded, d) >= P exactly from add_months(upgraded, P) on.
        candidates.append(add_months(business_today(row.upgraded_at), policy.protected_months))
    return max(candidates)


def first_lapse(row: Membership, held: Tier, active: Active, today: dt.date) -> dt.date | None:
    """The first day after today on which the figures no longer reach ``held``."""
    programme = active.programme
    window, ladder = programme.window, programme.ladder
    start = window.start(today)
    purchases = [
        (business_today(at), total - returned)
        for at, total, returned in Purchase.objects.filter(
            customer_id=row.customer_id, occurred_at__gte=window_start_instant(start)
        ).values_list("occurred_at", "total", "returned_amount")
    ]
    growth = list(
        GrowthEntry.objects.filter(
            customer_id=row.customer_id, occurred_on__gte=start, occurred_on__lte=today
        ).values_list("occurred_on", "amount")
    )
    days = {
        d
        for d in (_leaves_window(window, p, today) for p, _ in [*purchases, *growth])
        if d is not None
    }
    days.update(_recency_ends(ladder, row.last_purchase_on, today))
    for day in sorted(days):
        figures = _figures_on(day, window, purchases, growth, row.last_purchase_on)
        if ladder.index(qualified_tier(ladder, figures)) < ladder.index(held):
            return day
    return None


def _leaves_window(window: Window, day: dt.date, today: dt.date) -> dt.date | None:
    """The first day after ``today`` whose window no longer holds ``day`` (bisection)."""
    lo, hi = today + dt.timedelta(days=1), today + dt.timedelta(days=HORIZON_DAYS)
    if window.start(hi) <= day:
        return None
    while lo < hi:
        mid = lo + (hi - lo) // 2
        if window.start(mid) > day:
            hi = mid
        else:
            lo = mid + dt.timedelta(days=1)
    return lo


def _recency_ends(ladder: Ladder, last: dt.date | None, today: dt.date) -> set[dt.date]:
    if last is None:
        return set()
    ends = (last + dt.timedelta(days=span) for span in recency_spans(ladder))
    return {end for end in ends if end > today}


def _figures_on(
    day: dt.date,
    window: Window,
    purchases: list[tuple[dt.date, Decimal]],
    growth: list[tuple[dt.date, int]],
    last: dt.date | None,
) -> Metrics:
    start = window.start(day)
    kept = [net for on, net in purchases if on >= start]
    return Metrics(
        spend=sum(kept, Decimal("0.00")),
        order_count=sum(1 for net in kept if net > 0),
        growth_value=sum(amount for on, amount in growth if on >= start),
        max_order=max([Decimal("0.00"), *kept]),
        days_since_last_purchase=None if last is None else (day - last).days,
    )


def tier_history(viewer: User, customer_id: int) -> QuerySet[TierChange]:
    """The customer's tier changes, newest first."""
    _visible(viewer, customer_id)
    return TierChange.objects.filter(customer_id=customer_id).order_by("-at", "-id")


def tier_on(viewer: User, customer_id: int, day: dt.date) -> str:
    """The tier held at the end of business day ``day``.

    The last change effective on or before ``day``; before the first change, the tier that
    change started from (the lowest tier of the active programme when there is no history).
    """
    _visible(viewer, customer_id)
    changes = TierChange.objects.filter(customer_id=customer_id)
    last = changes.filter(effective_on__lte=day).order_by("-effective_on", "-at", "-id").first()
    if last is not None:
        return last.to_tier
    first = changes.order_by("effective_on", "at", "id").first()
    if first is not None and first.from_tier:
        return first.from_tier
    return active_programme().programme.ladder.lowest.code


def tier_distribution(viewer: User) -> dict[str, int]:
    """Customers per tier among those the viewer sees, lowest tier first, zeros included.

    Customers without a membership row count in the lowest tier.
    """
    ladder = active_programme().programme.ladder
    counts = {tier.code: 0 for tier in ladder.tiers}
    grouped = (
        visible_customers(viewer)
        .order_by()
        .values("membership__tier")
        .annotate(n=Count("pk"))
        .values_list("membership__tier", "n")
    )
    for code, n in grouped:
        key = code or ladder.lowest.code
        counts[key] = counts.get(key, 0) + n
    return counts
