"""Each customer's loyalty state: held tier, window figures, growth value and points balance.

``Membership`` is the one-row-per-customer aggregate that set-based grading reads. Its window
figures cover purchases and growth entries dated from ``WindowState.window_start`` (one date for
all customers, advanced by the nightly roll) to today, net of returns:
``win_spend`` = Σ (total − returned), ``win_orders`` = purchases not fully returned,
``win_max_order`` = the largest net purchase, ``win_growth`` = Σ growth entries. They are kept
current by every purchase, return and growth write, and by the nightly roll that drops the days
leaving the window. ``points_balance`` equals the sum of the customer's points entries; the
database refuses a negative balance. A customer without a row holds the lowest tier with zero
figures; the row is created on first activity or by the set-based grading pass.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.customers.models import Customer
from tiercard.sales.models import Purchase


class Membership(models.Model):
    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.PROTECT, related_name="membership"
    )
    # No index of its own: the member table's ``table_tier_*`` indexes (listviews migration
    # 0004) lead with it and serve a tier's lookups; every index costs an entry on each row
    # version written (a purchase, the nightly roll and review rewrite rows all day).
    tier = models.CharField(_("tier"), max_length=32)
    tier_since = models.DateTimeField(_("tier since"), default=timezone.now)
    upgraded_at = models.DateTimeField(_("last upgrade"), null=True, blank=True)
    below_since = models.DateField(_("below the tier since"), null=True, blank=True)
    warned_for = models.DateField(_("downgrade warning sent for"), null=True, blank=True)
    lock_until = models.DateField(_("tier locked until"), null=True, blank=True)
    override_reason = models.CharField(_("override reason"), max_length=200, blank=True)
    # Partial indexes (``member_override_*``): nearly every row holds NULL here, and a full
    # index would take an entry for each of them on every row version written.
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    override_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    ladder_version = models.PositiveIntegerField(_("ladder version"))
    win_spend = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    win_orders = models.IntegerField(default=0)
    win_max_order = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    win_growth = models.BigIntegerField(default=0)
    last_purchase_on = models.DateField(null=True, blank=True)
    growth_total = models.BigIntegerField(_("growth value"), default=0)
    points_balance = models.BigIntegerField(_("points balance"), default=0)
    points_owed = models.BigIntegerField(_("points owed"), default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(points_balance__gte=0), name="membership_points_balance_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(points_owed__gte=0), name="membership_points_owed_gte_0"
            ),
            models.CheckConstraint(condition=Q(win_orders__gte=0), name="membership_orders_gte_0"),
        ]
        indexes = [
            models.Index(
                fields=["override_by"],
                condition=Q(override_by__isnull=False),
                name="member_override_by",
            ),
            models.Index(
                fields=["override_approved_by"],
                condition=Q(override_approved_by__isnull=False),
                name="member_override_approved",
            ),
            models.Index(
                fields=["below_since"], condition=Q(below_since__isnull=False), name="member_below"
            ),
            models.Index(
                fields=["lock_until"], condition=Q(lock_until__isnull=False), name="member_lock"
            ),
            # The forecast clears warnings ahead whose plan no longer holds (few rows).
            models.Index(
                fields=["warned_for"], condition=Q(warned_for__isnull=False), name="member_warned"
            ),
            # The daily review finds rows whose recency condition lapses today by equality.
            models.Index(
                fields=["last_purchase_on"],
                condition=Q(last_purchase_on__isnull=False),
                name="member_last_on",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.tier}"


class ReviewMark(models.Model):
    """A customer the next daily review must look at: their figures changed without a tier
    check (the window rolled past their purchases, a return, a tier override cleared).

    Written by ``loyalty.services.review_marks``; the review deletes the marks of the rows it
    reviewed, in the transaction that reviewed them. A narrow table of its own rather than a
    flag on the membership: setting and clearing a flag rewrote the wide membership row twice,
    each time with an entry in every one of its indexes (on PostgreSQL a changed indexed
    column rules out an in-place update), where a mark is one small row in one index.
    """

    # No foreign-key constraint: checking one locks the customer row (KEY SHARE), which cost
    # the nightly roll more than writing its marks; a mark left for a customer who is gone is
    # harmless (the review reads memberships) and is deleted with the customer by Django.
    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("membership to review")
        verbose_name_plural = _("memberships to review")

    def __str__(self) -> str:
        return str(self.customer_id)


class GrowthKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    RETURN = "return", _("Return")
    ADJUST = "adjust", _("Manual adjustment")


class GrowthEntry(models.Model):
    """成长值: append-only; a customer's ``growth_total`` is the sum of their entries."""

    # Indexed by ``growth_customer_on`` (customer first): another index only costs writes.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    occurred_on = models.DateField()
    amount = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=GrowthKind.choices)
    key = models.CharField(max_length=120)  # unique: Meta.constraints (core.unique_keys)
    purchase = models.ForeignKey(
        Purchase, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ladder_version = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("growth value entry")
        verbose_name_plural = _("growth value entries")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="growth_amount_not_0"),
            models.UniqueConstraint(fields=["key"], name="growth_key_unique"),
        ]
        indexes = [
            models.Index(fields=["customer", "occurred_on"], name="growth_customer_on"),
            # Covering, for the window roll (see ``purchase_at_sums``).
            models.Index(fields=["occurred_on", "customer", "amount"], name="growth_on_sums"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.amount:+d}"
