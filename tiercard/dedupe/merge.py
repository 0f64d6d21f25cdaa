"""Merging a duplicate card into the surviving one, in one transaction, recorded for undo.

What moves to the survivor (every id recorded in ``MergeRecord.moved``): purchases (their
lines and returns follow them), interactions (follow-ups are their next steps), service
tickets (as they stand: status, assignee and the terms they were opened under), contact
persons, card notes and tags. Phones and emails are added to the survivor's own (the merged
card keeps its rows as history). A tier override request waiting on the merged card is
closed, naming the survivor (the undo reopens it). Points and growth value move as transfer entries
(``transfer``); points owed move too. The survivor's fields are filled or overwritten per
``fields.resolve`` through ``customers.services.customer_update`` (validated and audited).

Then both cards' figures are recomputed from their records (``recompute``) and the survivor
is upgraded at once if it now qualifies (``loyalty.services.grading.tier_after_activity``;
the tier history row names the merge). The merged card is archived with ``merged_into`` set:
it leaves lists and search (both hide archived cards) and takes no purchases. The pair is
marked merged and the merged card's keys dropped. One audit row lists everything moved.

Lock order, as on the purchase path: window row (shared), memberships by id, then the rest —
but for the merged card's waiting override requests, locked first, as an approval does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.cards.models import CardNote
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Contact, ContactPoint, Customer, CustomerStatus
from tiercard.customers.selectors import visible_customers
from tiercard.customers.services import customer_update
from tiercard.dedupe import fields as merge_fields
from tiercard.dedupe.matchkeys import keys_refresh
from tiercard.dedupe.models import DuplicatePair, MatchKey, MergeRecord, PairStatus
from tiercard.dedupe.permissions import can_review_duplicates
from tiercard.dedupe.recompute import card_figures_recompute, membership_figures_recompute
from tiercard.dedupe.transfer import growth_transfer, points_transfer
from tiercard.interactions.models import Interaction
from tiercard.loyalty.models import Membership, TierChange
from tiercard.loyalty.services.grading import tier_after_activity
from tiercard.loyalty.services.override_requests import (
    override_requests_close_for_merge,
    override_requests_lock,
)
from tiercard.loyalty.services.state import (
    Active,
    active_programme,
    membership_lock,
    window_start_shared,
)
from tiercard.sales.models import Purchase
from tiercard.servicedesk.models import ServiceTicket
from tiercard.servicedesk.services import tickets_follow_card

TIER_STATE = ("tier", "tier_since", "upgraded_at", "below_since", "warned_for", "ladder_version")


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _checked(actor: User, survivor_id: int, merged_id: int) -> None:
    """NotFound unless both cards are in the actor's scope (checked before the right, so
    the answer does not reveal whether an id exists), then the right, then the shape."""
    ids = {int(survivor_id), int(merged_id)}
    if visible_customers(actor).filter(pk__in=ids).count() != len(ids):
        raise NotFound()
    if not can_review_duplicates(actor):
        raise PermissionDenied()
    if survivor_id == merged_id:
        raise ValidationFailed(
            _("Choose two different cards."),
            code="same_customer",
            fields={"merged_id": [_("Choose two different cards.")]},
        )


def lock_pair(actor: User, ids: tuple[int, int]) -> dict[int, Customer]:
    """Both cards locked (by id), read through the actor's scope."""
    cards = list(
        visible_customers(actor).select_for_update().filter(pk__in=list(ids)).order_by("pk")
    )
    if len(cards) != 2:
        raise NotFound()
    return {c.pk: c for c in cards}


def lock_memberships(ids: tuple[int, int], active: Active) -> dict[int, Membership]:
    return {pk: membership_lock(pk, active) for pk in sorted(ids)}


def points_of(customer_id: int) -> list[ContactPoint]:
    return list(ContactPoint.objects.filter(customer_id=customer_id).order_by("-is_primary", "id"))


def _move_records(survivor: Customer, merged: Customer) -> dict[str, Any]:
    """Re-point the merged card's records to the survivor; returns the ids moved."""
    moved: dict[str, Any] = {}
    for name, model in (
        ("purchases", Purchase),
        ("interactions", Interaction),
        ("tickets", ServiceTicket),
        ("notes", CardNote),
    ):
        qs = model.objects.filter(customer_id=merged.pk)
        moved[name] = sorted(qs.values_list("pk", flat=True))
        qs.update(customer_id=survivor.pk)
    contacts = Contact.objects.filter(customer_id=merged.pk)
    moved["contacts"] = sorted(contacts.values_list("pk", flat=True))
    moved["contacts_unprimaried"] = []
    if Contact.objects.filter(customer_id=survivor.pk, is_primary=True).exists():
        # One primary contact per card: the survivor's stays primary.
        moved["contacts_unprimaried"] = sorted(
            contacts.filter(is_primary=True).values_list("pk", flat=True)
        )
        contacts.filter(is_primary=True).update(is_primary=False)
    contacts.update(customer_id=survivor.pk)
    theirs = set(merged.tags.values_list("pk", flat=True))
    mine = set(survivor.tags.values_list("pk", flat=True))
    moved["tags_added"] = sorted(theirs - mine)
    survivor.tags.add(*moved["tags_added"])
    # An open ticket stays with someone who can open it on the survivor (undo restores it).
    moved["ticket_assignees"] = tickets_follow_card(
        customer_id=survivor.pk, ticket_ids=moved["tickets"]
    )
    return moved


def _field_changes(
    actor: User, survivor: Customer, merged: Customer, picks: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(data for ``customer_update``, {field: [before, after]}, unique values the merged
    card gives up)."""
    mine, theirs = points_of(survivor.pk), points_of(merged.pk)
    choices = merge_fields.field_choices(survivor, merged, mine, theirs)
    data = merge_fields.resolve(choices, picks, mine, theirs)
    before: dict[str, Any] = {}
    for key in data:
        if key == "phones":
            before[key] = merge_fields.as_typed(
                key, merge_fields.contact_list(mine, merge_fields.PHONES)
            )
        elif key == "emails":
            before[key] = merge_fields.contact_list(mine, merge_fields.EMAILS)
        else:
            before[key] = merge_fields.value_of(survivor, key, mine)
    changes = {key: [before[key], data[key]] for key in data}
    given_up = {k: getattr(merged, k) for k in merge_fields.UNIQUE_FIELDS if k in data}
    return data, changes, given_up


def _tier_state(row: Membership) -> dict[str, Any]:
    return {
        name: (value.isoformat() if hasattr(value, "isoformat") else value)
        for name in TIER_STATE
        for value in [getattr(row, name)]
    }


def customers_merge(
    *,
    actor: User,
    survivor_id: int,
    merged_id: int,
    picks: Mapping[str, str] | None = None,
) -> MergeRecord:
    """Merge card ``merged_id`` into ``survivor_id`` (see the module docstring).

    ``picks`` maps a field name (``fields.FIELDS``) to ``"survivor"`` or ``"merged"``; fields
    not named follow the default (the survivor's value, or the merged card's where the
    survivor has none). Managers and admins, both cards in scope (else NotFound); errors:
    ``same_customer``, ``already_merged`` (either card), ``bad_field_choice``, and any field
    error of ``customer_update``. Nothing is written on error.
    """
    _checked(actor, survivor_id, merged_id)
    active = active_programme()
    today = business_today()
    ids = ordered(survivor_id, merged_id)
    with transaction.atomic():
        window_start = window_start_shared(active, today)
        override_requests_lock(merged_id)
        memberships = lock_memberships(ids, active)
        cards = lock_pair(actor, ids)
        survivor, merged = cards[survivor_id], cards[merged_id]
        if survivor.merged_into_id is not None or merged.merged_into_id is not None:
            raise Conflict(
                _("One of these cards was already merged into another card."),
                code="already_merged",
            )
        data, changes, given_up = _field_changes(actor, survivor, merged, picks or {})
        record = MergeRecord.objects.create(
            survivor=survivor, merged=merged, actor=actor, merged_status=merged.status
        )
        label = f"#{record.pk}: {merged.pk} → {survivor.pk}"
        now = timezone.now()
        # The merged card first: it gives up unique values the survivor takes.
        Customer.objects.filter(pk=merged.pk).update(
            status=CustomerStatus.ARCHIVED,
            merged_into=survivor,
            version=F("version") + 1,
            updated_at=now,
            **dict.fromkeys(given_up, ""),
        )
        moved = _move_records(survivor, merged)
        moved["override_requests_closed"] = override_requests_close_for_merge(
            actor=actor, customer_id=merged.pk, survivor_id=survivor.pk
        )
        if data:
            customer_update(actor=actor, customer_id=survivor.pk, data=data)
        key = f"merge:{record.pk}"
        survivor_row, merged_row = memberships[survivor.pk], memberships[merged.pk]
        tier_before = _tier_state(survivor_row)
        points = points_transfer(
            source=merged_row,
            target=survivor_row,
            key=key,
            active=active,
            actor=actor,
            note=label,
        )
        growth = growth_transfer(
            source_id=merged.pk,
            target_id=survivor.pk,
            key=key,
            active=active,
            actor=actor,
            note=label,
        )
        card_figures_recompute(ids)
        membership_figures_recompute(ids, window_start)
        fresh = membership_lock(survivor.pk, active)
        change = tier_after_activity(
            row=fresh, active=active, today=today, actor=actor, purchase=None
        )
        if change is not None:
            # Written a moment ago in this transaction: naming its cause, not editing history.
            TierChange.objects.filter(pk=change.pk).update(note=f"merge {label}"[:200])
        record.moved = moved
        record.fields = {"survivor": changes, "merged_gave_up": given_up}
        record.ledger = {
            "points": points,
            "growth": growth,
            "tier_before": tier_before,
            "tier_change": None if change is None else change.pk,
        }
        record.pair = _pair_merged(actor, ids, merged.pk, now)
        record.save(update_fields=["moved", "fields", "ledger", "pair"])
        MatchKey.objects.filter(customer_id=merged.pk).delete()
        keys_refresh(customer_ids=[survivor.pk])
        _audit(actor, record, survivor, merged)
    return record


def _pair_merged(actor: User, ids: tuple[int, int], merged_id: int, now: Any) -> DuplicatePair:
    """The pair marked merged (created if the scan never proposed it); the merged card's
    other open pairs go (the next scan would drop them: it has no keys any more)."""
    low, high = ids
    pair = DuplicatePair.objects.filter(customer_a_id=low, customer_b_id=high).first()
    if pair is None:
        pair = DuplicatePair(customer_a_id=low, customer_b_id=high, score=0, level="possible")
    pair.status, pair.decided_by, pair.decided_at, pair.updated_at = (
        PairStatus.MERGED,
        actor,
        now,
        now,
    )
    pair.save()
    DuplicatePair.objects.filter(
        Q(customer_a_id=merged_id) | Q(customer_b_id=merged_id), status=PairStatus.OPEN
    ).delete()
    return pair


def _audit(actor: User, record: MergeRecord, survivor: Customer, merged: Customer) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=record,
        customer_id=survivor.pk,
        changes={
            "survivor": survivor.pk,
            "merged": merged.pk,
            "moved": record.moved,
            "fields": record.fields,
            "ledger": record.ledger,
        },
        note="merge",
    )
    audit_record(
        actor=actor,
        action=AuditAction.ARCHIVE,
        obj=merged,
        customer_id=merged.pk,
        changes={
            "status": [record.merged_status, CustomerStatus.ARCHIVED],
            "merged_into": [None, survivor.pk],
        },
        # Notes show on the cards' timelines as stored: arrows and names read in any language.
        note=f"⇒ #{survivor.pk} {survivor.name}",
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=survivor,
        customer_id=survivor.pk,
        changes={},
        note=f"⇐ #{merged.pk} {merged.name}",
    )
