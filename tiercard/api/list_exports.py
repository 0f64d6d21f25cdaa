"""The member table view as a file: GET /customers/export?format=csv|xlsx&<view, filters...>.

Exactly what the web export gives (``listviews.export.member_table_export``): the caller's
scope, the saved view and/or filters, sort and columns; phones masked for the caller's role;
CSV in UTF-8 with a BOM or xlsx, formula-like cells neutralised; audit-logged (interface
``api``) before the first byte, then streamed. The filters are read as the PDF print reads
them (``api.table_view``).
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

from tiercard.api.auth import viewer
from tiercard.api.data_exports import FILE_RESPONSE, stream_response
from tiercard.api.errors import error_responses
from tiercard.api.table_view import TableQuery, table_view_of
from tiercard.core.errors import PermissionDenied
from tiercard.listviews.export import can_export_member_table, member_table_export

router = Router(tags=["exports"])


@router.get(
    "/customers/export",
    response=error_responses(403, 404),
    openapi_extra=FILE_RESPONSE,
    summary="Export the member table view (CSV or xlsx)",
)
def member_table_file(
    request: HttpRequest,
    params: Query[TableQuery],
    format: Annotated[str, Query(description="`csv` (UTF-8 with BOM) or `xlsx`.")] = "csv",
) -> HttpResponse:
    """The rows of a view as the member table shows them, in its order and columns: the
    caller's customers, the filters and the sort (filters given here replace the saved
    view's). Phones are masked for the caller's role. Managers, admins and marketing only;
    `format` other than csv/xlsx is 422."""
    user = viewer(request)
    if not can_export_member_table(user):  # the role first: a refused caller learns nothing
        raise PermissionDenied(_("Your role may not export customer data."))
    table_view = table_view_of(user, **params.dict())
    exported = member_table_export(actor=user, view=table_view, fmt=format)
    return stream_response(exported.chunks, exported.content_type, exported.filename)
