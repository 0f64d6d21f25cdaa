"""Versions of the loyalty programme (ladder, policy, window, points rules, benefits).

A row is immutable once written: a change to the rules is a new version. Exactly one version is
active at a time (partial unique index); drafts wait for their dry run and are then applied.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TierLadder(models.Model):
    version = models.PositiveIntegerField(_("version"), unique=True)
    rules = models.JSONField(_("rules"))  # tiers.programme.dump_programme
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The code of the ladder's lowest tier (smallest rank), derived from ``rules`` on save: the
    # triggers keeping ``customers_customer.tier`` read it (migration 0008).
    lowest_tier = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("tier ladder version")
        verbose_name_plural = _("tier ladder versions")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="tier_ladder_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.lowest_tier = lowest_code(self.rules)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "lowest_tier"}
        super().save(*args, **kwargs)


def lowest_code(rules: Any) -> str:
    """The code of the tier with the smallest rank in a stored programme ("" when none)."""
    try:
        tiers = [t for t in rules["ladder"]["tiers"] if isinstance(t.get("rank"), int)]
        return str(min(tiers, key=lambda t: t["rank"])["code"])[:32]
    except (KeyError, TypeError, ValueError, AttributeError):
        return ""


class WindowState(models.Model):
    """The one window every ``Membership``'s figures are counted from (a single row, pk 1).

    ``window_start`` is the first business day counted; the nightly roll advances it and
    subtracts what left the window, so membership rows never each carry their own start.
    ``spec`` is the window definition the figures were built for (``dump_window``); a version
    with another window rebuilds the figures from purchases before it is applied.
    """

    window_start = models.DateField()
    spec = models.JSONField(default=dict)
    rolled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("window state")
        verbose_name_plural = _("window state")

    def __str__(self) -> str:
        return f"{self.window_start}"
