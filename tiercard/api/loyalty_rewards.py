"""The reward catalogue (积分商城): what can be redeemed today; administrators edit it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.schemas import InputSchema
from tiercard.api.types import LocalDateTime
from tiercard.core.errors import NotFound
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import Reward, RewardKind
from tiercard.loyalty.selectors.points import reward_catalogue
from tiercard.loyalty.services.rewards import reward_create, reward_update

router = Router(tags=["rewards"])


class RewardOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    points_cost: int
    stock: int | None = Field(description="null = unlimited.")
    in_stock: bool
    valid_from: dt.date | None
    valid_until: dt.date | None
    min_tier: str
    active: bool
    description: str
    created_at: LocalDateTime


class RewardList(Schema):
    items: list[RewardOut]


class RewardFields(InputSchema):
    name_zh: str | None = Field(None, max_length=60)
    name_en: str | None = Field(None, max_length=60)
    kind: str | None = Field(None, json_schema_extra={"enum": [*RewardKind.values]})
    points_cost: int | None = None
    stock: int | None = Field(None, description="null = unlimited.")
    valid_from: str | None = Field(None, max_length=40, description="YYYY-MM-DD or null.")
    valid_until: str | None = Field(None, max_length=40, description="YYYY-MM-DD or null.")
    min_tier: str | None = Field(None, max_length=32, description="A tier code, or empty.")
    active: bool | None = None
    description: str | None = Field(None, max_length=300)


class RewardCreateIn(RewardFields):
    code: str | None = Field(None, max_length=32, description="a-z, 0-9, _ and -.")


def reward_out(reward: Reward) -> dict[str, Any]:
    return {
        "id": reward.pk,
        "code": reward.code,
        "name_zh": reward.name_zh,
        "name_en": reward.name_en,
        "kind": reward.kind,
        "points_cost": reward.points_cost,
        "stock": reward.stock,
        "in_stock": reward.stock is None or reward.stock > 0,
        "valid_from": reward.valid_from,
        "valid_until": reward.valid_until,
        "min_tier": reward.min_tier,
        "active": reward.active,
        "description": reward.description,
        "created_at": reward.created_at,
    }


@router.get("/rewards", response={200: RewardList, **error_responses()})
def list_rewards(request: HttpRequest) -> dict[str, Any]:
    """Rewards on offer today (active and within their dates), cheapest first."""
    offers = reward_catalogue(viewer=viewer(request), today=business_today())
    return {"items": [reward_out(offer.reward) for offer in offers]}


@router.post("/rewards", response={201: RewardOut, **error_responses(403)})
def create_reward(request: HttpRequest, payload: RewardCreateIn) -> Status:
    """A new reward. Administrators only."""
    reward = reward_create(actor=viewer(request), data=payload.model_dump(exclude_unset=True))
    return Status(201, reward_out(reward))


@router.patch("/rewards/{code}", response={200: RewardOut, **error_responses(403, 404)})
def update_reward(request: HttpRequest, code: str, payload: RewardFields) -> dict[str, Any]:
    """Change the given fields of a reward (its code stays). Administrators only.

    Rewards are never deleted: set `active` to false to withdraw one.
    """
    user = viewer(request)
    # The catalogue is not customer data: no scope applies, only the service's role check.
    reward_id = Reward.objects.filter(code=code).values_list("pk", flat=True).first()
    if reward_id is None:
        raise NotFound(code="reward_not_found")
    reward = reward_update(
        actor=user, reward_id=reward_id, data=payload.model_dump(exclude_unset=True)
    )
    return reward_out(reward)
