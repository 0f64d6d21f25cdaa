"""Outgoing messages (tier upgrades, downgrade warnings, expiring points), delivered after commit.

A message is written in the same transaction as the change it announces and sent later by the
delivery task, never inside a transaction. ``key`` is unique, so a re-run job cannot queue the
same message twice (e.g. ``downgrade_warning:<customer>:<planned date>``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    TIER_UPGRADE = "tier_upgrade", _("Tier upgrade")
    DOWNGRADE_WARNING = "downgrade_warning", _("Downgrade warning")
    TIER_DOWNGRADE = "tier_downgrade", _("Tier downgrade")
    TIER_RULE_CHANGE = "tier_rule_change", _("Tier after a programme change")
    POINTS_EXPIRING = "points_expiring", _("Points expiring")
    BIRTHDAY_GIFT = "birthday_gift", _("Birthday gift")
    TICKET_RECEIVED = "ticket_received", _("Service ticket received")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (no address or no consent)")


class OutboxMessage(models.Model):
    key = models.CharField(max_length=120)  # unique: Meta.constraints (core.unique_keys)
    kind = models.CharField(max_length=24, choices=MessageKind.choices)
    customer_id = models.BigIntegerField(db_index=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=Q(status="pending"), name="outbox_pending")
        ]
        constraints = [models.UniqueConstraint(fields=["key"], name="outbox_key_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id} {self.status}"
