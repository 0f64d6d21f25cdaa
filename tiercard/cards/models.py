"""Card templates per tier, and the notes written on a card.

``CardTemplate.layout`` always holds a layout that passed ``cards.layout.parse_layout``: the
only writer is ``cards.templates.card_template_save``. ``CardNote`` rows are appended; only
their author edits them, and every write leaves an audit row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.customers.models import Customer


class CardTemplate(models.Model):
    """What the card of a customer holding ``tier_code`` shows and asks for.

    ``tier_code`` "" is the fallback for tiers without a template of their own.
    """

    tier_code = models.CharField(_("tier"), max_length=32, unique=True, blank=True)
    layout = models.JSONField(_("layout"), default=dict)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("card template")
        verbose_name_plural = _("card templates")
        ordering = ["tier_code"]

    def __str__(self) -> str:
        return self.tier_code or "*"


class CardNote(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("note"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="card_note_not_blank")]
        indexes = [models.Index(fields=["customer", "-created_at", "-id"], name="card_note_at")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.created_at:%Y-%m-%d}"
