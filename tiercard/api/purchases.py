"""Purchases (消费记录): list, read, and idempotent recording."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Header, Router, Status

from tiercard.api.auth import viewer
from tiercard.api.customer_pages import customer_records_page
from tiercard.api.errors import error_responses
from tiercard.api.paging import PageCursor, PageLimit
from tiercard.api.schemas import PurchaseIn, PurchaseOut, PurchasePage
from tiercard.api.serializers import purchase_out
from tiercard.core.errors import ValidationFailed
from tiercard.core.text import clean_text
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.sales.selectors import purchase_get, purchase_list

router = Router(tags=["purchases"])


@router.get(
    "/customers/{int:customer_id}/purchases",
    response={200: PurchasePage, **error_responses(404)},
)
def list_purchases(
    request: HttpRequest,
    customer_id: int,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> dict[str, Any]:
    """The customer's purchases, newest first, with their lines."""
    return customer_records_page(
        viewer=viewer(request),
        customer_id=customer_id,
        select=purchase_list,
        name="purchases",
        out=purchase_out,
        limit=limit,
        cursor=cursor,
    )


@router.get("/purchases/{int:purchase_id}", response={200: PurchaseOut, **error_responses(404)})
def get_purchase(request: HttpRequest, purchase_id: int) -> dict[str, Any]:
    return purchase_out(purchase_get(viewer=viewer(request), purchase_id=purchase_id))


@router.post(
    "/customers/{int:customer_id}/purchases",
    response={201: PurchaseOut, 200: PurchaseOut, **error_responses(403, 404)},
)
def record_purchase(
    request: HttpRequest,
    customer_id: int,
    payload: PurchaseIn,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=64,
            description="Used as external_ref when the body has none.",
        ),
    ] = None,
) -> Status:
    """Record a purchase and update the customer's totals.

    Idempotent on `external_ref` (or the `Idempotency-Key` header): the first call answers
    201; replaying the same purchase answers 200 with the stored one; reusing the reference
    for a different purchase is 422 naming `external_ref`.
    """
    user = viewer(request)
    data = payload.model_dump(exclude_unset=True)
    key = clean_text(idempotency_key or "")
    body_ref = clean_text(str(data.get("external_ref") or ""))
    if key and body_ref and key != body_ref:
        raise ValidationFailed(
            fields={"external_ref": [_("The Idempotency-Key header and external_ref differ.")]}
        )
    if key and not body_ref:
        data["external_ref"] = key
    recorded = purchase_record(actor=user, customer_id=customer_id, data=data)
    purchase = purchase_get(viewer=user, purchase_id=recorded.purchase.pk)
    return Status(201 if recorded.created else 200, purchase_out(purchase))
