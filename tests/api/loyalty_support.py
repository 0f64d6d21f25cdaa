"""Helpers of the loyalty API tests: seeding points and a snapshot for "nothing changed"."""

from __future__ import annotations

from typing import Any

from tests.loyalty.points_support import give
from tiercard.audit.models import AuditEvent
from tiercard.loyalty.models import (
    BenefitCounter,
    BenefitUse,
    Membership,
    PointsEntry,
    PointsLot,
    Redemption,
    Reward,
    TierChange,
    TierLadder,
)
from tiercard.sales.models import Purchase, PurchaseReturn

__all__ = ["give", "loyalty_state"]


def loyalty_state() -> dict[str, Any]:
    """Every loyalty table a write could touch, plus the audit log."""
    return {
        "members": list(
            Membership.objects.order_by("pk").values_list(
                "pk",
                "tier",
                "lock_until",
                "override_reason",
                "points_balance",
                "points_owed",
                "win_spend",
                "win_orders",
                "growth_total",
            )
        ),
        "entries": list(PointsEntry.objects.order_by("id").values_list("id", "points")),
        "lots": list(PointsLot.objects.order_by("id").values_list("id", "remaining")),
        "redemptions": list(Redemption.objects.order_by("id").values_list("id", "status")),
        "rewards": list(
            Reward.objects.order_by("id").values_list(
                "code", "name_zh", "points_cost", "stock", "active", "valid_until"
            )
        ),
        "counters": list(BenefitCounter.objects.order_by("id").values_list("code", "used")),
        "uses": BenefitUse.objects.count(),
        "returns": PurchaseReturn.objects.count(),
        "returned": list(Purchase.objects.order_by("id").values_list("id", "returned_amount")),
        "changes": TierChange.objects.count(),
        "ladders": list(TierLadder.objects.order_by("version").values_list("version", "is_active")),
        "audit": AuditEvent.objects.count(),
    }
