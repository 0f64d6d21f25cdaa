"""Notes on a card (备注): appended by anyone who may see the customer, edited by their author.

Invariants: a note's body is 1–2000 characters after trimming; only the author edits a note,
and only while the customer is still in their scope; every add and edit writes an audit row in
the same transaction (the edit keeps the old text in the audit row).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.cards.models import CardNote
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.selectors import visible_customer_pk, visible_customers

MAX_NOTE = 2000


def visible_notes(viewer: User) -> QuerySet[CardNote]:
    """Notes on the customers the viewer may see (scoped in the same query)."""
    return CardNote.objects.filter(customer__in=visible_customers(viewer).values("pk"))


def note_list(*, viewer: User, customer_id: int, in_scope: bool = False) -> QuerySet[CardNote]:
    """One customer's notes, newest first; the scope is a one-row subquery on that customer,
    left out when the caller read this customer through ``viewer``'s scope in the same request
    (``in_scope``, the card page)."""
    if in_scope:
        notes = CardNote.objects.filter(customer_id=customer_id)
    else:
        notes = CardNote.objects.filter(
            customer__in=visible_customer_pk(viewer, customer_id), customer_id=customer_id
        )
    return notes.select_related("author").order_by("-created_at", "-id")


def can_edit_note(user: User, note: CardNote) -> bool:
    return policy.is_active(user) and note.author_id == user.pk


def _clean_body(raw: object) -> str:
    body = str(raw or "").strip()
    if not body:
        raise ValidationFailed(fields={"body": [_("Write something first.")]})
    if len(body) > MAX_NOTE:
        raise ValidationFailed(
            fields={"body": [_("A note has at most %(max)d characters.") % {"max": MAX_NOTE}]}
        )
    return body


def note_add(*, actor: User, customer_id: int, body: object) -> CardNote:
    """Append a note to a card in the actor's scope (NotFound otherwise)."""
    if not visible_customers(actor).filter(pk=customer_id).exists():
        raise NotFound()
    if not policy.can_log_interaction(actor):
        raise PermissionDenied()
    text = _clean_body(body)
    with transaction.atomic():
        note = CardNote.objects.create(customer_id=customer_id, author=actor, body=text)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=note,
            customer_id=customer_id,
            changes={"body": [None, text]},
        )
    return note


def note_edit(*, actor: User, note_id: int, body: object) -> CardNote:
    """Change the text of the actor's own note; someone else's note is PermissionDenied."""
    note = visible_notes(actor).filter(pk=note_id).first()
    if note is None:
        raise NotFound()
    if not can_edit_note(actor, note):
        raise PermissionDenied()
    text = _clean_body(body)
    with transaction.atomic():
        note = CardNote.objects.select_for_update().get(pk=note.pk)
        if note.body == text:
            return note
        before = note.body
        note.body = text
        note.edited_at = timezone.now()
        note.save(update_fields=["body", "edited_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=note,
            customer_id=note.customer_id,
            changes={"body": [before, text]},
        )
    return note
