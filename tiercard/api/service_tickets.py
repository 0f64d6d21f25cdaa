"""Service tickets (服务记录): a customer's tickets, the queue and its figures, one ticket, and
the ticket's life (open, respond, resolve, reopen, assign).

Every rule is the service desk's (``servicedesk.services``): a ticket of a customer outside the
caller's scope answers 404 and nothing is written; marketing reads tickets but gets 403 on
every write; a resolved ticket refuses replies, resolution and assignment (409
``ticket_resolved``) and only a resolved one can be reopened (409 ``ticket_not_resolved``).
``overdue`` is worked out when the ticket is read, against one clock per request.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status

from tiercard.api.auth import viewer
from tiercard.api.customer_pages import customer_records_page
from tiercard.api.errors import error_responses
from tiercard.api.paging import KeyChain, Keyset, KeySpec, PageCursor, PageLimit, paginate
from tiercard.api.schemas import (
    QueueFiguresOut,
    TicketAssignIn,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketReopenIn,
    TicketReplyIn,
    TicketReplyOut,
    TicketResolveIn,
)
from tiercard.api.serializers import ticket_out
from tiercard.core.errors import ValidationFailed
from tiercard.servicedesk import services
from tiercard.servicedesk.selectors import (
    QueueView,
    customer_tickets,
    queue_figures,
    ticket_detail,
    ticket_queue,
)

router = Router(tags=["service tickets"])

# How each ordering of ``servicedesk.selectors`` pages by keyset (a test pages every view).
# The working queue: priority first, then the earliest due (no promised time last), the oldest.
PRIORITY_FIRST = KeyChain(
    (
        KeySpec("priority", descending=True, kind="bool"),
        KeySpec("respond_by", descending=False, kind="datetime", nullable=True),
        KeySpec("opened_at", descending=False, kind="datetime"),
    )
)
# Unresolved: those awaiting a first response ("open" sorts before "responded"), then as above.
AWAITING_FIRST = KeyChain((KeySpec("status", descending=False, kind="str"), *PRIORITY_FIRST.parts))
QUEUE_KEYS: dict[QueueView, Keyset] = {
    QueueView.ACTIVE: AWAITING_FIRST,
    QueueView.OPEN: PRIORITY_FIRST,
    QueueView.OVERDUE: PRIORITY_FIRST,
    QueueView.RESOLVED: KeySpec("resolved_at", descending=True, kind="datetime"),
    QueueView.ALL: KeySpec("opened_at", descending=True, kind="datetime"),
}
# A customer's tickets: unresolved first, then the latest resolved; newest first within.
CUSTOMER_KEYS = KeyChain(
    (
        KeySpec("resolved_at", descending=True, kind="datetime", nullable=True),
        KeySpec("opened_at", descending=True, kind="datetime"),
    ),
    id_descending=True,
    nulls_first=frozenset({"resolved_at"}),
)
VIEWS = ", ".join(QueueView)


def _ticket(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    """The ticket as the caller sees it now (one query, customer and people joined)."""
    ticket = ticket_detail(viewer=viewer(request), ticket_id=ticket_id)
    return ticket_out(ticket, now=timezone.now())


# --- a customer's tickets ----------------------------------------------------------------------


@router.get(
    "/customers/{int:customer_id}/service-tickets",
    response={200: TicketPage, **error_responses(404)},
    summary="List a customer's service tickets",
)
def list_customer_tickets(
    request: HttpRequest,
    customer_id: int,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> dict[str, Any]:
    """Unresolved tickets first, then the resolved ones; newest first within each. Page with
    `next` as `cursor`."""
    now = timezone.now()
    return customer_records_page(
        viewer=viewer(request),
        customer_id=customer_id,
        # The page checked the customer's scope first: the selector need not again.
        select=lambda **scope: customer_tickets(**scope, in_scope=True).select_related("customer"),
        name="service_tickets",
        out=lambda ticket: ticket_out(ticket, now=now),
        limit=limit,
        cursor=cursor,
        spec=CUSTOMER_KEYS,
    )


@router.post(
    "/customers/{int:customer_id}/service-tickets",
    response={201: TicketOut, **error_responses(403, 404)},
    summary="Open a service ticket",
)
def open_ticket(request: HttpRequest, customer_id: int, payload: TicketIn) -> Status:
    """Open a ticket under the terms of the tier the customer holds now: `respond_by` is the
    reception time plus the tier's response hours, and a tier with priority booking puts it
    first in the queue. A later tier change keeps these terms. Audited."""
    ticket = services.ticket_open(
        actor=viewer(request), customer_id=customer_id, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, _ticket(request, ticket.pk))


# --- the queue ---------------------------------------------------------------------------------


@router.get(
    "/service-tickets",
    response={200: TicketPage, **error_responses()},
    summary="The service ticket queue",
)
def list_queue(
    request: HttpRequest,
    view: Annotated[
        str,
        Query(
            description=f"One of {VIEWS}. `active` (unresolved), `open` (awaiting a first "
            "response) and `overdue` list priority tickets first, then by the time a response "
            "is due; `resolved` the latest resolved first; `all` the newest first."
        ),
    ] = QueueView.ACTIVE,
    mine: Annotated[bool, Query(description="Only the tickets assigned to the caller.")] = False,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> dict[str, Any]:
    """The tickets of the customers the caller sees. Page with `next` as `cursor`."""
    user = viewer(request)
    try:
        chosen = QueueView(view)
    except ValueError:
        message = _("Choose one of: %(expected)s.") % {"expected": VIEWS}
        raise ValidationFailed(fields={"view": [message]}) from None
    now = timezone.now()
    page = paginate(
        ticket_queue(viewer=user, view=chosen, mine=mine, now=now),
        name=f"service_tickets:{chosen}",
        spec=QUEUE_KEYS[chosen],
        limit=limit,
        cursor=cursor,
    )
    return {"items": [ticket_out(t, now=now) for t in page.items], "next": page.next}


@router.get(
    "/service-tickets/figures",
    response={200: QueueFiguresOut, **error_responses()},
    summary="The queue's figures",
)
def get_queue_figures(request: HttpRequest) -> dict[str, Any]:
    """Counts over the tickets of the customers the caller sees, and how many tickets with a
    promised time answered in the last 30 days were answered in time."""
    figures = queue_figures(viewer=viewer(request), now=timezone.now())
    return {
        "active": figures.active,
        "open": figures.open,
        "overdue": figures.overdue,
        "priority_open": figures.priority_open,
        "answered_30d": figures.answered_30d,
        "on_time_30d": figures.on_time_30d,
        "on_time_percent": figures.on_time_percent,
    }


# --- one ticket --------------------------------------------------------------------------------


@router.get(
    "/service-tickets/{int:ticket_id}",
    response={200: TicketOut, **error_responses(404)},
    summary="Get a service ticket",
)
def get_ticket(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    return _ticket(request, ticket_id)


@router.post(
    "/service-tickets/{int:ticket_id}/respond",
    response={200: TicketReplyOut, **error_responses(403, 404, 409)},
    summary="Reply to the customer",
)
def respond_ticket(request: HttpRequest, ticket_id: int, payload: TicketReplyIn) -> dict[str, Any]:
    """Log a reply as an interaction (on the timeline, counts as contact). The first reply
    stamps the ticket's response time; it may be dated back, never before the ticket."""
    _answered, reply = services.ticket_respond(
        actor=viewer(request), ticket_id=ticket_id, data=payload.model_dump(exclude_unset=True)
    )
    return {"ticket": _ticket(request, ticket_id), "interaction_id": reply.pk}


@router.post(
    "/service-tickets/{int:ticket_id}/resolve",
    response={200: TicketOut, **error_responses(403, 404, 409)},
    summary="Resolve a service ticket",
)
def resolve_ticket(
    request: HttpRequest, ticket_id: int, payload: TicketResolveIn
) -> dict[str, Any]:
    """Close the ticket with what was done. A ticket never answered counts as answered now."""
    services.ticket_resolve(
        actor=viewer(request), ticket_id=ticket_id, resolution=payload.resolution
    )
    return _ticket(request, ticket_id)


@router.post(
    "/service-tickets/{int:ticket_id}/reopen",
    response={200: TicketOut, **error_responses(403, 404, 409)},
    summary="Reopen a resolved service ticket",
)
def reopen_ticket(request: HttpRequest, ticket_id: int, payload: TicketReopenIn) -> dict[str, Any]:
    """The customer came back: the ticket is worked again (as responded). The old resolution
    and the reason go to the audit log."""
    services.ticket_reopen(actor=viewer(request), ticket_id=ticket_id, reason=payload.reason)
    return _ticket(request, ticket_id)


@router.post(
    "/service-tickets/{int:ticket_id}/assign",
    response={200: TicketOut, **error_responses(403, 404, 409)},
    summary="Assign a service ticket",
)
def assign_ticket(request: HttpRequest, ticket_id: int, payload: TicketAssignIn) -> dict[str, Any]:
    """Hand the ticket to a colleague who handles tickets and sees the customer (service desk,
    managers and administrators)."""
    services.ticket_assign(
        actor=viewer(request), ticket_id=ticket_id, assignee_id=payload.assignee_id
    )
    return _ticket(request, ticket_id)
