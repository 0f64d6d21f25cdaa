"""Purchases (消费记录): list, read, and idempotent recording."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from tiercard.api.auth import viewer
from tiercard.api.customer_pages import customer_records_page
from tiercard.api.errors import error_responses
from tiercard.api.idempotency import IdempotencyKey, with_reference
from tiercard.api.paging import PageCursor, PageLimit
from tiercard.api.schemas import PurchaseIn, PurchaseOut, PurchasePage
from tiercard.api.serializers import purchase_out
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
    idempotency_key: IdempotencyKey = None,
) -> Status:
    """Record a purchase and update the customer's totals.

    Idempotent on `external_ref` (or the `Idempotency-Key` header), one of which is required
    (422 `reference_required` without): the first call answers 201; replaying the same
    purchase answers 200 with the stored one; reusing the reference for a different purchase
    is 422 naming `external_ref`.
    """
    user = viewer(request)
    data = with_reference(payload.model_dump(exclude_unset=True), idempotency_key)
    recorded = purchase_record(actor=user, customer_id=customer_id, data=data)
    purchase = purchase_get(viewer=user, purchase_id=recorded.purchase.pk)
    return Status(201 if recorded.created else 200, purchase_out(purchase))
