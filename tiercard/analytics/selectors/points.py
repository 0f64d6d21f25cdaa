"""Points issued, redeemed and expired per month; points expiring in the next 30/60/90 days.

*Issued* is what purchases earned (before any reversal by returns); *redeemed* is net of
cancelled redemptions (a cancellation is a positive reversal entry, as in the customer's
points summary); *expired* is what the nightly expiry took. All three are positive numbers.
The expiry forecast is the loyalty selector's, over the same customers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from tiercard.accounts.models import User
from tiercard.analytics.periods import Month, instant_bucket, instant_range
from tiercard.analytics.scope import scoped
from tiercard.loyalty.models import EntryKind, PointsEntry
from tiercard.loyalty.selectors.points import PointsForecast, points_forecast


@dataclass(frozen=True)
class PointsFlow:
    issued: list[int]
    redeemed: list[int]
    expired: list[int]


def _sum(condition: Q) -> Coalesce:
    return Coalesce(Sum("points", filter=condition), 0)


def points_flow(viewer: User, months: list[Month]) -> PointsFlow:
    """One GROUP BY month over the ledger entries of the months."""
    rows = (
        scoped(PointsEntry.objects.filter(**instant_range("occurred_at", months)), viewer)
        .order_by()
        .annotate(m=instant_bucket("occurred_at", months))
        .values("m")
        .annotate(
            issued=_sum(Q(kind=EntryKind.EARN)),
            redeemed=_sum(Q(kind=EntryKind.REDEEM) | Q(kind=EntryKind.REVERSAL, points__gt=0)),
            expired=_sum(Q(kind=EntryKind.EXPIRE)),
        )
    )
    flow = PointsFlow([0] * len(months), [0] * len(months), [0] * len(months))
    for row in rows:
        flow.issued[row["m"]] += row["issued"]
        flow.redeemed[row["m"]] -= row["redeemed"]
        flow.expired[row["m"]] -= row["expired"]
    return flow


def points_expiring(viewer: User, today: dt.date) -> PointsForecast:
    """Points (and customers) expiring within 30, 60 and 90 days, cumulative. One query."""
    return points_forecast(viewer=viewer, today=today)
