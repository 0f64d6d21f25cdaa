"""Printable PDFs: a customer's card, and the member table of a saved view or of filters.

Both answer ``application/pdf`` (inline, with the Chinese filename in ``filename*``); errors
answer the usual JSON shape. Every PDF is audit-logged as an export by the printing services.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.table_view import TableQuery, table_view_of
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
def member_table_pdf(request: HttpRequest, params: Query[TableQuery]) -> HttpResponse:
    """The rows of a view as the member table shows them: the caller's scope, the filters and
    the sort. Filters given here replace the saved view's. Refused above the printable row
    limit (`too_many_rows`, 422): export xlsx instead. Managers, admins and marketing only."""
    user = viewer(request)
    table_view = table_view_of(user, **params.dict())
    return _pdf(member_table_print(actor=user, view=table_view))
