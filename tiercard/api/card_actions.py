"""The card's quick actions besides purchases and interactions: notes, owner, tags.

The same services as the card page (``cards.notes``, ``customers.card_actions``), so the rules
are the page's: a customer outside the caller's scope answers 404 before any right is checked
and nothing is written; a repeated owner or tag change is a no-op without an audit row.
The card's timeline is ``GET /customers/{id}/timeline`` (``api.customers``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from tiercard.accounts.models import User
from tiercard.api.auth import viewer
from tiercard.api.customer_pages import customer_records_page
from tiercard.api.errors import error_responses
from tiercard.api.paging import MAX_DB_INT, KeySpec, PageCursor, PageLimit
from tiercard.api.schemas import InputSchema, Ref
from tiercard.api.serializers import ref_team, ref_user
from tiercard.api.types import LocalDateTime
from tiercard.cards.account_manager import owner_change
from tiercard.cards.models import CardNote
from tiercard.cards.notes import MAX_NOTE, can_edit_note, note_add, note_edit, note_list
from tiercard.customers.card_actions import (
    customer_tag_add,
    customer_tag_remove,
)
from tiercard.customers.models import Customer

router = Router(tags=["card actions"])

# Notes page newest first, as ``cards.notes.note_list`` orders them.
NOTES_NEWEST_FIRST = KeySpec("created_at", descending=True, kind="datetime")
# Loose on purpose: the service trims and checks the real limits, with its own messages.
RAW_TEXT = MAX_NOTE * 2


class NoteIn(InputSchema):
    body: str = Field(max_length=RAW_TEXT, description=f"1–{MAX_NOTE} characters once trimmed.")


class NoteOut(Schema):
    id: int
    customer_id: int
    author: Ref | None
    body: str
    created_at: LocalDateTime
    edited_at: LocalDateTime | None
    editable: bool = Field(description="True when the caller may edit it (their own note).")


class NotePage(Schema):
    items: list[NoteOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class OwnerIn(InputSchema):
    owner_id: int | None = Field(
        ge=1, le=MAX_DB_INT, description="The new account manager; null for nobody."
    )


class TagIn(InputSchema):
    tag: str = Field(max_length=200, description="Trimmed; at most 40 characters.")


class CardFactsOut(Schema):
    """What an owner or tag change touches on the card."""

    customer_id: int
    owner: Ref | None
    team: Ref | None
    tags: list[str]
    version: int
    updated_at: LocalDateTime


def note_out(user: User, note: CardNote) -> dict[str, Any]:
    return {
        "id": note.pk,
        "customer_id": note.customer_id,
        "author": ref_user(note.author),
        "body": note.body,
        "created_at": note.created_at,
        "edited_at": note.edited_at,
        "editable": can_edit_note(user, note),
    }


def _facts(customer: Customer) -> dict[str, Any]:
    """The card's owner, team and tags as the service left them (two small queries)."""
    return {
        "customer_id": customer.pk,
        "owner": ref_user(customer.owner),
        "team": ref_team(customer.team),
        "tags": sorted(t.name for t in customer.tags.all()),
        "version": customer.version,
        "updated_at": customer.updated_at,
    }


# --- notes ---------------------------------------------------------------------------------------


@router.get(
    "/customers/{int:customer_id}/notes",
    response={200: NotePage, **error_responses(404)},
    summary="List notes",
)
def list_notes(
    request: HttpRequest,
    customer_id: int,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> dict[str, Any]:
    """The card's notes (备注), newest first. Page with `next` as `cursor`."""
    user = viewer(request)
    return customer_records_page(
        viewer=user,
        customer_id=customer_id,
        select=note_list,
        name="notes",
        out=lambda note: note_out(user, note),
        limit=limit,
        cursor=cursor,
        spec=NOTES_NEWEST_FIRST,
    )


@router.post(
    "/customers/{int:customer_id}/notes",
    response={201: NoteOut, **error_responses(403, 404)},
    summary="Add note",
)
def add_note(request: HttpRequest, customer_id: int, payload: NoteIn) -> Status:
    """Append a note to the card; anyone who sees the customer may. Audited."""
    user = viewer(request)
    note = note_add(actor=user, customer_id=customer_id, body=payload.body)
    note.author = user
    return Status(201, note_out(user, note))


@router.patch(
    "/notes/{int:note_id}",
    response={200: NoteOut, **error_responses(403, 404)},
    summary="Edit note",
)
def edit_note(request: HttpRequest, note_id: int, payload: NoteIn) -> dict[str, Any]:
    """Change the text of one of the caller's own notes (someone else's: 403). Audited with
    the old text."""
    user = viewer(request)
    note = note_edit(actor=user, note_id=note_id, body=payload.body)
    note.author = user
    return note_out(user, note)


# --- owner and tags --------------------------------------------------------------------------


@router.put(
    "/customers/{int:customer_id}/owner",
    response={200: CardFactsOut, **error_responses(403, 404)},
    summary="Change owner",
)
def change_owner(request: HttpRequest, customer_id: int, payload: OwnerIn) -> dict[str, Any]:
    """Hand the customer to another account manager (managers and admins). The team follows
    the new owner's team. Handing it to the owner it has changes nothing."""
    customer = owner_change(
        actor=viewer(request), customer_id=customer_id, owner_id=payload.owner_id
    )
    return _facts(customer)


@router.post(
    "/customers/{int:customer_id}/tags",
    response={200: CardFactsOut, **error_responses(403, 404)},
    summary="Add tag",
)
def add_tag(request: HttpRequest, customer_id: int, payload: TagIn) -> dict[str, Any]:
    """Put a tag on the customer; a new name becomes a tag everyone can filter by. Adding a
    tag the customer already has changes nothing."""
    customer = customer_tag_add(actor=viewer(request), customer_id=customer_id, name=payload.tag)
    return _facts(customer)


@router.delete(
    "/customers/{int:customer_id}/tags/{path:tag}",
    response={200: CardFactsOut, **error_responses(403, 404)},
    summary="Remove tag",
)
def remove_tag(request: HttpRequest, customer_id: int, tag: str) -> dict[str, Any]:
    """Take a tag off the customer (URL-encode the name). A tag the customer does not have
    changes nothing; the tag itself stays for other customers."""
    customer = customer_tag_remove(actor=viewer(request), customer_id=customer_id, name=tag)
    return _facts(customer)
