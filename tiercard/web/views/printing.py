"""Printable PDFs: a customer's card and the member table's current view, shown inline.

Thin: the printing services check scope and rights, render, and audit; these views only read
the request and answer with the PDF (or, for a view too large to print, go back to the table
with the message suggesting an Excel export).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from tiercard.core.errors import ValidationFailed
from tiercard.listviews.table import TableView
from tiercard.loyalty.services.state import active_programme
from tiercard.printing.services import PrintedFile, card_print, member_table_print
from tiercard.web.errors import web_view
from tiercard.web.member_table import MemberTableForm
from tiercard.web.presenters import filter_owner_choices
from tiercard.web.requests import viewer

MAX_QUERY = 2000


def pdf_response(printed: PrintedFile) -> HttpResponse:
    """The PDF shown in the browser, under its Chinese name when saved."""
    response = HttpResponse(printed.content, content_type=printed.content_type)
    response["Content-Disposition"] = printed.disposition(inline=True)
    response["Cache-Control"] = "no-store"  # personal data: no copy in any cache
    response["X-Content-Type-Options"] = "nosniff"
    return response


@web_view
@require_GET
def card_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    return pdf_response(card_print(actor=viewer(request), customer_id=pk))


def _table_view(request: HttpRequest, query: QueryDict) -> TableView:
    form = MemberTableForm(
        query,
        ladder=active_programme().programme.ladder,
        owners=filter_owner_choices(viewer(request)),
    )
    return form.table_view()


@web_view
@require_GET
def table_pdf_view(request: HttpRequest) -> HttpResponse:
    """The member table's current view (its query string) as a landscape PDF."""
    query = QueryDict(request.GET.urlencode()[:MAX_QUERY], mutable=True)
    query.pop("cursor", None)
    try:
        printed = member_table_print(actor=viewer(request), view=_table_view(request, query))
    except ValidationFailed as error:
        if error.code != "too_many_rows":
            raise
        messages.error(request, str(error.message))
        url = reverse("web:customer_list")
        return redirect(f"{url}?{query.urlencode()}" if query else url)
    return pdf_response(printed)
