"""Undoing a merge: exactly what moved goes back, the ledgers get reversal entries.

Refused (``Conflict``, nothing written) when the state since the merge makes it unsafe:
the survivor was itself merged away since (``survivor_merged_since``: undo that first);
points moved in were spent, expired or taken back (``points_spent``) or moved debt was
settled (``points_settled``); a moved purchase was returned since (``returned_since``);
a field the merge set on the survivor was edited since (``changed_since``). Records added to
the survivor after the merge stay with it, except replies logged since on a service ticket the
merge moved: a reply is about its ticket, so it goes back with it (the audit row lists them).

The survivor's tier: if the merge upgraded it and no tier change came after, the upgrade is
taken back (a tier history row says so); then both cards are graded for an immediate upgrade
as after any activity, and both are marked for the scheduled review, which decides a fall
below the tier (their figures dropped).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.cards.models import CardNote
from tiercard.core import rows
from tiercard.core.errors import Conflict, NotFound
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Contact, Customer
from tiercard.customers.services import customer_update
from tiercard.dedupe import fields as merge_fields
from tiercard.dedupe import keys
from tiercard.dedupe.matchkeys import keys_refresh
from tiercard.dedupe.merge import _checked, lock_memberships, lock_pair, ordered, points_of
from tiercard.dedupe.models import DuplicatePair, MergeRecord, PairStatus
from tiercard.dedupe.recompute import card_figures_recompute, membership_figures_recompute
from tiercard.dedupe.transfer import (
    growth_transfer,
    points_transfer_reverse,
    points_transfer_safe_to_reverse,
)
from tiercard.interactions.models import Interaction
from tiercard.loyalty.models import ChangeReason, TierChange
from tiercard.loyalty.services.grading import tier_after_activity
from tiercard.loyalty.services.override_requests import override_requests_reopen
from tiercard.loyalty.services.review_marks import review_mark
from tiercard.loyalty.services.state import (
    Active,
    active_programme,
    membership_lock,
    metrics_of,
    metrics_snapshot,
    window_start_shared,
)
from tiercard.loyalty.system_reasons import unmerge_note
from tiercard.sales.models import Purchase, PurchaseReturn
from tiercard.servicedesk.models import ServiceTicket, TicketReply
from tiercard.servicedesk.services import tickets_assignees_back, tickets_follow_card

CHUNK = 500


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


def _current_values(survivor: Customer, names: Sequence[str]) -> dict[str, Any]:
    points = points_of(survivor.pk)
    values: dict[str, Any] = {}
    for name in names:
        if name == "phones":
            values[name] = merge_fields.contact_list(points, merge_fields.PHONES)
        elif name == "emails":
            values[name] = merge_fields.contact_list(points, merge_fields.EMAILS)
        else:
            values[name] = merge_fields.value_of(survivor, name, points)
    return values


def _norm(name: str, value: Any) -> Any:
    """Compare like ``customer_update`` stores: phones as E.164, lists as sets (the service
    orders a card's phones mobiles first), ids as text."""
    if name == "phones":
        return sorted(keys.phone_key(str(v)) for v in value)
    if name == "emails":
        return sorted(str(v).lower() for v in value)
    return "" if value is None else str(value)


def _refuse_if_unsafe(record: MergeRecord, survivor: Customer, merged: Customer) -> None:
    if survivor.merged_into_id is not None:
        raise Conflict(
            _("The surviving card was merged into another card since. Undo that merge first."),
            code="survivor_merged_since",
        )
    if merged.merged_into_id != survivor.pk:
        raise Conflict(_("The cards changed since the merge."), code="state_changed")
    if PurchaseReturn.objects.filter(
        purchase_id__in=record.moved.get("purchases", []), created_at__gt=record.at
    ).exists():
        raise Conflict(
            _("A purchase moved by this merge was returned since; the merge cannot be undone."),
            code="returned_since",
        )
    changes: dict[str, list[Any]] = record.fields.get("survivor", {})
    now = _current_values(survivor, list(changes))
    edited = sorted(k for k, (_b, after) in changes.items() if _norm(k, now[k]) != _norm(k, after))
    if edited:
        raise Conflict(
            _("Fields set by the merge were edited since: %(fields)s. Undo those edits first.")
            % {"fields": ", ".join(edited)},
            code="changed_since",
            params={"fields": edited},
        )


def _move_back(qs: QuerySet[Any], ids: Sequence[int], survivor_id: int, merged_id: int) -> None:
    for chunk in _chunks(ids):
        qs.filter(pk__in=chunk, customer_id=survivor_id).update(customer_id=merged_id)


def _records_back(
    actor: User, record: MergeRecord, survivor: Customer, merged: Customer
) -> list[int]:
    """Move back what the merge moved; returns the ids of the replies that followed their
    ticket back (logged on the survivor after the merge)."""
    moved = record.moved
    for name, model in (
        ("purchases", Purchase),
        ("interactions", Interaction),
        ("tickets", ServiceTicket),
        ("notes", CardNote),
        ("contacts", Contact),
    ):
        _move_back(model.objects.all(), moved.get(name, []), survivor.pk, merged.pk)
    replies = _replies_back(moved.get("tickets", []), survivor.pk, merged.pk)
    tickets_assignees_back(moved.get("ticket_assignees", {}))
    # Assigned on the survivor since (to someone who cannot see the restored card): handed on.
    tickets_follow_card(customer_id=merged.pk, ticket_ids=moved.get("tickets", []))
    primaries = moved.get("contacts_unprimaried", [])
    if primaries:
        Contact.objects.filter(pk__in=primaries, customer_id=merged.pk).update(is_primary=True)
    if moved.get("tags_added"):
        survivor.tags.remove(*moved["tags_added"])
    override_requests_reopen(actor=actor, request_ids=moved.get("override_requests_closed", []))
    return replies


def _replies_back(ticket_ids: Sequence[int], survivor_id: int, merged_id: int) -> list[int]:
    """Replies to the moved tickets still on the survivor (logged since the merge; those
    logged before moved back with the interactions): they follow their ticket."""
    found: list[int] = []
    for chunk in _chunks(ticket_ids):
        found += TicketReply.objects.filter(
            ticket_id__in=chunk, interaction__customer_id=survivor_id
        ).values_list("interaction_id", flat=True)
    found.sort()
    _move_back(Interaction.objects.all(), found, survivor_id, merged_id)
    return found


def _tier_back(record: MergeRecord, active: Active, actor: User, today: Any) -> None:
    """Take back the merge's upgrade when it is still the survivor's latest tier change."""
    change_id = record.ledger.get("tier_change")
    if change_id is None:
        return
    latest = (
        TierChange.objects.filter(customer_id=record.survivor_id)
        .order_by("-at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if latest != change_id:
        return
    before = record.ledger["tier_before"]
    row = membership_lock(record.survivor_id, active)
    current = row.tier
    row.tier = before["tier"]
    row.tier_since = parse_datetime(before["tier_since"]) or timezone.now()
    row.upgraded_at = parse_datetime(before["upgraded_at"]) if before["upgraded_at"] else None
    row.below_since = parse_date(before["below_since"]) if before["below_since"] else None
    row.warned_for = parse_date(before["warned_for"]) if before["warned_for"] else None
    row.updated_at = timezone.now()
    rows.update_fields(
        row, ["tier", "tier_since", "upgraded_at", "below_since", "warned_for", "updated_at"]
    )
    TierChange.objects.create(
        customer_id=record.survivor_id,
        effective_on=today,
        from_tier=current,
        to_tier=before["tier"],
        reason=ChangeReason.MANUAL,
        ladder_version=active.version,
        metrics=metrics_snapshot(metrics_of(row, today)),
        actor=actor,
        note=unmerge_note(record.pk),
    )


def customers_unmerge(*, actor: User, merge_id: int) -> MergeRecord:
    """Undo merge ``merge_id`` (see the module docstring). Managers and admins with both
    cards in scope (else NotFound); ``already_undone`` when it was undone before."""
    record = MergeRecord.objects.filter(pk=merge_id).first()
    if record is None:
        raise NotFound()
    _checked(actor, record.survivor_id, record.merged_id)
    if record.undone_at is not None:
        raise Conflict(_("This merge was already undone."), code="already_undone")
    active = active_programme()
    today = business_today()
    ids = ordered(record.survivor_id, record.merged_id)
    with transaction.atomic():
        window_start = window_start_shared(active, today)
        memberships = lock_memberships(ids, active)
        cards = lock_pair(actor, ids)
        record = MergeRecord.objects.select_for_update().get(pk=merge_id)
        if record.undone_at is not None:
            raise Conflict(_("This merge was already undone."), code="already_undone")
        survivor, merged = cards[record.survivor_id], cards[record.merged_id]
        survivor_row, merged_row = memberships[survivor.pk], memberships[merged.pk]
        _refuse_if_unsafe(record, survivor, merged)
        points_transfer_safe_to_reverse(record.ledger["points"], survivor_row)
        label = f"#{record.pk}: {merged.pk} ← {survivor.pk}"
        key = f"unmerge:{record.pk}"
        replies = _records_back(actor, record, survivor, merged)
        changes: dict[str, list[Any]] = record.fields.get("survivor", {})
        if changes:
            customer_update(
                actor=actor,
                customer_id=survivor.pk,
                data={k: before for k, (before, _after) in changes.items()},
            )
        Customer.objects.filter(pk=merged.pk).update(
            status=record.merged_status,
            merged_into=None,
            version=F("version") + 1,
            updated_at=timezone.now(),
            **record.fields.get("merged_gave_up", {}),
        )
        points_transfer_reverse(
            moved=record.ledger["points"],
            source=merged_row,
            target=survivor_row,
            key=key,
            active=active,
            actor=actor,
            note=label,
        )
        growth_transfer(
            source_id=survivor.pk,
            target_id=merged.pk,
            key=key,
            active=active,
            actor=actor,
            note=label,
            days=record.ledger.get("growth", {}),
        )
        card_figures_recompute(ids)
        membership_figures_recompute(ids, window_start)
        _tier_back(record, active, actor, today)
        for pk in ids:
            # Figures fell on both cards without a review: the next one looks at them (an
            # upgrade is decided here and now, a fall below the tier by the review).
            review_mark(pk)
            tier_after_activity(
                row=membership_lock(pk, active),
                active=active,
                today=today,
                actor=actor,
                purchase=None,
            )
        now = timezone.now()
        record.undone_at, record.undone_by = now, actor
        record.save(update_fields=["undone_at", "undone_by"])
        DuplicatePair.objects.filter(customer_a_id=ids[0], customer_b_id=ids[1]).update(
            status=PairStatus.OPEN, decided_by=None, decided_at=None, updated_at=now
        )
        keys_refresh(customer_ids=ids)
        _audit(actor, record, survivor, merged, replies)
    return record


def _audit(
    actor: User, record: MergeRecord, survivor: Customer, merged: Customer, replies: list[int]
) -> None:
    changes: dict[str, Any] = {
        "undone": [False, True],
        "survivor": survivor.pk,
        "merged": merged.pk,
    }
    if replies:
        changes["replies_with_tickets"] = replies
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=record,
        customer_id=survivor.pk,
        changes=changes,
        note="unmerge",
    )
    audit_record(
        actor=actor,
        action=AuditAction.RESTORE,
        obj=merged,
        customer_id=merged.pk,
        changes={
            "status": ["archived", record.merged_status],
            "merged_into": [survivor.pk, None],
        },
        note=f"⇏ #{survivor.pk} {survivor.name}",
    )
