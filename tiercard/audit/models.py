"""The audit log: append-only rows of who did what, to which record, through which door."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    ARCHIVE = "archive", _("Archived")
    RESTORE = "restore", _("Restored")
    DELETE = "delete", _("Deleted")
    REVEAL = "reveal", _("Revealed personal data")
    EXPORT = "export", _("Exported")
    LOGIN = "login", _("Logged in")
    TOKEN = "token", _("API token")


class AuditEvent(models.Model):
    """One audited act. Never updated or deleted by the application.

    ``customer_id`` is a plain integer rather than a foreign key, so the trail of a customer
    outlives the customer row (erasure keeps the log, pseudonymised).
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    interface = models.CharField(max_length=16, default="system")  # web / api / cli / admin
    remote_addr = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)  # {field: [old, new]}
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer_id", "-at"], name="audit_customer_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"


INSERT_COLUMNS = (
    "at",
    "actor_id",
    "actor_label",
    "interface",
    "remote_addr",
    "action",
    "object_type",
    "object_id",
    "customer_id",
    "changes",
    "note",
)
"""The columns of an audit row written by a multi-row INSERT (the bulk customer and purchase
paths), in the order those writers build their tuples."""
