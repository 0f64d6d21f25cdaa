"""A points campaign at the till: the bonus of the purchase's business day and of the tier
held after the purchase's own upgrade; nothing outside its days or tiers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tiercard.loyalty.models import PointsEntry
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.state import active_programme
from tiercard.tiers.campaigns import Campaign

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _buy(users, customer, price: str, at: str, ref: str) -> int:
    data = {
        "external_ref": ref,
        "occurred_at": at,
        "lines": [{"item_name": "茶", "unit_price": price}],
    }
    made = purchase_record(actor=users["rep_east1"], customer_id=customer.pk, data=data).purchase
    return PointsEntry.objects.get(key=f"purchase:{made.pk}:earn").points


@time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=SHANGHAI), tick=False)
def test_the_campaign_of_the_purchase_day_and_tier_multiplies_the_points(users, book, points_rules):
    points_rules(
        campaigns=(
            Campaign("双11", dt.date(2026, 11, 1), dt.date(2026, 11, 11), Decimal("3")),
            Campaign("VIP周", dt.date(2026, 11, 12), dt.date(2026, 11, 18), Decimal("4"), ("vip",)),
        )
    )
    benefits = active_programme().programme.benefits_of
    basic, vip = benefits("basic").points_multiplier, benefits("vip").points_multiplier
    customer = book["east1"]

    assert _buy(users, customer, "100", "2026-11-11T23:30", "a") == int(100 * basic * 3)
    assert _buy(users, customer, "100", "2026-11-12T00:10", "b") == int(100 * basic)  # not VIP
    # The order that makes the customer VIP earns at VIP's multiplier and VIP week's bonus.
    assert _buy(users, customer, "10500", "2026-11-13T10:00", "c") == int(10500 * vip * 4)
    assert _buy(users, customer, "100", "2026-11-19T10:00", "d") == int(100 * vip)  # over
