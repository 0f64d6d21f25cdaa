"""Duplicate detection and merge: stored match keys, candidate pairs, merge records.

Invariants:
- ``MatchKey`` rows are derived: the scan rebuilds them from the cards (``dedupe.scan``); a
  merged card has none. ``kind`` is the bit of the key's ``scoring.Reason``, so the reasons
  of a pair are the OR of the kinds it shares.
- A ``DuplicatePair`` names two cards once, lower id first (a CHECK and a unique constraint).
  ``dismissed`` and ``merged`` are decisions and survive every re-scan; only ``open`` pairs
  are re-scored or dropped when their cards stop matching.
- A ``MergeRecord`` lists every row the merge moved (``moved``), the field values it changed
  on the survivor (``fields``) and the ledger entries it posted, so undo moves back exactly
  that; ``undone_at`` is set once, by the undo.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.customers.models import Customer
from tiercard.dedupe.scoring import Level


class MatchKey(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    kind = models.PositiveSmallIntegerField()  # a scoring.Reason bit
    value = models.CharField(max_length=200)

    class Meta:
        verbose_name = _("match key")
        verbose_name_plural = _("match keys")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"], name="dedupe_matchkey_unique"
            )
        ]
        indexes = [models.Index(fields=["kind", "value"], name="dedupe_matchkey_lookup")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.value}"


class PairStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Not a duplicate")
    MERGED = "merged", _("Merged")


class DuplicatePair(models.Model):
    customer_a = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    reasons = models.PositiveIntegerField(default=0)  # mask of scoring.Reason
    status = models.CharField(
        _("status"), max_length=10, choices=PairStatus.choices, default=PairStatus.OPEN
    )
    seen_scan = models.PositiveIntegerField(default=0)  # the last scan that found the pair
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("duplicate pair")
        verbose_name_plural = _("duplicate pairs")
        constraints = [
            models.UniqueConstraint(fields=["customer_a", "customer_b"], name="dedupe_pair_unique"),
            models.CheckConstraint(
                condition=Q(customer_a__lt=F("customer_b")), name="dedupe_pair_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PairStatus.values), name="dedupe_pair_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="dedupe_pair_score_range"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-score", "id"], name="dedupe_pair_queue"),
            models.Index(fields=["customer_b"], name="dedupe_pair_b"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_a_id}~{self.customer_b_id} {self.score} {self.status}"


class MergeRecord(models.Model):
    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    pair = models.ForeignKey(
        DuplicatePair, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    moved = models.JSONField(default=dict)  # {"purchases": [ids], "interactions": [...], ...}
    fields = models.JSONField(default=dict)  # {field: [survivor's before, after]}
    ledger = models.JSONField(default=dict)  # points and growth entries posted, owed moved
    merged_status = models.CharField(max_length=10)  # the merged card's status before
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merged"], condition=Q(undone_at__isnull=True), name="dedupe_merge_once"
            ),
            models.CheckConstraint(
                condition=~Q(survivor=F("merged")), name="dedupe_merge_two_cards"
            ),
        ]
        indexes = [models.Index(fields=["survivor", "-at"], name="dedupe_merge_survivor")]

    def __str__(self) -> str:
        return f"{self.merged_id}→{self.survivor_id}"


class ScanState(models.Model):
    """One row: what the last scan did, and from when the next one rebuilds keys."""

    scan_no = models.PositiveIntegerField(default=0)
    keys_built_from = models.DateTimeField(null=True, blank=True)  # start of the last scan
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")

    def __str__(self) -> str:
        return f"scan {self.scan_no}"
