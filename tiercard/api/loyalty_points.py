"""Points (积分): a customer's balance and ledger, redemptions, manual adjustments, and the
expiry forecast and liability over the caller's customers.

Writes are idempotent by the client's ``key``: a replay answers 201 with the record the first
call created (the same answer); the same key for another request is 422 ``duplicate_key``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.paging import (
    KeySpec,
    PageCursor,
    PageLimit,
    decode_cursor,
    encode_cursor,
    page_size,
)
from tiercard.api.schemas import InputSchema, Ref
from tiercard.api.serializers import ref_user
from tiercard.api.types import LocalDateTime, Money
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import PointsEntry, Redemption
from tiercard.loyalty.selectors.points import (
    points_forecast,
    points_ledger,
    points_liability,
    points_summary,
)
from tiercard.loyalty.services.points import points_adjust
from tiercard.loyalty.services.points_corrections import points_adjust_reverse
from tiercard.loyalty.services.points_redeem import points_redeem

router = Router(tags=["points"])

ENTRY_KEYS = KeySpec("id", descending=True, kind="int")
MAX_KEY = 80


# --- schemas -----------------------------------------------------------------------------------


class ExpiringOut(Schema):
    days: int
    points: int


class PointsSummaryOut(Schema):
    customer_id: int
    balance: int
    owed: int = Field(description="Taken back by returns beyond the balance; settled later.")
    overdue: int = Field(description="Past their last day, awaiting the nightly expiry.")
    usable: int = Field(description="What can be redeemed today: balance − overdue.")
    expiring: list[ExpiringOut] = Field(description="Expiring within 30/60/90 days, cumulative.")
    next_expiry: dt.date | None
    next_expiry_points: int
    earned: int
    reversed: int
    redeemed: int
    expired: int
    adjusted: int


class PointsEntryOut(Schema):
    id: int
    kind: str
    points: int
    balance_after: int
    occurred_at: LocalDateTime
    purchase_id: int | None
    reverses_id: int | None
    ladder_version: int | None
    note: str
    actor: Ref | None


class PointsEntryPage(Schema):
    items: list[PointsEntryOut]
    next: str | None


class RedemptionIn(InputSchema):
    reward_code: str = Field(max_length=32)
    quantity: int = Field(description="1 to 100.")
    key: str = Field(max_length=MAX_KEY, description="Idempotency key of this redemption.")


class RewardRef(Schema):
    code: str
    name_zh: str
    name_en: str
    kind: str


class RedemptionOut(Schema):
    id: int
    customer_id: int
    reward: RewardRef
    quantity: int
    points: int
    balance_after: int
    coupon_code: str
    status: str
    created_at: LocalDateTime


class AdjustmentIn(InputSchema):
    points: int = Field(description="Positive to add, negative to remove; not 0.")
    reason: str = Field(max_length=200)
    key: str = Field(max_length=MAX_KEY, description="Idempotency key of this adjustment.")


class HorizonOut(Schema):
    days: int
    points: int
    customers: int


class ForecastOut(Schema):
    today: dt.date
    horizons: list[HorizonOut]


class LiabilityOut(Schema):
    today: dt.date
    points: int = Field(description="Outstanding: balances less overdue points.")
    value: Money
    point_value: str = Field(description="CNY per point under the active programme.")
    customers: int
    owed: int


# --- serializers -------------------------------------------------------------------------------


def entry_out(entry: PointsEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "points": entry.points,
        "balance_after": entry.balance_after,
        "occurred_at": entry.occurred_at,
        "purchase_id": entry.purchase_id,
        "reverses_id": entry.reverses_id,
        "ladder_version": entry.ladder_version,
        "note": entry.note,
        "actor": ref_user(entry.actor),
    }


def redemption_out(redemption: Redemption) -> dict[str, Any]:
    reward = redemption.reward
    return {
        "id": redemption.pk,
        "customer_id": redemption.customer_id,
        "reward": {
            "code": reward.code,
            "name_zh": reward.name_zh,
            "name_en": reward.name_en,
            "kind": reward.kind,
        },
        "quantity": redemption.quantity,
        "points": redemption.points,
        "balance_after": redemption.entry.balance_after,
        "coupon_code": redemption.coupon_code,
        "status": redemption.status,
        "created_at": redemption.created_at,
    }


# --- operations --------------------------------------------------------------------------------


@router.get(
    "/customers/{int:customer_id}/points",
    response={200: PointsSummaryOut, **error_responses(404)},
)
def get_points(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """The customer's balance, what expires within 30/60/90 days, and lifetime totals."""
    summary = points_summary(
        viewer=viewer(request), customer_id=customer_id, today=business_today()
    )
    return {
        "customer_id": customer_id,
        "balance": summary.balance,
        "owed": summary.owed,
        "overdue": summary.overdue,
        "usable": summary.usable,
        "expiring": [{"days": d, "points": n} for d, n in sorted(summary.expiring.items())],
        "next_expiry": summary.next_expiry,
        "next_expiry_points": summary.next_expiry_points,
        "earned": summary.earned,
        "reversed": summary.reversed,
        "redeemed": summary.redeemed,
        "expired": summary.expired,
        "adjusted": summary.adjusted,
    }


@router.get(
    "/customers/{int:customer_id}/points/entries",
    response={200: PointsEntryPage, **error_responses(404)},
)
def list_points_entries(
    request: HttpRequest,
    customer_id: int,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> dict[str, Any]:
    """The customer's points ledger, newest first. Page with `next` as `cursor`."""
    name = f"points:{customer_id}"
    after = decode_cursor(cursor, name, ENTRY_KEYS)[1] if cursor else None
    page = points_ledger(
        viewer=viewer(request), customer_id=customer_id, cursor=after, limit=page_size(limit)
    )
    last = page.entries[-1] if page.entries and page.next_cursor is not None else None
    return {
        "items": [entry_out(e) for e in page.entries],
        "next": encode_cursor(name, ENTRY_KEYS, last) if last is not None else None,
    }


@router.post(
    "/customers/{int:customer_id}/points/redemptions",
    response={201: RedemptionOut, **error_responses(403, 404, 409)},
)
def redeem_points(request: HttpRequest, customer_id: int, payload: RedemptionIn) -> Status:
    """Redeem points for a reward (积分兑换).

    409 codes: `insufficient_points`, `reward_inactive`, `reward_not_started`,
    `reward_expired`, `tier_too_low`, `out_of_stock`. 422: `bad_quantity`, `duplicate_key`.
    404 `reward_not_found` for an unknown reward code.
    """
    redemption = points_redeem(
        actor=viewer(request),
        customer_id=customer_id,
        reward_code=payload.reward_code,
        quantity=payload.quantity,
        key=payload.key,
    )
    return Status(201, redemption_out(redemption))


@router.post(
    "/customers/{int:customer_id}/points/adjustments",
    response={201: PointsEntryOut, **error_responses(403, 404, 409)},
)
def adjust_points(request: HttpRequest, customer_id: int, payload: AdjustmentIn) -> Status:
    """Add or remove points by hand, with a reason. Managers and administrators only.

    Removing more than the usable points is 409 `insufficient_points`.
    """
    entry = points_adjust(
        actor=viewer(request),
        customer_id=customer_id,
        points=payload.points,
        reason=payload.reason,
        key=payload.key,
    )
    return Status(201, entry_out(entry))


class ReversalIn(InputSchema):
    reason: str = Field(max_length=200, description="Why the adjustment is undone.")


@router.post(
    "/points/entries/{int:entry_id}/reverse",
    response={201: PointsEntryOut, **error_responses(403, 404, 409)},
)
def reverse_adjustment(request: HttpRequest, entry_id: int, payload: ReversalIn) -> Status:
    """Undo a manual adjustment with a reversal entry naming it (`reverses_id`); the original
    stays. Managers and administrators only, once per adjustment (409 `already_reversed`);
    409 `not_an_adjustment` for other entries (transfers, opening balances, corrections),
    `points_spent` when points it added were spent or expired since."""
    entry = points_adjust_reverse(actor=viewer(request), entry_id=entry_id, reason=payload.reason)
    return Status(201, entry_out(entry))


@router.get("/points/forecast", response={200: ForecastOut, **error_responses()})
def get_points_forecast(request: HttpRequest) -> dict[str, Any]:
    """Points of the caller's customers expiring within 30/60/90 days (cumulative)."""
    today = business_today()
    forecast = points_forecast(viewer=viewer(request), today=today)
    return {
        "today": today,
        "horizons": [
            {"days": d, "points": n, "customers": forecast.customers[d]}
            for d, n in sorted(forecast.points.items())
        ],
    }


@router.get("/points/liability", response={200: LiabilityOut, **error_responses()})
def get_points_liability(request: HttpRequest) -> dict[str, Any]:
    """What the caller's customers could still redeem, and its value in CNY."""
    today = business_today()
    liability = points_liability(viewer=viewer(request), today=today)
    return {
        "today": today,
        "points": liability.points,
        "value": liability.value,
        "point_value": format(liability.point_value, "f"),
        "customers": liability.customers,
        "owed": liability.owed,
    }
