"""Purchases (消费记录) and their lines.

Invariants in the database: ``returned_amount`` stays within ``0..total``; a non-blank
``external_ref`` is unique, so a retried import or API call can never record the same purchase
twice; quantities are positive; prices, discounts and amounts are never negative. ``total``
equals the sum of line amounts less the order discount; the service computes it, and nothing
else writes purchases.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.customers.models import Customer

HALF_CENT = Decimal("0.005")


class PaymentMethod(models.TextChoices):
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    CASH = "cash", _("Cash")
    BANK_CARD = "bank_card", _("Bank card")
    TRANSFER = "transfer", _("Bank transfer")
    CREDIT = "credit", _("On account")
    OTHER = "other", _("Other")


class SalesChannel(models.TextChoices):
    STORE = "store", _("Store")
    ONLINE = "online", _("Online shop")
    PHONE = "phone", _("Phone order")
    WECHAT = "wechat", _("WeChat")
    FIELD_SALES = "field", _("Field sales")
    OTHER = "other", _("Other")


class Purchase(models.Model):
    # No index of its own: ``purchase_customer_at`` (customer, occurred_at) serves every
    # lookup by customer, and one index less is one random page less on every purchase.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="purchases", db_index=False
    )
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    external_ref = models.CharField(_("reference"), max_length=64, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=SalesChannel.choices, default=SalesChannel.STORE
    )
    store = models.CharField(_("store"), max_length=60, blank=True)
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales rep"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    payment_method = models.CharField(
        _("payment method"),
        max_length=12,
        choices=PaymentMethod.choices,
        default=PaymentMethod.WECHAT_PAY,
    )
    subtotal = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=2)
    discount = models.DecimalField(
        _("order discount"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    # The tier's percent the order discount was taken at (``tier_discount``); NULL for a
    # discount given by hand or none. A replay of the reference must ask for the same.
    tier_discount_percent = models.DecimalField(
        _("tier discount (%)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    total = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    returned_amount = models.DecimalField(
        _("returned"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_ref"],
                condition=~Q(external_ref=""),
                name="purchase_external_ref_unique",
            ),
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="purchase_subtotal_gte_0"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="purchase_discount_gte_0"),
            models.CheckConstraint(condition=Q(total__gte=0), name="purchase_total_gte_0"),
            models.CheckConstraint(
                condition=Q(returned_amount__gte=0)
                & Q(returned_amount__lte=models.F("total") + HALF_CENT),
                name="purchase_returned_within_total",
            ),
            # Within half a cent, not equal: SQLite keeps decimals as binary floats, so
            # 100.10 - 40.00 is not exactly 60.10 there. The service computes exact Decimals.
            models.CheckConstraint(
                condition=Q(total__gte=models.F("subtotal") - models.F("discount") - HALF_CENT)
                & Q(total__lte=models.F("subtotal") - models.F("discount") + HALF_CENT),
                name="purchase_total_is_subtotal_less_discount",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="purchase_customer_at"),
            # The nightly window roll reads the purchases of the day leaving the window.
            # Covering: the nightly window roll sums a day's purchases per customer from the
            # index alone (a day's purchases lie on thousands of heap pages otherwise).
            models.Index(
                fields=["occurred_at", "customer", "total", "returned_amount"],
                name="purchase_at_sums",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.occurred_at:%Y-%m-%d} {self.total}"


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(_("SKU"), max_length=40, blank=True)
    item_name = models.CharField(_("item"), max_length=120)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    discount = models.DecimalField(
        _("discount"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchase_line_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="purchase_line_price_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0), name="purchase_line_discount_gte_0"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="purchase_line_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.item_name} × {self.quantity}"


class PurchaseReturn(models.Model):
    """Goods returned from a purchase: ``amount`` CNY refunded, at ``occurred_at``.

    A purchase's returns never add up to more than its total (the service raises the purchase's
    ``returned_amount`` with a conditional update). ``external_ref`` makes a retried return a
    replay, exactly like a purchase's.
    """

    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="returns")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    external_ref = models.CharField(_("reference"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_ref"],
                condition=~Q(external_ref=""),
                name="purchase_return_external_ref_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="purchase_return_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_id} −{self.amount}"
