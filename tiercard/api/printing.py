"""Printable PDFs: a customer's card, and the member table of a saved view or of filters.

Both answer ``application/pdf`` (inline, with the Chinese filename in ``filename*``); errors
answer the usual JSON shape. Every PDF is audit-logged as an export by the printing services.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.paging import MAX_DB_INT
from tiercard.api.table_view import table_view_of
from tiercard.customers.models import CustomerKind
from tiercard.listviews.table import COLUMN_KEYS, SORTS
from tiercard.printing.services import PrintedFile, card_print, member_table_print

router = Router(tags=["printing"])

PDF_RESPONSE: dict[str, Any] = {
    "responses": {
        "200": {
            "description": "The PDF (A4), shown inline.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _pdf(printed: PrintedFile) -> HttpResponse:
    response = HttpResponse(printed.content, content_type=printed.content_type)
    response["Content-Disposition"] = printed.disposition(inline=True)
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/customers/{int:customer_id}/card.pdf",
    response=error_responses(404, 503),
    openapi_extra=PDF_RESPONSE,
    summary="Print a customer card (PDF)",
)
def customer_card_pdf(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The card with the sections of the customer's tier template, contact data masked for
    the caller's role. Another rep's customer answers 404 like a missing one."""
    return _pdf(card_print(actor=viewer(request), customer_id=customer_id))


@router.get(
    "/customers/table.pdf",
    response=error_responses(403, 404, 503),
    openapi_extra=PDF_RESPONSE,
    summary="Print the member table (PDF)",
)
def member_table_pdf(
    request: HttpRequest,
    view: Annotated[
        int | None,
        Query(ge=1, le=MAX_DB_INT, description="A saved view (own or shared) to start from."),
    ] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    tier: Annotated[str | None, Query(max_length=40, description="A tier code.")] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    city: Annotated[str | None, Query(max_length=30)] = None,
    owner_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    status: Annotated[str | None, Query(description="A status, or `all`.")] = None,
    kind: Annotated[str | None, Query(description=" or ".join(CustomerKind.values))] = None,
    purchased_from: dt.date | None = None,
    purchased_to: dt.date | None = None,
    min_spend: Annotated[str | None, Query(max_length=40)] = None,
    max_spend: Annotated[str | None, Query(max_length=40)] = None,
    sort: Annotated[str | None, Query(description="One of " + ", ".join(SORTS) + ".")] = None,
    cols: Annotated[
        list[str] | None, Query(description="Columns: " + ", ".join(COLUMN_KEYS) + ".")
    ] = None,
) -> HttpResponse:
    """The rows of a view as the member table shows them: the caller's scope, the filters and
    the sort. Filters given here replace the saved view's. Refused above the printable row
    limit (`too_many_rows`, 422): export xlsx instead. Managers, admins and marketing only."""
    user = viewer(request)
    table_view = table_view_of(
        user,
        view=view,
        q=q,
        tier=tier,
        tag=tag,
        city=city,
        owner_id=owner_id,
        status=status,
        kind=kind,
        purchased_from=purchased_from,
        purchased_to=purchased_to,
        min_spend=min_spend,
        max_spend=max_spend,
        sort=sort,
        cols=cols,
    )
    return _pdf(member_table_print(actor=user, view=table_view))
