"""A customer's rights requests: a copy of their personal data, and erasure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from tiercard.api.auth import viewer
from tiercard.api.data_exports import stream_response
from tiercard.api.errors import error_responses
from tiercard.customers.selectors import customer_get
from tiercard.privacy.erasure import check_confirmation, customer_erase
from tiercard.privacy.policy import can_erase_customer
from tiercard.privacy.subject_export import personal_data_export

router = Router(tags=["privacy"])


class EraseIn(Schema):
    reason: str = ""
    confirm: str | int = ""


class ErasedOut(Schema):
    id: int
    name: str
    erased_at: dt.datetime


@router.get(
    "/customers/{int:customer_id}/personal-data",
    response=error_responses(403, 404),
    openapi_extra={
        "responses": {
            200: {
                "description": "A zip: the JSON document and the xlsx workbook.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    summary="Everything held about one customer (PIPL art. 45), unmasked",
)
def personal_data(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Admins, and managers for their team's customers. Audit-logged."""
    exported = personal_data_export(actor=viewer(request), customer_id=customer_id)
    return stream_response(exported.chunks, exported.content_type, exported.filename)


@router.post(
    "/customers/{int:customer_id}/erase",
    response={200: ErasedOut, **error_responses(403, 404, 409)},
    summary="Erase a customer's personal data by anonymisation (admins)",
)
def erase(request: HttpRequest, customer_id: int, payload: EraseIn) -> dict[str, Any]:
    """``confirm`` must repeat the customer's id. Purchases, points and figures are kept.

    409 ``already_erased`` for a customer erased before.
    """
    user = viewer(request)
    customer_get(viewer=user, customer_id=customer_id)  # 404 before anything else
    if can_erase_customer(user):
        check_confirmation(customer_id, payload.confirm)
    customer = customer_erase(actor=user, customer_id=customer_id, reason=payload.reason)
    assert customer.erased_at is not None
    return {"id": customer.pk, "name": customer.name, "erased_at": customer.erased_at}
