"""Returns (退货) against a purchase: growth value and points are taken back pro rata."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.idempotency import REFERENCE_HELP, IdempotencyKey, with_reference
from tiercard.api.schemas import InputSchema
from tiercard.api.types import AmountIn, LocalDateTime, Money
from tiercard.loyalty.services.checkout import purchase_return
from tiercard.sales.models import PurchaseReturn

router = Router(tags=["purchases"])


class ReturnIn(InputSchema):
    amount: AmountIn
    occurred_at: str | None = Field(
        None, max_length=40, description="ISO 8601; without an offset it is business time."
    )
    reason: str | None = Field(None, max_length=200)
    external_ref: str | None = Field(
        None,
        max_length=64,
        description=REFERENCE_HELP,
    )


class ReturnOut(Schema):
    id: int
    purchase_id: int
    amount: Money
    occurred_at: LocalDateTime
    reason: str
    external_ref: str
    created_at: LocalDateTime


def return_out(item: PurchaseReturn) -> dict[str, Any]:
    return {
        "id": item.pk,
        "purchase_id": item.purchase_id,
        "amount": item.amount,
        "occurred_at": item.occurred_at,
        "reason": item.reason,
        "external_ref": item.external_ref,
        "created_at": item.created_at,
    }


@router.post(
    "/purchases/{int:purchase_id}/returns",
    response={201: ReturnOut, 200: ReturnOut, **error_responses(403, 404, 409)},
)
def record_return(
    request: HttpRequest,
    purchase_id: int,
    payload: ReturnIn,
    idempotency_key: IdempotencyKey = None,
) -> Status:
    """Record goods returned from a purchase.

    The window figures drop at once; the tier is reviewed at the next scheduled review.
    Idempotent on `external_ref` (or the `Idempotency-Key` header), one of which is required
    (422 `reference_required` without): a replay answers 200 with the stored return; the same
    reference for another return is 422 `duplicate_external_ref`. Returning more than is left
    of the purchase is 409 `return_exceeds_purchase`.
    """
    recorded = purchase_return(
        actor=viewer(request),
        purchase_id=purchase_id,
        data=with_reference(payload.model_dump(exclude_unset=True), idempotency_key),
    )
    return Status(201 if recorded.created else 200, return_out(recorded.purchase_return))
