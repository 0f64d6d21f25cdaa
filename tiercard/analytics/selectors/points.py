"""Points issued, redeemed and expired per month; points expiring in the next 30/60/90 days.

See ``rollup`` for the definitions. All figures are positive numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from tiercard.accounts.models import User
from tiercard.analytics.models import CurrentFigure, MonthlyFigure
from tiercard.analytics.periods import Month
from tiercard.analytics.scope import visible_groups
from tiercard.loyalty.selectors.points import HORIZONS, PointsForecast


@dataclass(frozen=True)
class PointsFlow:
    issued: list[int]
    redeemed: list[int]
    expired: list[int]


def points_flow(viewer: User, months: list[Month]) -> PointsFlow:
    index = {m.start: i for i, m in enumerate(months)}
    flow = PointsFlow([0] * len(months), [0] * len(months), [0] * len(months))
    rows = (
        visible_groups(MonthlyFigure.objects.filter(month__in=list(index)), viewer)
        .order_by()
        .values("month")
        .annotate(i=Sum("points_issued"), r=Sum("points_redeemed"), e=Sum("points_expired"))
    )
    for row in rows:
        i = index[row["month"]]
        flow.issued[i] += row["i"] or 0
        flow.redeemed[i] += row["r"] or 0
        flow.expired[i] += row["e"] or 0
    return flow


def points_expiring(viewer: User) -> PointsForecast:
    """Points (and customers) expiring within 30, 60 and 90 days of the refresh day."""
    sums = {f"p{d}": Sum(f"expiring_{d}") for d in HORIZONS}
    sums |= {f"c{d}": Sum(f"expiring_customers_{d}") for d in HORIZONS}
    row = visible_groups(CurrentFigure.objects.all(), viewer).aggregate(**sums)
    return PointsForecast(
        points={d: row[f"p{d}"] or 0 for d in HORIZONS},
        customers={d: row[f"c{d}"] or 0 for d in HORIZONS},
    )
