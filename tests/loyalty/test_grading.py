"""Upgrade on activity: the purchase that crosses a threshold counts, nothing ever goes down."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.loyalty.tiers_support import TODAY, member
from tiercard.loyalty.models import ChangeReason, Membership, TierChange
from tiercard.loyalty.services.grading import tier_after_activity
from tiercard.loyalty.services.state import active_programme
from tiercard.outbox.models import MessageKind, OutboxMessage
from tiercard.sales.models import Purchase

pytestmark = pytest.mark.django_db


def test_crossing_a_threshold_upgrades_at_once_with_full_history(users, book):
    customer = book["east1"]
    purchase = Purchase.objects.create(
        customer=customer, subtotal=Decimal("1500.00"), total=Decimal("1500.00")
    )
    # The checkout already added this purchase: 2 orders, 2500.00 in the window.
    row = member(customer, "basic", spend="2500.00", orders=2, max_order="1500.00", last=TODAY)
    row.below_since, row.warned_for = TODAY, TODAY
    row.save()
    active = active_programme()
    before = timezone.now()

    change = tier_after_activity(
        row=row, active=active, today=TODAY, actor=users["rep_east1"], purchase=purchase
    )

    assert change is not None
    change.refresh_from_db()
    assert (change.customer_id, change.from_tier, change.to_tier) == (
        customer.pk,
        "basic",
        "standard",
    )
    assert change.reason == ChangeReason.AUTO_UPGRADE
    assert change.effective_on == TODAY and change.at >= before
    assert change.ladder_version == active.version
    assert change.purchase_id == purchase.pk and change.actor_id == users["rep_east1"].pk
    assert change.metrics == {
        "spend": "2500.00",
        "order_count": 2,
        "growth_value": 0,
        "max_order": "1500.00",
        "days_since_last_purchase": 0,
    }
    row = Membership.objects.get(pk=customer.pk)
    assert row.tier == "standard" and row.upgraded_at == change.at == row.tier_since
    assert row.below_since is None and row.warned_for is None
    message = OutboxMessage.objects.get()
    assert message.key == f"tier_upgrade:{change.pk}"
    assert message.kind == MessageKind.TIER_UPGRADE and message.customer_id == customer.pk
    assert message.payload["to_tier"] == "standard" and message.payload["from_tier"] == "basic"


def test_one_large_order_jumps_straight_to_vip(users, book):
    row = member(
        book["east1"], "basic", spend="12000.00", orders=1, max_order="12000.00", last=TODAY
    )
    change = tier_after_activity(
        row=row, active=active_programme(), today=TODAY, actor=None, purchase=None
    )
    assert change is not None and change.to_tier == "vip" and change.actor_id is None


@pytest.mark.parametrize(
    ("tier", "figures"),
    [
        ("basic", {"spend": "1999.99", "orders": 5}),  # just short of standard
        ("standard", {"spend": "2000.00", "orders": 2}),  # already there
        ("vip", {}),  # far below: a purchase never downgrades
    ],
)
def test_no_upgrade_writes_nothing(users, book, tier, figures):
    row = member(book["east1"], tier, last=TODAY, **figures)
    assert (
        tier_after_activity(
            row=row, active=active_programme(), today=TODAY, actor=None, purchase=None
        )
        is None
    )
    assert Membership.objects.get(pk=row.pk).tier == tier
    assert not TierChange.objects.exists() and not OutboxMessage.objects.exists()
