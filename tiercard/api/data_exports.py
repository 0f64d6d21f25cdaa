"""Full-data exports as a streamed file: GET /exports/{kind}?format=csv|xlsx&...

The body is the file itself (CSV UTF-8 with BOM, or xlsx), never buffered whole; the audit row
is written before the first byte. Errors answer the usual JSON shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Router

from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.core.errors import PermissionDenied
from tiercard.privacy.full_export import clean_request, full_data_export
from tiercard.privacy.policy import can_export_full_data

router = Router(tags=["exports"])

FILE_RESPONSE = {
    "responses": {
        200: {
            "description": "The file (streamed).",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    }
}


def stream_response(chunks: Iterator[bytes], content_type: str, filename: str) -> HttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return cast(HttpResponse, response)


@router.get(
    "/exports/{kind}",
    response=error_responses(403, 404),
    openapi_extra=FILE_RESPONSE,
    summary="Export customers, purchases (one row per line) or the points ledger",
)
def export_data(
    request: HttpRequest,
    kind: str,
    format: str = "csv",
    date_from: str = "",
    date_to: str = "",
    status: str = "",
    tier: str = "",
) -> HttpResponse:
    """Every row of ``kind`` the caller may see, contacts masked as for the caller.

    ``date_from``/``date_to`` (YYYY-MM-DD, business days, both included) narrow purchases and
    points entries; ``status`` and ``tier`` narrow customers. Admins, managers (their team)
    and marketing only.
    """
    raw = {"date_from": date_from, "date_to": date_to, "status": status, "tier": tier}
    user = viewer(request)
    if not can_export_full_data(user):  # the role first: a refused caller learns nothing more
        raise PermissionDenied(_("Your role may not export customer data."))
    kind, fmt, filters = clean_request(kind, format, raw)
    exported = full_data_export(actor=user, kind=kind, fmt=fmt, filters=filters)
    return stream_response(exported.chunks, exported.content_type, exported.filename)
