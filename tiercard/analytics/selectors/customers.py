"""New customers per month, and customers who lapsed (see ``rollup`` for the definitions)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from tiercard.accounts.models import User
from tiercard.analytics.models import CurrentFigure, MonthlyFigure
from tiercard.analytics.periods import Month
from tiercard.analytics.scope import visible_groups


@dataclass(frozen=True)
class CustomerFlow:
    new: list[int]
    lapsed: list[int]  # lapsed in the month, and not back since
    lapsed_now: int
    lapsed_days: int


def customer_flow(viewer: User, months: list[Month], lapsed_days: int) -> CustomerFlow:
    """Two small queries over the precomputed figures of the viewer's groups."""
    index = {m.start: i for i, m in enumerate(months)}
    new = [0] * len(months)
    lapsed = [0] * len(months)
    rows = (
        visible_groups(MonthlyFigure.objects.filter(month__in=list(index)), viewer)
        .order_by()
        .values("month")
        .annotate(n=Sum("new_customers"), gone=Sum("lapsed"))
    )
    for row in rows:
        new[index[row["month"]]] += row["n"] or 0
        lapsed[index[row["month"]]] += row["gone"] or 0
    now = visible_groups(CurrentFigure.objects.all(), viewer).aggregate(n=Sum("lapsed"))["n"]
    return CustomerFlow(new, lapsed, now or 0, lapsed_days)
