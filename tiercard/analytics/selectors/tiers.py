"""Customers per tier, revenue and buying customers by tier per month, tier migrations.

"By tier" means the tier the customer holds **today** (``Membership.tier``), not the tier held
on the day of each purchase: reading the tier at each purchase from the tier history would be a
correlated lookup per purchase, ten million of them at full size. The page says so.

Revenue is net of returns (``total − returned_amount``), counted in the month of the purchase.
Customers without a membership row hold the lowest tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from tiercard.accounts.models import User
from tiercard.analytics.periods import Month, date_bucket, date_range, instant_bucket, instant_range
from tiercard.analytics.scope import scoped
from tiercard.core.money import quantize
from tiercard.loyalty.models import TierChange
from tiercard.loyalty.selectors.tiers import tier_distribution
from tiercard.sales.models import Purchase
from tiercard.tiers.ladder import Ladder

MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)


def tier_counts(viewer: User) -> dict[str, int]:
    """Customers per tier held today, lowest tier first (the loyalty selector, one query)."""
    return tier_distribution(viewer)


@dataclass(frozen=True)
class TierMonthly:
    """Per tier code, one value per month (oldest first)."""

    revenue: dict[str, list[Decimal]]
    buyers: dict[str, list[int]]  # customers with at least one purchase in the month
    orders: dict[str, list[int]]


def revenue_by_tier(viewer: User, months: list[Month], ladder: Ladder) -> TierMonthly:
    """One GROUP BY over the purchases of the months (range on the ``occurred_at`` index)."""
    lowest = ladder.lowest.code
    codes = [t.code for t in ladder.tiers]
    revenue = {c: [Decimal("0.00")] * len(months) for c in codes}
    buyers = {c: [0] * len(months) for c in codes}
    orders = {c: [0] * len(months) for c in codes}
    rows = (
        scoped(Purchase.objects.filter(**instant_range("occurred_at", months)), viewer)
        .order_by()
        .annotate(m=instant_bucket("occurred_at", months), t=F("customer__membership__tier"))
        .values("m", "t")
        .annotate(
            net=Sum(F("total") - F("returned_amount"), output_field=MONEY),
            buyers=Count("customer_id", distinct=True),
            n=Count("pk"),
        )
    )
    for row in rows:
        code = row["t"] or lowest
        if code not in revenue:  # a tier of an earlier ladder, still held by someone
            revenue[code] = [Decimal("0.00")] * len(months)
            buyers[code] = [0] * len(months)
            orders[code] = [0] * len(months)
        revenue[code][row["m"]] += quantize(Decimal(row["net"] or 0))
        buyers[code][row["m"]] += row["buyers"]
        orders[code][row["m"]] += row["n"]
    return TierMonthly(revenue, buyers, orders)


@dataclass(frozen=True)
class Migrations:
    upgrades: list[int]
    downgrades: list[int]


def _position(field: str, ladder: Ladder) -> Case:
    whens = [When(**{field: t.code}, then=Value(i)) for i, t in enumerate(ladder.tiers)]
    return Case(*whens, default=Value(None), output_field=IntegerField())


def tier_migrations(viewer: User, months: list[Month], ladder: Ladder) -> Migrations:
    """Moves up and down the ladder per month, by the day they took effect. One query.

    The direction is read from the positions of both tiers in the active ladder; joining the
    programme (no previous tier) and moves between tiers the ladder no longer has count as
    neither.
    """
    rows = (
        scoped(TierChange.objects.filter(**date_range("effective_on", months)), viewer)
        .exclude(from_tier="")
        .order_by()
        .annotate(
            m=date_bucket("effective_on", months),
            was=_position("from_tier", ladder),
            now=_position("to_tier", ladder),
        )
        .values("m")
        .annotate(
            up=Coalesce(Count("pk", filter=Q(now__gt=F("was"))), 0),
            down=Coalesce(Count("pk", filter=Q(now__lt=F("was"))), 0),
        )
    )
    upgrades = [0] * len(months)
    downgrades = [0] * len(months)
    for row in rows:
        upgrades[row["m"]] += row["up"]
        downgrades[row["m"]] += row["down"]
    return Migrations(upgrades, downgrades)
