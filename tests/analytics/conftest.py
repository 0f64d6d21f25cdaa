"""A small book of customers with every kind of row the dashboard counts, dated by hand.

The clock stands at 2026-06-15 10:00 in Shanghai, so the dashboard's twelve months run from
July 2025 to June 2026. Owners: 甲 and 乙 belong to ``rep_east1``, 丙, 丁 and 戊 (archived)
to ``rep_south``. Each number the tests expect is worked out next to the rows it comes from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tiercard.accounts.models import User
from tiercard.analytics.rollup import dashboard_refresh
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.loyalty.models import EntryKind, Membership, PointsEntry, PointsLot, TierChange
from tiercard.loyalty.services.state import active_programme
from tiercard.sales.models import Purchase

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
LAPSED_DAYS = 30


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A Shanghai wall-clock time."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def lapse_after_30_days(settings: Any) -> None:
    settings.TIERCARD_LAPSED_DAYS = LAPSED_DAYS


def _purchase(customer: Customer, when: dt.datetime, total: str, returned: str = "0") -> Purchase:
    amount = Decimal(total)
    return Purchase.objects.create(
        customer=customer,
        occurred_at=when,
        subtotal=amount,
        total=amount,
        returned_amount=Decimal(returned),
    )


def _entry(
    customer: Customer, kind: str, points: int, balance: int, when: dt.datetime, key: str
) -> PointsEntry:
    return PointsEntry.objects.create(
        customer=customer,
        kind=kind,
        points=points,
        balance_after=balance,
        occurred_at=when,
        key=key,
    )


def _lot(entry: PointsEntry, remaining: int, expires: str) -> PointsLot:
    return PointsLot.objects.create(
        entry=entry,
        customer_id=entry.customer_id,
        points=entry.points,
        remaining=remaining,
        earned_on=entry.occurred_at.date(),
        expires_on=dt.date.fromisoformat(expires),
    )


def _change(customer: Customer, was: str, now: str, on: str) -> TierChange:
    return TierChange.objects.create(
        customer=customer,
        effective_on=dt.date.fromisoformat(on),
        at=at(on),
        from_tier=was,
        to_tier=now,
        reason="manual",
        ladder_version=active_programme().version,
    )


def _follow_up(customer: Customer, occurred: str, due: str, step: str = "回访") -> Interaction:
    return Interaction.objects.create(
        customer=customer,
        kind="call",
        occurred_at=at(occurred),
        summary="电话沟通",
        next_step=step,
        next_step_due=dt.date.fromisoformat(due),
    )


@pytest.fixture
def world(clock: None, make_customer: Callable[..., Customer]) -> dict[str, Customer]:
    version = active_programme().version
    jia = make_customer("rep_east1", name="甲")
    yi = make_customer("rep_east1", name="乙")
    bing = make_customer("rep_south", name="丙")
    ding = make_customer("rep_south", name="丁")
    wu = make_customer("rep_south", name="戊")

    # Tiers held today: 甲 vip, 丙 standard, 丁 premium; 乙 and 戊 have no membership (basic).
    Membership.objects.create(customer=jia, tier="vip", ladder_version=version)
    Membership.objects.create(customer=bing, tier="standard", ladder_version=version)
    Membership.objects.create(customer=ding, tier="premium", ladder_version=version)

    # Revenue (net of returns), by the Shanghai month of the purchase:
    #   甲 vip: June 100−20 + 30 (00:30 on 1 June, still 31 May in UTC) = 110, 2 orders;
    #           May 50 (23:30 on 31 May).
    #   乙 basic: June 200; a purchase of 30 June 2025 lies before the twelve months.
    #   丙 standard: June 500.
    _purchase(jia, at("2026-06-01"), "100", returned="20")
    _purchase(jia, at("2026-06-01", 0, 30), "30")
    _purchase(jia, at("2026-05-31", 23, 30), "50")
    _purchase(yi, at("2026-06-10"), "200")
    _purchase(yi, at("2025-06-30"), "999")
    _purchase(bing, at("2026-06-05"), "500")

    # Migrations: March 1 up (甲); June 1 up (甲) and 1 down (丙). Joining counts as neither;
    # a move before the twelve months is not counted.
    _change(jia, "basic", "standard", "2026-03-10")
    _change(jia, "standard", "vip", "2026-06-02")
    _change(bing, "premium", "standard", "2026-06-03")
    _change(bing, "", "basic", "2026-01-01")
    _change(yi, "vip", "basic", "2025-06-30")

    # New customers: July 2025 (乙, the first day of the first month) and June 2026 (甲);
    # 丙 registered before the twelve months. 丁 and 戊 in February.
    Customer.objects.filter(pk=jia.pk).update(registered_on=dt.date(2026, 6, 1))
    Customer.objects.filter(pk=yi.pk).update(registered_on=dt.date(2025, 7, 1))
    Customer.objects.filter(pk=bing.pk).update(registered_on=dt.date(2025, 6, 30))
    Customer.objects.filter(pk__in=[ding.pk, wu.pk]).update(registered_on=dt.date(2026, 2, 14))

    # Lapsed after 30 days without a purchase: 乙 (last bought 20 April) lapsed on 20 May;
    # 丙 (16 May) lapses today, 15 June; 丁 (17 May) only tomorrow; 甲 bought this month.
    # 戊 is archived and never counts.
    last = {jia: "2026-06-01", yi: "2026-04-20", bing: "2026-05-16", ding: "2026-05-17"}
    for customer, day in last.items():
        Customer.objects.filter(pk=customer.pk).update(last_purchase_at=at(day))
    Customer.objects.filter(pk=wu.pk).update(last_purchase_at=at("2026-01-01"), status="archived")

    # Points: May 甲 earns 50; June 甲 earns 100, redeems 30, 10 of it cancelled (+10
    # reversal), 5 expire, and a return takes 20 back (a negative reversal: not "redeemed");
    # 丙 earns 500 in June. Expiring lots: 甲 40 on 1 July (16 days) and 25 on 20 August
    # (66 days); 丙 100 on 20 June (5 days).
    may = _entry(jia, EntryKind.EARN, 50, 50, at("2026-05-10"), "t:1")
    june = _entry(jia, EntryKind.EARN, 100, 150, at("2026-06-01"), "t:2")
    _entry(jia, EntryKind.REDEEM, -30, 120, at("2026-06-02"), "t:3")
    _entry(jia, EntryKind.REVERSAL, 10, 130, at("2026-06-03"), "t:4")
    _entry(jia, EntryKind.EXPIRE, -5, 125, at("2026-06-04"), "t:5")
    _entry(jia, EntryKind.REVERSAL, -20, 105, at("2026-06-05"), "t:6")
    south = _entry(bing, EntryKind.EARN, 500, 500, at("2026-06-05"), "t:7")
    _lot(may, 40, "2026-07-01")
    _lot(june, 25, "2026-08-20")
    _lot(south, 100, "2026-06-20")

    # Follow-ups: 甲 due today; 乙 due 5 June (overdue), and an earlier one of 乙's that the
    # later call settled; 丙 due today; 丁 due 1 May, beyond the 30 days looked back.
    _follow_up(jia, "2026-06-10", "2026-06-15", "送生日礼物")
    _follow_up(yi, "2026-05-20", "2026-05-25")
    _follow_up(yi, "2026-06-01", "2026-06-05", "确认报价")
    _follow_up(bing, "2026-06-12", "2026-06-15")
    _follow_up(ding, "2026-04-01", "2026-05-01")
    return {"jia": jia, "yi": yi, "bing": bing, "ding": ding, "wu": wu}


@pytest.fixture
def refreshed(world: dict[str, Customer]) -> dict[str, Customer]:
    """The world, with the dashboard's figures computed for today."""
    dashboard_refresh(TODAY)
    return world


def by_key(months: list[Any], values: list[Any]) -> dict[str, Any]:
    """Non-zero values by month key (``2026-06``), for compact expectations."""
    return {m.key: v for m, v in zip(months, values, strict=True) if v}


__all__ = ["LAPSED_DAYS", "TODAY", "User", "at", "by_key"]
