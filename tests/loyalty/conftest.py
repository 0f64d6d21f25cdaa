"""Fixtures of the loyalty tests. Each area keeps its fixtures in its own block."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum

from tests.loyalty.points_support import NOW
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.loyalty.models import (
    Membership,
    PointsAllocation,
    PointsEntry,
    PointsLot,
    Redemption,
    Reward,
    TierLadder,
)
from tiercard.loyalty.services.points import points_earn
from tiercard.loyalty.services.rewards import reward_create
from tiercard.loyalty.services.state import active_programme, membership_lock
from tiercard.sales import services as sales_services
from tiercard.sales.models import Purchase
from tiercard.tiers.programme import dump_programme

# --- Points and rewards (积分) ------------------------------------------------------------------

_versions = itertools.count(1000)


@pytest.fixture
def business_day() -> Iterator[None]:
    """The clock stopped at business day 2026-06-15, 10:00.

    Modules ask for it first (``pytest.mark.usefixtures``), so the fixtures that write are
    dated on that day too.
    """
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def points_rules(db: None) -> Callable[..., None]:
    """Activate a new programme version whose points rules differ from the active one's."""
    return activate_points_rules


def activate_points_rules(**changes: Any) -> None:
    """A new active programme version: the active one with ``changes`` to its points rules."""
    current = active_programme()
    rules = dataclasses.replace(current.programme.points, **changes)
    programme = dataclasses.replace(current.programme, points=rules)
    TierLadder.objects.filter(is_active=True).update(is_active=False)
    TierLadder.objects.create(
        # A number never used before in this process: parses may be cached by version.
        version=next(_versions),
        rules=dump_programme(programme),
        is_active=True,
    )


def _write_purchase(actor: User, customer: Customer, data: dict[str, Any]) -> Purchase:
    # The sales writer below the loyalty checkout: the purchase alone, no loyalty effects.
    with transaction.atomic():
        return sales_services.purchase_write(actor=actor, customer=customer, data=data).purchase


@pytest.fixture
def earn(users: dict[str, User]) -> Callable[..., Purchase]:
    """Record a purchase and earn its points the way checkout does (row locked, one transaction).

    ``at`` backdates the purchase (business-local text); ``today`` is the job's business day.
    """

    def make(
        customer: Customer,
        amount: str,
        *,
        at: str | None = None,
        today: dt.date | None = None,
        multiplier: str = "1",
        birthday: bool = False,
    ) -> Purchase:
        data: dict[str, Any] = {"lines": [{"item_name": "茶叶", "unit_price": amount}]}
        if at:
            data["occurred_at"] = at
        purchase = _write_purchase(users["admin"], customer, data)
        with transaction.atomic():
            active = active_programme()
            row = membership_lock(customer.pk, active)
            points_earn(
                row=row,
                active=active,
                purchase=purchase,
                amount=purchase.total,
                multiplier=Decimal(multiplier),
                birthday=birthday,
                actor=None,
                today=today or business_today(),
                tier=row.tier,
            )
        return purchase

    return make


@pytest.fixture
def make_reward(users: dict[str, User]) -> Callable[..., Reward]:
    def make(code: str = "tea", points_cost: int = 30, **data: Any) -> Reward:
        data.setdefault("name_zh", "茶叶礼盒")
        data.setdefault("name_en", "Tea gift box")
        return reward_create(
            actor=users["admin"], data={"code": code, "points_cost": points_cost, **data}
        )

    return make


def ledger_state(customer_id: int) -> dict[str, Any]:
    """Everything a points write touches, for "nothing changed" assertions."""
    row = Membership.objects.filter(pk=customer_id).values("points_balance", "points_owed").first()
    return {
        "member": row,
        "entries": list(PointsEntry.objects.order_by("id").values_list("id", "points")),
        "lots": list(PointsLot.objects.order_by("id").values_list("id", "remaining")),
        "allocations": PointsAllocation.objects.count(),
        "stock": list(Reward.objects.order_by("id").values_list("code", "stock")),
        "redemptions": list(Redemption.objects.order_by("id").values_list("id", "status")),
        "audit": AuditEvent.objects.count(),
    }


def assert_ledger_consistent(customer_id: int) -> None:
    """The ledger invariants: running sum, balance, lots and allocations all agree."""
    entries = list(
        PointsEntry.objects.filter(customer_id=customer_id)
        .order_by("id")
        .values_list("id", "points", "balance_after")
    )
    running = 0
    for _id, points, balance_after in entries:
        running += points
        assert balance_after == running >= 0
    row = Membership.objects.get(pk=customer_id)
    assert row.points_balance == running
    remaining = PointsLot.objects.filter(customer_id=customer_id).aggregate(n=Sum("remaining"))
    assert (remaining["n"] or 0) == running
    for entry in PointsEntry.objects.filter(customer_id=customer_id, points__lt=0):
        drawn = entry.allocations.aggregate(n=Sum("points"))["n"]
        assert drawn == -entry.points, entry
    for entry in PointsEntry.objects.filter(customer_id=customer_id, points__gt=0):
        assert entry.lot.points == entry.points


@pytest.fixture
def ledger_check() -> Callable[[int], None]:
    return assert_ledger_consistent


@pytest.fixture
def ledger_snapshot() -> Callable[[int], dict[str, Any]]:
    return ledger_state


# --- End of points and rewards -----------------------------------------------------------------
