"""Customers per tier, revenue and buying customers by tier per month, tier migrations.

Read from the precomputed figures (``tiercard.analytics.rollup`` says how they are made and
what they mean), summed over the groups of customers the viewer sees. "By tier" is the tier
each customer held on the day of the refresh. One small query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from tiercard.accounts.models import User
from tiercard.analytics.models import CurrentFigure, MonthlyFigure
from tiercard.analytics.periods import Month
from tiercard.analytics.scope import visible_groups
from tiercard.tiers.ladder import Ladder


def tier_counts(viewer: User, ladder: Ladder) -> dict[str, int]:
    """Customers per tier held, lowest tier first, zeros included (then any older code)."""
    counts = {tier.code: 0 for tier in ladder.tiers}
    rows = (
        visible_groups(CurrentFigure.objects.all(), viewer)
        .order_by()
        .values("tier")
        .annotate(n=Sum("customers"))
    )
    for row in rows:
        counts[row["tier"]] = counts.get(row["tier"], 0) + (row["n"] or 0)
    return counts


@dataclass(frozen=True)
class TierMonthly:
    """Per tier code, one value per month (oldest first)."""

    revenue: dict[str, list[Decimal]]
    buyers: dict[str, list[int]]  # customers with at least one purchase in the month
    orders: dict[str, list[int]]


def revenue_by_tier(viewer: User, months: list[Month], ladder: Ladder) -> TierMonthly:
    index = {m.start: i for i, m in enumerate(months)}
    codes = [t.code for t in ladder.tiers]
    revenue = {c: [Decimal("0.00")] * len(months) for c in codes}
    buyers = {c: [0] * len(months) for c in codes}
    orders = {c: [0] * len(months) for c in codes}
    rows = (
        visible_groups(MonthlyFigure.objects.filter(month__in=list(index), orders__gt=0), viewer)
        .order_by()
        .values("month", "tier")
        .annotate(r=Sum("revenue"), b=Sum("buyers"), n=Sum("orders"))
    )
    for row in rows:
        code, i = row["tier"], index[row["month"]]
        if code not in revenue:  # a tier of an earlier ladder, still held by someone
            revenue[code] = [Decimal("0.00")] * len(months)
            buyers[code] = [0] * len(months)
            orders[code] = [0] * len(months)
        revenue[code][i] += Decimal(row["r"] or 0)
        buyers[code][i] += row["b"] or 0
        orders[code][i] += row["n"] or 0
    return TierMonthly(revenue, buyers, orders)


@dataclass(frozen=True)
class Migrations:
    upgrades: list[int]
    downgrades: list[int]


def tier_migrations(viewer: User, months: list[Month]) -> Migrations:
    """Moves up and down the ladder per month (by the day they took effect)."""
    index = {m.start: i for i, m in enumerate(months)}
    upgrades = [0] * len(months)
    downgrades = [0] * len(months)
    rows = (
        visible_groups(MonthlyFigure.objects.filter(month__in=list(index)), viewer)
        .order_by()
        .values("month")
        .annotate(up=Sum("upgrades"), down=Sum("downgrades"))
    )
    for row in rows:
        upgrades[index[row["month"]]] += row["up"] or 0
        downgrades[index[row["month"]]] += row["down"] or 0
    return Migrations(upgrades, downgrades)
