"""The points ledger (积分). Append-only; corrections are new entries, never updates or deletes.

Invariants, each held by the database:

* every entry has a unique idempotency ``key`` naming its source document
  (``purchase:<id>:earn``, ``return:<id>``, ``redeem:<client key>``, ``adjust:<client key>``,
  ``expire:<customer>:<date>``), so no ingest path can post the same thing twice;
* ``points`` is never 0 and ``balance_after`` is never negative;
* a lot's ``remaining`` stays within ``0..points``.

Under the membership row lock that every balance change takes first, the entries of a customer
form a running sum: ``balance_after`` of an entry = ``balance_after`` of the previous entry +
``points``, and the last ``balance_after`` = ``Membership.points_balance`` = Σ ``points``.
Credits (earn, positive adjustments, cancelled redemptions) create a lot with an expiry date;
debits (redeem, expire, reversals, negative adjustments) draw lots first-expiring-first and
record each draw as an allocation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.customers.models import Customer
from tiercard.sales.models import Purchase


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Adjustment")
    REVERSAL = "reversal", _("Reversal")


class PointsEntry(models.Model):
    # Indexed by ``points_entry_customer`` (customer first): another index would only cost writes.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    points = models.BigIntegerField(_("points"))
    balance_after = models.BigIntegerField(_("balance after"))
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    key = models.CharField(max_length=120)  # unique: Meta.constraints (core.unique_keys)
    purchase = models.ForeignKey(
        Purchase, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    ladder_version = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_not_0"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="points_entry_balance_gte_0"
            ),
            models.UniqueConstraint(fields=["key"], name="points_entry_key_unique"),
        ]
        indexes = [models.Index(fields=["customer", "-id"], name="points_entry_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.points:+d} = {self.balance_after}"


class PointsLot(models.Model):
    """Points credited together, expiring together. ``expires_on`` is the last valid day."""

    entry = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, related_name="lot")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    points = models.BigIntegerField()
    remaining = models.BigIntegerField()
    earned_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="points_lot_points_gt_0"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("points")),
                name="points_lot_remaining_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["customer", "expires_on", "id"],
                condition=Q(remaining__gt=0),
                name="points_lot_open",
            ),
            models.Index(
                fields=["expires_on"], condition=Q(remaining__gt=0), name="points_lot_expiring"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.remaining}/{self.points} → {self.expires_on}"


class PointsAllocation(models.Model):
    """A debit entry drawing ``points`` from a lot (FIFO by expiry)."""

    entry = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="allocations")
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="allocations")
    points = models.BigIntegerField()

    class Meta:
        verbose_name = _("points allocation")
        verbose_name_plural = _("points allocations")
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="points_allocation_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} ← {self.lot_id} {self.points}"
