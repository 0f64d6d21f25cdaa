"""Tiers (级别): a customer's tier with why, progress and what keeps it; history; tier on a
date; manual overrides (managers and administrators)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.paging import KeySpec, PageCursor, PageLimit, paginate
from tiercard.api.schemas import MAX_DB_INT, InputSchema, Ref
from tiercard.api.serializers import ref_user
from tiercard.api.types import LocalDateTime, Money
from tiercard.core.money import quantize
from tiercard.loyalty.models import TierChange
from tiercard.loyalty.selectors.tiers import (
    TierInfo,
    TierStatus,
    tier_history,
    tier_on,
    tier_status,
)
from tiercard.loyalty.services.overrides import tier_override, tier_override_clear
from tiercard.tiers.benefits import Benefits, dump_benefits
from tiercard.tiers.evaluation import GroupResult, LeafResult, Result
from tiercard.tiers.metrics import Metric, Value
from tiercard.tiers.progress import LeafGap, Progress

router = Router(tags=["tiers"])

HISTORY_KEYS = KeySpec("at", descending=True, kind="datetime")


# --- schemas -----------------------------------------------------------------------------------

Figure = Annotated[
    str | int | None, Field(description="Money as a string with two decimals; counts as integers.")
]


class TierOut(Schema):
    code: str
    name_zh: str
    name_en: str
    colour: str
    rank: int


class MetricsOut(Schema):
    spend: Money
    order_count: int
    growth_value: int
    max_order: Money
    days_since_last_purchase: int | None


class ConditionOut(Schema):
    metric: str
    op: str
    threshold: Figure
    actual: Figure
    met: bool


class RuleNode(Schema):
    """A criterion tree: `all` / `any` groups with `children`, or a `leaf` condition."""

    kind: str = Field(description="all, any or leaf.")
    met: bool
    metric: str | None = None
    op: str | None = None
    threshold: Figure = None
    actual: Figure = None
    children: list[RuleNode] | None = None


class WhyOut(Schema):
    tier: str
    met: bool
    rule: RuleNode | None = Field(description="null for the lowest tier: it has no criteria.")
    conditions: list[ConditionOut]


class GapOut(ConditionOut):
    gap: Figure = Field(description="What is still missing; null when only a purchase helps.")


class ProgressOut(Schema):
    target: TierOut
    met: bool
    conditions: list[GapOut] = Field(description="Every condition of the next tier.")
    todo: list[GapOut] = Field(description="Unmet conditions along the closest route.")


class KeepOut(Schema):
    qualifies: bool = Field(description="The figures reach the held tier today.")
    holds_until: dt.date | None = Field(description="Last day they still do if nothing is bought.")
    downgrade_on: dt.date | None = Field(description="First day a review could move it down.")


class LockOut(Schema):
    until: dt.date
    reason: str
    by: str
    approved_by: str


class QuotaRuleOut(Schema):
    code: str
    name_zh: str
    name_en: str
    limit: int
    period: str


class TierBenefitsOut(Schema):
    discount_percent: str
    points_multiplier: str
    birthday_gift: str
    dedicated_manager: bool
    response_hours: int | None
    follow_up_days: int | None
    priority_booking: bool
    quotas: list[QuotaRuleOut]


class TierStatusOut(Schema):
    customer_id: int
    tier: TierOut
    since: LocalDateTime | None
    ladder_version: int
    qualified: TierOut
    metrics: MetricsOut
    why: WhyOut
    progress: ProgressOut | None = Field(description="null at the top tier.")
    keep: KeepOut
    lock: LockOut | None = Field(description="A manual override, while it holds.")
    below_since: dt.date | None
    benefits: TierBenefitsOut


class TierChangeOut(Schema):
    id: int
    at: LocalDateTime
    effective_on: dt.date
    from_tier: str
    to_tier: str
    reason: str
    ladder_version: int
    metrics: dict[str, Any]
    purchase_id: int | None
    actor: Ref | None
    note: str


class TierChangePage(Schema):
    items: list[TierChangeOut]
    next: str | None


class TierOnOut(Schema):
    customer_id: int
    date: dt.date
    tier: str


class OverrideIn(InputSchema):
    tier: str = Field(max_length=32, description="A tier code of the active ladder.")
    reason: str = Field(max_length=400)
    approver_id: int | None = Field(None, ge=1, le=MAX_DB_INT)
    until: dt.date = Field(description="Last day of the lock: after today, within 3 years.")


# --- serializers -------------------------------------------------------------------------------


def figure(metric: Metric, value: Value | None) -> str | int | None:
    if value is None:
        return None
    if metric.is_money:
        return f"{quantize(Decimal(value)):.2f}"
    return int(value)


def tier_out(tier: TierInfo) -> dict[str, Any]:
    return {
        "code": tier.code,
        "name_zh": tier.name_zh,
        "name_en": tier.name_en,
        "colour": tier.colour,
        "rank": tier.rank,
    }


def condition_out(leaf: LeafResult) -> dict[str, Any]:
    return {
        "metric": leaf.metric.value,
        "op": leaf.op.value,
        "threshold": figure(leaf.metric, leaf.threshold),
        "actual": figure(leaf.metric, leaf.actual),
        "met": leaf.met,
    }


def rule_out(result: Result) -> dict[str, Any]:
    if isinstance(result, LeafResult):
        return {"kind": "leaf", **condition_out(result)}
    assert isinstance(result, GroupResult)
    return {
        "kind": result.kind.value,
        "met": result.met,
        "children": [rule_out(child) for child in result.children],
    }


def gap_out(gap: LeafGap) -> dict[str, Any]:
    metric = gap.leaf.metric
    return {
        "metric": metric.value,
        "op": gap.leaf.op.value,
        "threshold": figure(metric, gap.leaf.threshold),
        "actual": figure(metric, gap.actual),
        "met": gap.met,
        "gap": figure(metric, gap.gap),
    }


def _leaf_gaps(gap: Any) -> list[LeafGap]:
    if isinstance(gap, LeafGap):
        return [gap]
    return [leaf for child in gap.children for leaf in _leaf_gaps(child)]


def progress_out(progress: Progress | None) -> dict[str, Any] | None:
    if progress is None:
        return None
    return {
        "target": tier_out(TierInfo.of(progress.target)),
        "met": progress.gaps.met,
        "conditions": [gap_out(g) for g in _leaf_gaps(progress.gaps)],
        "todo": [gap_out(g) for g in progress.todo],
    }


def benefits_out(benefits: Benefits) -> dict[str, Any]:
    """The tier's benefits as the programme stores them, decimals in plain notation."""
    return {
        **dump_benefits(benefits),
        # The stored form may keep an exponent ("1E+1"); the API always writes "10".
        "discount_percent": format(benefits.discount_percent, "f"),
        "points_multiplier": format(benefits.points_multiplier, "f"),
    }


def status_out(status: TierStatus) -> dict[str, Any]:
    metrics = status.metrics
    lock = None
    if status.lock_until is not None:
        lock = {
            "until": status.lock_until,
            "reason": status.override_reason,
            "by": status.override_by,
            "approved_by": status.override_approved_by,
        }
    return {
        "customer_id": status.customer_id,
        "tier": tier_out(status.tier),
        "since": status.since,
        "ladder_version": status.ladder_version,
        "qualified": tier_out(status.qualified),
        "metrics": {
            "spend": metrics.spend,
            "order_count": metrics.order_count,
            "growth_value": metrics.growth_value,
            "max_order": metrics.max_order,
            "days_since_last_purchase": metrics.days_since_last_purchase,
        },
        "why": {
            "tier": status.why.tier.code,
            "met": status.why.met,
            "rule": rule_out(status.why.result) if status.why.result is not None else None,
            "conditions": [condition_out(leaf) for leaf in status.why.leaves()],
        },
        "progress": progress_out(status.progress),
        "keep": {
            "qualifies": status.keep.qualifies,
            "holds_until": status.keep.holds_until,
            "downgrade_on": status.keep.downgrade_on,
        },
        "lock": lock,
        "below_since": status.below_since,
        "benefits": benefits_out(status.benefits),
    }


def change_out(change: TierChange) -> dict[str, Any]:
    return {
        "id": change.pk,
        "at": change.at,
        "effective_on": change.effective_on,
        "from_tier": change.from_tier,
        "to_tier": change.to_tier,
        "reason": change.reason,
        "ladder_version": change.ladder_version,
        "metrics": change.metrics,
        "purchase_id": change.purchase_id,
        "actor": ref_user(change.actor),
        "note": change.note,
    }


# --- operations --------------------------------------------------------------------------------


@router.get(
    "/customers/{int:customer_id}/tier", response={200: TierStatusOut, **error_responses(404)}
)
def get_tier(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """The held tier: why (each condition with the actual figure), progress to the next tier,
    what keeps it until when, a manual lock, and the tier's benefits."""
    return status_out(tier_status(viewer(request), customer_id))


@router.get(
    "/customers/{int:customer_id}/tier/history",
    response={200: TierChangePage, **error_responses(404)},
)
def list_tier_history(
    request: HttpRequest,
    customer_id: int,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> dict[str, Any]:
    """Every tier change, newest first, with the rule version, figures and reason."""
    changes = tier_history(viewer(request), customer_id).select_related("actor")
    page = paginate(changes, name="tier_history", spec=HISTORY_KEYS, limit=limit, cursor=cursor)
    return {"items": [change_out(c) for c in page.items], "next": page.next}


@router.get(
    "/customers/{int:customer_id}/tier/on", response={200: TierOnOut, **error_responses(404)}
)
def get_tier_on(
    request: HttpRequest,
    customer_id: int,
    date: Annotated[dt.date, Query(description="A business day, YYYY-MM-DD.")],
) -> dict[str, Any]:
    """The tier the customer held at the end of a business day."""
    tier = tier_on(viewer(request), customer_id, date)
    return {"customer_id": customer_id, "date": date, "tier": tier}


@router.post(
    "/customers/{int:customer_id}/tier/override",
    response={200: TierStatusOut, **error_responses(403, 404)},
)
def set_tier_override(
    request: HttpRequest, customer_id: int, payload: OverrideIn
) -> dict[str, Any]:
    """Set the tier by hand and lock it through `until`. Managers and administrators only.

    422 codes: `unknown_tier`, `reason_required`, `bad_approver`, `until_not_future`,
    `until_too_far`. Answers the tier status after the change.
    """
    user = viewer(request)
    tier_override(
        actor=user,
        customer_id=customer_id,
        tier_code=payload.tier,
        reason=payload.reason,
        approver_id=payload.approver_id,
        until=payload.until,
    )
    return status_out(tier_status(user, customer_id))


@router.delete(
    "/customers/{int:customer_id}/tier/override",
    response={200: TierStatusOut, **error_responses(403, 404)},
)
def clear_tier_override(
    request: HttpRequest,
    customer_id: int,
    reason: Annotated[str, Query(max_length=400, description="Why the override ends.")] = "",
) -> dict[str, Any]:
    """End the override now; the next review grades the customer normally.

    422 `no_override` when there is none. Answers the tier status after the change.
    """
    user = viewer(request)
    tier_override_clear(actor=user, customer_id=customer_id, reason=reason)
    return status_out(tier_status(user, customer_id))
