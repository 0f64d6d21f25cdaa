"""Tier benefits (权益): what a customer's tier gives them, and using a quota benefit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.schemas import InputSchema, Ref
from tiercard.api.serializers import ref_user
from tiercard.api.types import LocalDateTime
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import BenefitUse
from tiercard.loyalty.selectors.benefits import benefits_of_customer
from tiercard.loyalty.services.benefits import benefit_use, benefit_use_cancel

router = Router(tags=["benefits"])


class QuotaOut(Schema):
    code: str
    name_zh: str
    name_en: str
    limit: int
    period: str = Field(description="month, quarter or year.")
    period_start: dt.date
    period_end: dt.date = Field(description="Last day of the period; it renews the day after.")
    used: int
    remaining: int


class CustomerBenefitsOut(Schema):
    customer_id: int
    tier: str
    tier_name_zh: str
    tier_name_en: str
    ladder_version: int
    discount_percent: str = Field(description='Percent off list prices, e.g. "10.0".')
    points_multiplier: str
    birthday_gift: str
    dedicated_manager: bool = Field(description="The tier requires a dedicated manager.")
    has_owner: bool = Field(description="The customer has an account manager.")
    response_hours: int | None
    follow_up_days: int | None
    priority_booking: bool
    quotas: list[QuotaOut]


class BenefitUseIn(InputSchema):
    code: str = Field(max_length=32, description="The quota's code, e.g. free_delivery.")
    key: str = Field(max_length=80, description="Idempotency key of this use.")
    note: str = Field("", max_length=200)


class BenefitUseOut(Schema):
    id: int
    customer_id: int
    code: str
    tier: str
    ladder_version: int
    period_start: dt.date
    note: str
    at: LocalDateTime
    actor: Ref | None
    cancels: int | None = Field(None, description="Set on a cancellation: the use it cancels.")


class BenefitCancelIn(InputSchema):
    reason: str = Field(max_length=200, description="Why the use is cancelled (required).")


def _decimal(value: Decimal) -> str:
    return format(value, "f")


def use_out(use: BenefitUse) -> dict[str, Any]:
    return {
        "id": use.pk,
        "customer_id": use.customer_id,
        "code": use.code,
        "tier": use.tier,
        "ladder_version": use.ladder_version,
        "period_start": use.period_start,
        "note": use.note,
        "at": use.at,
        "actor": ref_user(use.actor),
        "cancels": use.cancels_id,
    }


@router.get(
    "/customers/{int:customer_id}/benefits",
    response={200: CustomerBenefitsOut, **error_responses(404)},
)
def get_benefits(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """The benefits of the customer's tier, with each quota's use this period."""
    got = benefits_of_customer(
        viewer=viewer(request), customer_id=customer_id, today=business_today()
    )
    return {
        "customer_id": got.customer_id,
        "tier": got.tier,
        "tier_name_zh": got.tier_name_zh,
        "tier_name_en": got.tier_name_en,
        "ladder_version": got.ladder_version,
        "discount_percent": _decimal(got.discount_percent),
        "points_multiplier": _decimal(got.points_multiplier),
        "birthday_gift": got.birthday_gift,
        "dedicated_manager": got.dedicated_manager,
        "has_owner": got.has_owner,
        "response_hours": got.response_hours,
        "follow_up_days": got.follow_up_days,
        "priority_booking": got.priority_booking,
        "quotas": [
            {
                "code": q.code,
                "name_zh": q.name_zh,
                "name_en": q.name_en,
                "limit": q.limit,
                "period": q.period.value,
                "period_start": q.period_start,
                "period_end": q.period_end,
                "used": q.used,
                "remaining": q.remaining,
            }
            for q in got.quotas
        ],
    }


@router.post(
    "/customers/{int:customer_id}/benefits/uses",
    response={201: BenefitUseOut, **error_responses(403, 404, 409)},
)
def use_benefit(request: HttpRequest, customer_id: int, payload: BenefitUseIn) -> Status:
    """Record one use of a quota benefit (e.g. a free delivery).

    409: `quota_exhausted` (the message names the limit), `benefit_not_in_tier`.
    422: `unknown_benefit`, `duplicate_key`. A replay of the same key answers 201 with the
    stored use and counts nothing again.
    """
    use = benefit_use(
        actor=viewer(request),
        customer_id=customer_id,
        code=payload.code,
        key=payload.key,
        note=payload.note,
    )
    return Status(201, use_out(use))


@router.post(
    "/benefits/uses/{int:use_id}/cancel",
    response={201: BenefitUseOut, **error_responses(403, 404, 409)},
)
def cancel_benefit_use(request: HttpRequest, use_id: int, payload: BenefitCancelIn) -> Status:
    """Cancel a use recorded by mistake (managers and admins): the quota gets it back.

    Answers the cancellation (a row with `cancels` = the use). 409: `already_cancelled`,
    `not_a_use`. Repeating the same cancellation answers the existing one.
    """
    cancel = benefit_use_cancel(actor=viewer(request), use_id=use_id, reason=payload.reason)
    return Status(201, use_out(cancel))
