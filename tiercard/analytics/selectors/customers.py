"""New customers per month, and customers who lapsed (no purchase for N days).

A customer *lapses* on the N-th day after their last purchase. ``lapsed`` per month counts the
customers who lapsed during that month and have not bought since (their last purchase is still
the one N days back); ``lapsed_now`` counts every customer whose last purchase is N or more days
ago. Customers who never bought and archived customers are not counted as lapsed. N is the
setting ``TIERCARD_LAPSED_DAYS``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count

from tiercard.accounts.models import User
from tiercard.analytics.periods import (
    Month,
    date_bucket,
    date_range,
    instant,
    instant_bucket,
    instant_range,
)
from tiercard.customers.models import CustomerStatus
from tiercard.customers.selectors import visible_customers


def lapsed_days() -> int:
    return int(getattr(settings, "TIERCARD_LAPSED_DAYS", 180))


@dataclass(frozen=True)
class CustomerFlow:
    new: list[int]
    lapsed: list[int]
    lapsed_now: int
    lapsed_days: int


def customer_flow(viewer: User, months: list[Month], today: dt.date) -> CustomerFlow:
    """Three queries, each a range on an indexed column (registration date, last purchase)."""
    days = lapsed_days()
    visible = visible_customers(viewer).order_by()
    new = [0] * len(months)
    registered = (
        visible.filter(**date_range("registered_on", months))
        .annotate(m=date_bucket("registered_on", months))
        .values("m")
        .annotate(n=Count("pk"))
    )
    for row in registered:
        new[row["m"]] += row["n"]
    # Lapsed on day D = last purchase before the start of day D - N + 1. Up to today only.
    not_since = instant(today - dt.timedelta(days=days - 1))
    active = visible.exclude(status=CustomerStatus.ARCHIVED)
    lapsed = [0] * len(months)
    went = (
        active.filter(**instant_range("last_purchase_at", months, shift=days))
        .filter(last_purchase_at__lt=not_since)
        .annotate(m=instant_bucket("last_purchase_at", months, shift=days))
        .values("m")
        .annotate(n=Count("pk"))
    )
    for row in went:
        lapsed[row["m"]] += row["n"]
    now = active.filter(last_purchase_at__lt=not_since).count()
    return CustomerFlow(new, lapsed, now, days)
