"""Use of quota benefits (e.g. 2 free deliveries a month), tracked and enforced.

``BenefitCounter`` holds one customer's uses of one quota in one period; the service increments
it with a conditional update (``used < limit``), so concurrent uses never exceed the quota.
``BenefitUse`` is the append-only log of each use, unique per idempotency key; a cancelled use
keeps its row and gains a cancelling row (``cancels``) that gave the counter its use back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.customers.models import Customer


class BenefitCounter(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=32)
    period_start = models.DateField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("benefit counter")
        verbose_name_plural = _("benefit counters")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "code", "period_start"], name="benefit_counter_unique"
            ),
            models.CheckConstraint(condition=Q(used__gte=0), name="benefit_counter_used_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.code} {self.period_start} {self.used}"


class BenefitUse(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("benefit"), max_length=32)
    period_start = models.DateField()
    tier = models.CharField(max_length=32)
    ladder_version = models.PositiveIntegerField()
    key = models.CharField(max_length=120)  # unique: Meta.constraints (core.unique_keys)
    note = models.CharField(_("note"), max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A use recorded by mistake is cancelled by a second row naming it (the log stays
    # append-only); one-to-one, so a use is cancelled at most once.
    cancels = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="cancelled_by"
    )

    class Meta:
        verbose_name = _("benefit use")
        verbose_name_plural = _("benefit uses")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="benefit_use_customer_at")]
        constraints = [models.UniqueConstraint(fields=["key"], name="benefit_use_key_unique")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.code} {self.at:%Y-%m-%d}"
