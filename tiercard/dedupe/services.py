"""Decisions on pairs other than merging: "not a duplicate" (remembered) and reopening.

A dismissed pair stays dismissed through every later scan (``scan`` never reopens a decision);
reopening puts it back in the queue. ``pair_merge`` merges a pair's cards
(``merge.customers_merge``).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.dedupe.merge import customers_merge
from tiercard.dedupe.models import DuplicatePair, MergeRecord, PairStatus
from tiercard.dedupe.permissions import can_review_duplicates
from tiercard.dedupe.selectors import visible_pairs


def _locked(actor: User, pair_id: int) -> DuplicatePair:
    # visible_pairs answers nothing to those who may not review: ask the right first, so an
    # unpermitted user gets 403 for a pair that exists (they see no pairs at all either way).
    if not can_review_duplicates(actor):
        raise PermissionDenied()
    pair = visible_pairs(actor).select_for_update().filter(pk=pair_id).first()
    if pair is None:
        raise NotFound()
    return pair


def pair_dismiss(*, actor: User, pair_id: int) -> DuplicatePair:
    """Mark an open pair "not a duplicate"; a dismissed one is returned unchanged."""
    with transaction.atomic():
        pair = _locked(actor, pair_id)
        if pair.status == PairStatus.DISMISSED:
            return pair
        if pair.status == PairStatus.MERGED:
            raise Conflict(_("These cards were merged."), code="already_merged")
        now = timezone.now()
        pair.status, pair.decided_by, pair.decided_at, pair.updated_at = (
            PairStatus.DISMISSED,
            actor,
            now,
            now,
        )
        pair.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=pair,
            changes={"status": [PairStatus.OPEN, PairStatus.DISMISSED]},
            note=f"{pair.customer_a_id} ≠ {pair.customer_b_id}",
        )
    return pair


def pair_reopen(*, actor: User, pair_id: int) -> DuplicatePair:
    """Put a dismissed pair back in the queue."""
    with transaction.atomic():
        pair = _locked(actor, pair_id)
        if pair.status != PairStatus.DISMISSED:
            return pair
        pair.status, pair.decided_by, pair.decided_at = PairStatus.OPEN, None, None
        pair.updated_at = timezone.now()
        pair.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=pair,
            changes={"status": [PairStatus.DISMISSED, PairStatus.OPEN]},
        )
    return pair


def pair_merge(
    *, actor: User, pair_id: int, survivor_id: int, picks: Mapping[str, str] | None = None
) -> MergeRecord:
    """Merge a pair's cards, keeping ``survivor_id`` (one of the two; else ValidationFailed
    ``not_in_pair``). Out-of-scope pairs are NotFound (see ``merge.customers_merge``)."""
    if not can_review_duplicates(actor):
        raise PermissionDenied()
    pair = visible_pairs(actor).filter(pk=pair_id).first()
    if pair is None:
        raise NotFound()
    ids = {pair.customer_a_id, pair.customer_b_id}
    if survivor_id not in ids:
        raise ValidationFailed(
            _("Keep one of the pair's two cards."),
            code="not_in_pair",
            fields={"survivor_id": [_("Keep one of the pair's two cards.")]},
        )
    (merged_id,) = ids - {survivor_id}
    return customers_merge(actor=actor, survivor_id=survivor_id, merged_id=merged_id, picks=picks)
