"""Fixtures of the duplicate tests: two cards of one customer, each with history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import Sum

from tests.api.conftest import _fresh_cache, api, token_for  # noqa: F401 (shared fixtures)
from tests.web.conftest import login  # noqa: F401 (shared fixture)
from tiercard.accounts.models import User
from tiercard.cards.models import CardNote
from tiercard.cards.notes import note_add
from tiercard.customers.contact_persons import contact_add
from tiercard.customers.models import Contact, ContactPoint, Customer
from tiercard.interactions.models import Interaction
from tiercard.interactions.services import interaction_log
from tiercard.loyalty.models import GrowthEntry, Membership, PointsEntry, PointsLot, TierChange
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.sales.models import Purchase
from tiercard.servicedesk.models import ServiceTicket


def buy(actor: User, customer: Customer, amount: str) -> Purchase:
    data = {"lines": [{"item_name": "茶叶", "unit_price": amount}]}
    return purchase_record(actor=actor, customer_id=customer.pk, data=data).purchase


@dataclass
class Twins:
    survivor: Customer
    merged: Customer


@pytest.fixture
def twins(users: dict[str, User], make_customer: Callable[..., Customer]) -> Twins:
    """张伟 twice in rep_east1's book, sharing a phone: each card below 标准级 alone
    (one order each), together over it (2 orders, ¥2,500)."""
    admin = users["admin"]
    survivor = make_customer(
        "rep_east1", name="张伟", phones="13800001111", city="北京", tags="老客户"
    )
    merged = make_customer(
        "rep_east1",
        name="张伟",
        phones="138-0000-1111, 13900002222",
        emails="zw@example.com",
        city="北京市",
        wechat="zhangwei_88",
        tags="茶叶, 北京",
        address="朝阳区建国路 1 号",
    )
    buy(admin, survivor, "1500.00")
    buy(admin, merged, "1000.00")
    interaction_log(
        actor=users["rep_east1"],
        customer_id=merged.pk,
        data={"kind": "call", "summary": "问了新茶", "next_step": "寄样品"},
    )
    note_add(actor=users["rep_east1"], customer_id=merged.pk, body="喜欢普洱")
    contact_add(actor=users["rep_east1"], customer_id=merged.pk, data={"name": "小王"})
    return Twins(Customer.objects.get(pk=survivor.pk), Customer.objects.get(pk=merged.pk))


def world(*customer_ids: int) -> dict[str, Any]:
    """Everything a merge or an undo can touch, for equality and "nothing changed" checks."""
    ids = list(customer_ids)
    return {
        "cards": list(
            Customer.objects.filter(pk__in=ids)
            .order_by("pk")
            .values(
                "pk",
                "status",
                "merged_into",
                "order_count",
                "total_spend",
                "name",
                "address",
                "primary_phone",
                "version",
            )
        ),
        "purchases": sorted(
            Purchase.objects.filter(customer_id__in=ids).values_list("pk", "customer_id")
        ),
        "interactions": sorted(
            Interaction.objects.filter(customer_id__in=ids).values_list("pk", "customer_id")
        ),
        "tickets": sorted(
            ServiceTicket.objects.filter(customer_id__in=ids).values_list(
                "pk", "customer_id", "status", "assignee_id", "subject"
            )
        ),
        "notes": sorted(
            CardNote.objects.filter(customer_id__in=ids).values_list("pk", "customer_id")
        ),
        "contacts": sorted(
            Contact.objects.filter(customer_id__in=ids).values_list(
                "pk", "customer_id", "is_primary"
            )
        ),
        "points": sorted(
            ContactPoint.objects.filter(customer_id__in=ids).values_list(
                "customer_id", "kind", "normalized"
            )
        ),
        "tags": {
            pk: sorted(Customer.objects.get(pk=pk).tags.values_list("name", flat=True))
            for pk in ids
        },
        "members": list(
            Membership.objects.filter(pk__in=ids)
            .order_by("pk")
            .values(
                "pk",
                "tier",
                "points_balance",
                "points_owed",
                "win_spend",
                "win_orders",
                "growth_total",
            )
        ),
        "entries": PointsEntry.objects.count(),
        "growth": GrowthEntry.objects.count(),
        "tier_changes": TierChange.objects.count(),
        "lots": PointsLot.objects.aggregate(n=Sum("remaining"))["n"],
    }
