"""Helpers of the points tests: the business day they run on, and points given by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.loyalty.tiers_support import TODAY
from tiercard.accounts.models import User
from tiercard.customers.models import Customer
from tiercard.loyalty.models import PointsEntry
from tiercard.loyalty.services.points import points_adjust

__all__ = ["NOW", "SHANGHAI", "TODAY", "give"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime.combine(TODAY, dt.time(10), tzinfo=SHANGHAI)  # business day TODAY, 10:00


def give(users: dict[str, User], customer: Customer, points: int, key: str = "seed") -> PointsEntry:
    """An administrator's manual adjustment of ``points`` (the simplest way to fund a balance)."""
    return points_adjust(
        actor=users["admin"], customer_id=customer.pk, points=points, reason="赠送", key=key
    )
