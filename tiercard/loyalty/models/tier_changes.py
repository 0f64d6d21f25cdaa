"""Tier history: every change of a customer's tier, with the why.

Append-only. ``metrics`` is the snapshot the decision was made on (window figures, growth
value, days since the last purchase), ``ladder_version`` the rules it was made under. The tier
a customer held on a past day is the ``to_tier`` of their last change on or before that day.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.customers.models import Customer
from tiercard.sales.models import Purchase


class ChangeReason(models.TextChoices):
    JOINED = "joined", _("Joined")
    AUTO_UPGRADE = "auto_upgrade", _("Automatic upgrade")
    REVIEW_UPGRADE = "review_upgrade", _("Upgrade at review")
    REVIEW_DOWNGRADE = "review_downgrade", _("Downgrade at review")
    MANUAL = "manual", _("Manual override")
    RULE_CHANGE = "rule_change", _("Rule change")


class TierChange(models.Model):
    # Indexed by ``tier_change_customer_at`` (customer first): another index only costs writes.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    at = models.DateTimeField(default=timezone.now)
    effective_on = models.DateField()
    from_tier = models.CharField(max_length=32, blank=True)
    to_tier = models.CharField(max_length=32)
    reason = models.CharField(max_length=20, choices=ChangeReason.choices)
    ladder_version = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict)
    purchase = models.ForeignKey(
        Purchase, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at", "-id"], name="tier_change_customer_at"),
            models.Index(fields=["effective_on"], name="tier_change_on"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.from_tier}→{self.to_tier}"
