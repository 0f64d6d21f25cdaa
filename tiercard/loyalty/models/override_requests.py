"""Requests for a manual tier override, approved by a second person (四眼原则).

A sales rep, manager or administrator asks for a tier with a reason and an end date; a manager
or administrator responsible for the customer, other than the one who asked, approves it (the
override is then set, naming both) or rejects it with a note; the one who asked may withdraw
it while it waits. At most one request per customer waits at a time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.customers.models import Customer


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class OverrideRequest(models.Model):
    """Invariants (checked by the database): a decided request (approved, rejected, withdrawn)
    has its decider and time, a pending one neither; one pending request per customer."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="override_requests"
    )
    tier = models.CharField(_("tier"), max_length=32)
    until = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)
    ladder_version = models.PositiveIntegerField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tier override request")
        verbose_name_plural = _("tier override requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="override_request_status"
            ),
            models.CheckConstraint(
                condition=Q(status=RequestStatus.PENDING, decided_at__isnull=True)
                | (~Q(status=RequestStatus.PENDING) & Q(decided_at__isnull=False)),
                name="override_request_decided_dated",
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status=RequestStatus.PENDING),
                name="override_request_one_pending",
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=Q(status=RequestStatus.PENDING),
                name="override_request_waiting",
            ),
            models.Index(fields=["customer", "-requested_at"], name="override_request_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.tier} ({self.status})"
