"""Tier override requests (改级申请): asked by one person, approved or rejected by another.

Every rule is the loyalty service's (``loyalty.services.override_requests``): anyone who may
update the customer asks; a manager or administrator responsible for the customer, never the
one who asked, approves (the override is set, naming both) or rejects with a note; the one who
asked may withdraw while it waits. A request of a customer outside the caller's scope answers
404 and nothing is written; every refusal writes nothing. Reads go through the scoped
selectors (``loyalty.selectors.override_requests``) and page by key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tiercard.accounts.models import User
from tiercard.api.auth import viewer
from tiercard.api.customer_pages import customer_records_page
from tiercard.api.errors import error_responses
from tiercard.api.paging import KeySpec, PageCursor, PageLimit, paginate
from tiercard.api.schemas import InputSchema, Ref
from tiercard.api.serializers import ref_user
from tiercard.api.types import LocalDateTime
from tiercard.core.bilingual import localised
from tiercard.core.errors import NotFound, ValidationFailed
from tiercard.loyalty.models import OverrideRequest
from tiercard.loyalty.selectors.override_requests import (
    customer_requests,
    decided_requests,
    waiting_requests,
)
from tiercard.loyalty.services.override_requests import (
    override_approve,
    override_reject,
    override_request,
    override_withdraw,
)
from tiercard.loyalty.services.state import active_programme

router = Router(tags=["tier override requests"])

# How each ordering of the selectors pages by keyset.
WAITING_KEYS = KeySpec("requested_at", descending=False, kind="datetime")  # oldest first
DECIDED_KEYS = KeySpec("decided_at", descending=True, kind="datetime")  # latest decision first
CUSTOMER_KEYS = KeySpec("requested_at", descending=True, kind="datetime")  # newest first

# The viewer's lists: ``status`` → (selector, its keys).
LISTS: dict[str, tuple[Callable[..., QuerySet[OverrideRequest]], KeySpec]] = {
    "pending": (waiting_requests, WAITING_KEYS),
    "decided": (decided_requests, DECIDED_KEYS),
}
STATUSES = ", ".join(LISTS)


# --- schemas -----------------------------------------------------------------------------------


class OverrideRequestIn(InputSchema):
    tier: str = Field(max_length=32, description="A tier code of the active ladder.")
    reason: str = Field(max_length=400, description="Why; at most 200 characters once trimmed.")
    until: dt.date = Field(description="Last day of the override: after today, within 3 years.")


class ApproveIn(InputSchema):
    note: str = Field("", max_length=400, description="Optional; at most 200 characters.")


class RejectIn(InputSchema):
    note: str = Field("", max_length=400, description="Why (required): the one who asked reads it.")


class OverrideRequestOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    tier: str = Field(description="The tier code asked for.")
    tier_name: str = Field(
        description="The tier's name in the response language; the code when the active "
        "ladder no longer has the tier."
    )
    until: dt.date = Field(description="Last day of the override once approved.")
    reason: str
    status: str = Field(description="pending, approved, rejected or withdrawn.")
    requested_by: Ref | None = Field(description="null only if the account was deleted.")
    requested_at: LocalDateTime
    decided_by: Ref | None = Field(
        description="Who approved or rejected it, or the one who withdrew it; null while pending."
    )
    decided_at: LocalDateTime | None
    note: str = Field(description="The approver's note; why, when rejected.")


class OverrideRequestPage(Schema):
    items: list[OverrideRequestOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


# --- serializers -------------------------------------------------------------------------------


def tier_names() -> dict[str, str]:
    """Tier code → name in the active language, from the active ladder (one query)."""
    ladder = active_programme().programme.ladder
    return {t.code: localised(t.name_zh, t.name_en) for t in ladder.tiers}


def request_out(found: OverrideRequest, names: Mapping[str, str]) -> dict[str, Any]:
    """A request. Expects the customer and both people selected with it."""
    return {
        "id": found.pk,
        "customer_id": found.customer_id,
        "customer_name": found.customer.name,
        "tier": found.tier,
        "tier_name": names.get(found.tier, found.tier),
        "until": found.until,
        "reason": found.reason,
        "status": found.status,
        "requested_by": ref_user(found.requested_by),
        "requested_at": found.requested_at,
        "decided_by": ref_user(found.decided_by),
        "decided_at": found.decided_at,
        "note": found.note,
    }


def _scoped(user: User, request_id: int) -> OverrideRequest:
    """The request if its customer is in the caller's scope, else ``NotFound``: the viewer's
    waiting and decided lists together hold every request they may see (a query each)."""
    for listed in (waiting_requests(viewer=user), decided_requests(viewer=user)):
        found = listed.select_related("decided_by").filter(pk=request_id).first()
        if found is not None:
            return found
    raise NotFound()


def _request(request: HttpRequest, request_id: int) -> dict[str, Any]:
    """The request as the caller sees it now."""
    return request_out(_scoped(viewer(request), request_id), tier_names())


# --- a customer's requests ---------------------------------------------------------------------


@router.get(
    "/customers/{int:customer_id}/tier/override-requests",
    response={200: OverrideRequestPage, **error_responses(404)},
    summary="List a customer's tier override requests",
)
def list_customer_requests(
    request: HttpRequest,
    customer_id: int,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> dict[str, Any]:
    """Every request of the customer, whatever its status, newest first. Page with `next` as
    `cursor`.

    404 `not_found` (the customer is outside the caller's scope). 422 `validation_error` on
    `limit` or `cursor`.
    """
    names = tier_names()
    return customer_records_page(
        viewer=viewer(request),
        customer_id=customer_id,
        # The page checked the customer's scope first: the selector need not again.
        select=lambda **scope: customer_requests(**scope, in_scope=True).select_related("customer"),
        name="override_requests:customer",
        out=lambda found: request_out(found, names),
        limit=limit,
        cursor=cursor,
        spec=CUSTOMER_KEYS,
    )


@router.post(
    "/customers/{int:customer_id}/tier/override-requests",
    response={201: OverrideRequestOut, **error_responses(403, 404, 409)},
    summary="Ask for a tier override",
)
def ask_override(request: HttpRequest, customer_id: int, payload: OverrideRequestIn) -> Status:
    """Ask for the tier through `until`; a manager or administrator responsible for the
    customer, other than the one who asked, approves or rejects it. Sales reps, managers and
    administrators ask. Audited.

    404 `not_found` (the customer is outside the caller's scope). 403 `override_not_allowed`
    (the caller may not update customers). 409 `override_pending` (a request of this customer
    already waits), `no_approver` (nobody else may approve it), `customer_merged` (the card was
    merged into another: ask on that one). 422 `unknown_tier`,
    `reason_required`, `reason_too_long`, `until_not_future`, `until_too_far`,
    `validation_error`.
    """
    made = override_request(
        actor=viewer(request),
        customer_id=customer_id,
        tier_code=payload.tier,
        reason=payload.reason,
        until=payload.until,
    )
    return Status(201, _request(request, made.pk))


# --- the viewer's requests ---------------------------------------------------------------------


@router.get(
    "/override-requests",
    response={200: OverrideRequestPage, **error_responses()},
    summary="Tier override requests",
)
def list_requests(
    request: HttpRequest,
    status: Annotated[
        str,
        Query(
            description=f"One of {STATUSES}. `pending`: waiting for a decision, oldest first; "
            "`decided`: approved, rejected or withdrawn, the latest decision first."
        ),
    ] = "pending",
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> dict[str, Any]:
    """The requests on the customers the caller sees. Page with `next` as `cursor` (a cursor
    of one status is refused on the other).

    422 `validation_error` on `status`, `limit` or `cursor`.
    """
    if status not in LISTS:
        message = _("Choose one of: %(expected)s.") % {"expected": STATUSES}
        raise ValidationFailed(fields={"status": [message]})
    select, spec = LISTS[status]
    names = tier_names()
    page = paginate(
        select(viewer=viewer(request)).select_related("decided_by"),
        name=f"override_requests:{status}",
        spec=spec,
        limit=limit,
        cursor=cursor,
    )
    return {"items": [request_out(r, names) for r in page.items], "next": page.next}


# --- one request -------------------------------------------------------------------------------


@router.get(
    "/override-requests/{int:request_id}",
    response={200: OverrideRequestOut, **error_responses(404)},
    summary="Get a tier override request",
)
def get_request(request: HttpRequest, request_id: int) -> dict[str, Any]:
    """One request, whatever its status. 404 `not_found` outside the caller's scope."""
    return _request(request, request_id)


@router.post(
    "/override-requests/{int:request_id}/approve",
    response={200: OverrideRequestOut, **error_responses(403, 404, 409)},
    summary="Approve a tier override request",
)
def approve_request(request: HttpRequest, request_id: int, payload: ApproveIn) -> dict[str, Any]:
    """Approve: the override is set now (`GET /customers/{id}/tier` shows its lock, `by` the one
    who asked, `approved_by` the caller), in the same transaction. Audited.

    404 `not_found` (outside the caller's scope). 403 `override_not_allowed` (not a manager or
    administrator), `own_request`. 409 `override_decided`; `requester_inactive`,
    `override_expired` (the end date passed while it waited), `customer_merged` (the card was
    merged into another): reject it instead. 422 `validation_error` (the note), `unknown_tier`
    (the active ladder no longer has the tier). Send `{}` without a note.
    """
    override_approve(actor=viewer(request), request_id=request_id, note=payload.note)
    return _request(request, request_id)


@router.post(
    "/override-requests/{int:request_id}/reject",
    response={200: OverrideRequestOut, **error_responses(403, 404, 409)},
    summary="Reject a tier override request",
)
def reject_request(request: HttpRequest, request_id: int, payload: RejectIn) -> dict[str, Any]:
    """Refuse the request; the note says why. Audited.

    404 `not_found` (outside the caller's scope). 403 `override_not_allowed` (not a manager or
    administrator), `own_request` (withdraw it instead). 409 `override_decided`. 422
    `validation_error` (the note: required, at most 200 characters).
    """
    override_reject(actor=viewer(request), request_id=request_id, note=payload.note)
    return _request(request, request_id)


@router.post(
    "/override-requests/{int:request_id}/withdraw",
    response={200: OverrideRequestOut, **error_responses(403, 404, 409)},
    summary="Withdraw a tier override request",
)
def withdraw_request(request: HttpRequest, request_id: int) -> dict[str, Any]:
    """The one who asked takes the request back while it waits. Audited.

    404 `not_found` (outside the caller's scope). 403 `not_your_request`. 409
    `override_decided`.
    """
    override_withdraw(actor=viewer(request), request_id=request_id)
    return _request(request, request_id)
