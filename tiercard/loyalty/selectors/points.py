"""Reads of points: a customer's ledger and summary, the expiry forecast, the liability, rewards.

Every read of customer data is scoped through ``visible_customers``: one customer out of the
viewer's scope is ``NotFound``; totals cover only the customers the viewer may see. Totals are
aggregates in the database (a fixed, small number of queries), never a loop over customers.

"Expiring within N days" counts open lots whose last day is from ``today`` to ``today + N``
inclusive (cumulative: the 60-day figure includes the 30-day one). Lots whose last day has
already passed but that the nightly job has not yet expired are *overdue*: still in the
balance, no longer redeemable, and not part of the liability.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from tiercard.accounts.models import User
from tiercard.accounts.policy import is_active
from tiercard.core.money import quantize
from tiercard.customers.selectors import customer_ensure_visible, visible_customers
from tiercard.loyalty.models import EntryKind, Membership, PointsEntry, PointsLot, Reward
from tiercard.loyalty.services.state import active_programme

HORIZONS = (30, 60, 90)
MAX_PAGE = 200


@dataclass(frozen=True)
class LedgerPage:
    entries: list[PointsEntry]
    next_cursor: int | None  # pass back as ``cursor`` for the next (older) page


def points_ledger(
    *, viewer: User, customer_id: int, cursor: int | None = None, limit: int = 50
) -> LedgerPage:
    """A customer's entries, newest first, ``limit`` (1..200) at a time (keyset on id); each
    annotated ``is_reversed`` (a reversal names it)."""
    customer_ensure_visible(viewer=viewer, customer_id=customer_id)
    limit = max(1, min(limit, MAX_PAGE))
    reversed_ = PointsEntry.objects.filter(reverses=OuterRef("pk"))
    entries = (
        PointsEntry.objects.filter(customer_id=customer_id)
        .annotate(is_reversed=Exists(reversed_))
        .order_by("-id")
    )
    if cursor is not None:
        entries = entries.filter(id__lt=cursor)
    rows: list[PointsEntry] = list(entries.select_related("actor")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return LedgerPage(rows, rows[-1].pk if more else None)


def _zero(expr: Sum) -> Coalesce:
    return Coalesce(expr, 0)


def _expiring(today: dt.date, prefix: str = "") -> dict[str, Coalesce]:
    """Conditional sums of open lots' points expiring within each horizon."""
    return {
        f"in_{days}": _zero(
            Sum(
                f"{prefix}remaining",
                filter=Q(
                    **{
                        f"{prefix}expires_on__gte": today,
                        f"{prefix}expires_on__lte": today + dt.timedelta(days=days),
                    }
                ),
            )
        )
        for days in HORIZONS
    }


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    owed: int  # taken back by returns beyond the balance; settled from future earns
    overdue: int  # past their last day, awaiting the nightly expiry
    usable: int  # balance - overdue: what can be redeemed today
    expiring: dict[int, int]  # {30: n, 60: n, 90: n}, cumulative
    next_expiry: dt.date | None
    next_expiry_points: int
    earned: int
    reversed: int  # taken back by returns (and settled debt)
    redeemed: int  # net of cancelled redemptions
    expired: int
    adjusted: int  # net manual adjustments

    # earned − reversed − redeemed − expired + adjusted = balance


def points_summary(*, viewer: User, customer_id: int, today: dt.date) -> PointsSummary:
    """One customer's points at a glance. Four indexed single-customer queries."""
    customer_ensure_visible(viewer=viewer, customer_id=customer_id)
    member = (
        Membership.objects.filter(pk=customer_id)
        .values_list("points_balance", "points_owed")
        .first()
    )
    balance, owed = member or (0, 0)
    lots = PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0).aggregate(
        overdue=_zero(Sum("remaining", filter=Q(expires_on__lt=today))),
        next_expiry=Min("expires_on", filter=Q(expires_on__gte=today)),
        **_expiring(today),
    )
    next_expiry: dt.date | None = lots["next_expiry"]
    next_points = 0
    if next_expiry is not None:
        next_points = PointsLot.objects.filter(
            customer_id=customer_id, remaining__gt=0, expires_on=next_expiry
        ).aggregate(n=_zero(Sum("remaining")))["n"]
    kind = {k: Q(kind=k) for k in EntryKind}
    totals = PointsEntry.objects.filter(customer_id=customer_id).aggregate(
        earned=_zero(Sum("points", filter=kind[EntryKind.EARN])),
        reversed=_zero(Sum("points", filter=kind[EntryKind.REVERSAL] & Q(points__lt=0))),
        redeemed=_zero(
            Sum(
                "points",
                filter=kind[EntryKind.REDEEM] | (kind[EntryKind.REVERSAL] & Q(points__gt=0)),
            )
        ),
        expired=_zero(Sum("points", filter=kind[EntryKind.EXPIRE])),
        adjusted=_zero(Sum("points", filter=kind[EntryKind.ADJUST])),
    )
    return PointsSummary(
        balance=balance,
        owed=owed,
        overdue=lots["overdue"],
        usable=balance - lots["overdue"],
        expiring={days: lots[f"in_{days}"] for days in HORIZONS},
        next_expiry=next_expiry,
        next_expiry_points=next_points,
        earned=totals["earned"],
        reversed=-totals["reversed"],
        redeemed=-totals["redeemed"],
        expired=-totals["expired"],
        adjusted=totals["adjusted"],
    )


@dataclass(frozen=True)
class PointsForecast:
    points: dict[int, int]  # {30: n, 60: n, 90: n}: points expiring within, cumulative
    customers: dict[int, int]  # customers with points expiring within each horizon


def points_forecast(*, viewer: User, today: dt.date) -> PointsForecast:
    """Points expiring in the next 30/60/90 days over the viewer's customers: one query."""
    customers = {
        f"c_{days}": Count(
            "customer_id",
            distinct=True,
            filter=Q(expires_on__lte=today + dt.timedelta(days=days)),
        )
        for days in HORIZONS
    }
    figures = PointsLot.objects.filter(
        customer__in=visible_customers(viewer),
        remaining__gt=0,
        expires_on__gte=today,
        expires_on__lte=today + dt.timedelta(days=max(HORIZONS)),
    ).aggregate(**_expiring(today), **customers)
    return PointsForecast(
        points={days: figures[f"in_{days}"] for days in HORIZONS},
        customers={days: figures[f"c_{days}"] for days in HORIZONS},
    )


@dataclass(frozen=True)
class PointsLiability:
    points: int  # outstanding: balances less overdue points
    value: Decimal  # CNY, at the active programme's point value, rounded to cents
    point_value: Decimal
    customers: int  # customers holding points
    owed: int  # points owed by customers (returns beyond their balance)


def points_liability(*, viewer: User, today: dt.date) -> PointsLiability:
    """What the viewer's customers could still redeem, and what it is worth: two queries."""
    visible = visible_customers(viewer)
    members = Membership.objects.filter(customer__in=visible).aggregate(
        balance=_zero(Sum("points_balance")),
        owed=_zero(Sum("points_owed")),
        customers=Count("pk", filter=Q(points_balance__gt=0)),
    )
    overdue = PointsLot.objects.filter(
        customer__in=visible, remaining__gt=0, expires_on__lt=today
    ).aggregate(n=_zero(Sum("remaining")))["n"]
    points = members["balance"] - overdue
    point_value = active_programme().programme.points.point_value
    return PointsLiability(
        points=points,
        value=quantize(Decimal(points) * point_value),
        point_value=point_value,
        customers=members["customers"],
        owed=members["owed"],
    )


@dataclass(frozen=True)
class RewardOffer:
    reward: Reward
    in_stock: bool


def rewards_on_offer(today: dt.date) -> QuerySet[Reward]:
    """Active rewards whose validity includes ``today``, cheapest first."""
    return Reward.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        active=True,
    ).order_by("points_cost", "code")


def reward_catalogue(*, viewer: User, today: dt.date) -> list[RewardOffer]:
    """The rewards a signed-in user can offer today, each with whether it is in stock."""
    if not is_active(viewer):
        return []
    return [
        RewardOffer(reward, reward.stock is None or reward.stock > 0)
        for reward in rewards_on_offer(today)
    ]
