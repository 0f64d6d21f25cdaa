"""The reward catalogue (gifts, coupons, services) and redemptions against it.

Stock is ``NULL`` for unlimited, else never negative (the redemption service decrements it with
a conditional update). A redemption is tied one-to-one to its ``redeem`` points entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiercard.customers.models import Customer
from tiercard.loyalty.models.points import PointsEntry


class RewardKind(models.TextChoices):
    GIFT = "gift", _("Gift")
    COUPON = "coupon", _("Coupon")
    SERVICE = "service", pgettext_lazy("reward kind", "Service")


class Reward(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=RewardKind.choices)
    points_cost = models.PositiveIntegerField(_("points"))
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    min_tier = models.CharField(_("lowest tier"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points_cost", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(points_cost__gt=0), name="reward_points_gt_0"),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="reward_stock_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class RedemptionStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    CANCELLED = "cancelled", _("Cancelled")


class Redemption(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveIntegerField(_("quantity"))
    points = models.BigIntegerField(_("points"))
    entry = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, related_name="redemption")
    coupon_code = models.CharField(_("coupon code"), max_length=40, blank=True)
    status = models.CharField(
        max_length=10, choices=RedemptionStatus.choices, default=RedemptionStatus.ISSUED
    )
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="redemption_quantity_gt_0"),
            models.CheckConstraint(condition=Q(points__gt=0), name="redemption_points_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.reward_id} ×{self.quantity}"
