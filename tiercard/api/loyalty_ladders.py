"""Programme versions (级别规则): read them; administrators draft, dry-run and apply.

A version is immutable: changing the rules means drafting a new one, checking what it would do
(the dry run writes nothing) and applying it, which moves every customer in one transaction.
"""

from __future__ import annotations

import datetime as dt
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
from tiercard.loyalty.models import TierLadder
from tiercard.loyalty.selectors.ladders import ladder_version, ladder_versions
from tiercard.loyalty.services.ladders import ladder_apply, ladder_draft_create, ladder_dry_run

router = Router(tags=["ladders"])

MAX_VERSION = 2**31 - 1


class LadderTierOut(Schema):
    code: str
    name_zh: str
    name_en: str
    rank: int


class LadderOut(Schema):
    version: int
    is_active: bool
    note: str
    tiers: list[LadderTierOut]
    created_at: LocalDateTime
    created_by: Ref | None
    activated_at: LocalDateTime | None
    activated_by: Ref | None


class LadderList(Schema):
    items: list[LadderOut]


class LadderDetailOut(LadderOut):
    rules: dict[str, Any] = Field(description="The whole programme document of this version.")


class LadderIn(InputSchema):
    rules: dict[str, Any] | None = Field(None, description="A programme document.")
    preset: str | None = Field(None, max_length=32, description="Or a preset: default, card.")
    note: str = Field("", max_length=400)


class MoveOut(Schema):
    from_tier: str
    to_tier: str
    customers: int
    sample_ids: list[int]


class DryRunOut(Schema):
    version: int
    active_version: int
    today: dt.date
    total: int
    changed: int
    moves: list[MoveOut] = Field(description="Customers per (from, to) pair, with a few ids.")
    window_changed: bool = Field(
        description="The version counts over another window (figures are rebuilt on apply)."
    )
    exact: bool = Field(
        description="The moves are exact: false when the window changes and `exact` was not "
        "asked for (then they use today's figures)."
    )


class ApplyOut(Schema):
    version: int
    previous_version: int
    changed: int
    memberships: int
    window_rebuilt: bool


def ladder_out(row: TierLadder, *, rules: bool = False) -> dict[str, Any]:
    tiers = row.rules.get("ladder", {}).get("tiers", [])
    body = {
        "version": row.version,
        "is_active": row.is_active,
        "note": row.note,
        "tiers": [{k: t.get(k) for k in ("code", "name_zh", "name_en", "rank")} for t in tiers],
        "created_at": row.created_at,
        "created_by": ref_user(row.created_by),
        "activated_at": row.activated_at,
        "activated_by": ref_user(row.activated_by),
    }
    if rules:
        body["rules"] = row.rules
    return body


@router.get("/ladders", response={200: LadderList, **error_responses()})
def list_ladders(request: HttpRequest) -> dict[str, Any]:
    """Every version of the programme, newest first; one of them is active."""
    return {"items": [ladder_out(row) for row in ladder_versions(viewer=viewer(request))]}


@router.get("/ladders/{int:version}", response={200: LadderDetailOut, **error_responses(404)})
def get_ladder(request: HttpRequest, version: int) -> dict[str, Any]:
    """One version with its whole programme document (404 `unknown_version`)."""
    row = ladder_version(viewer=viewer(request), version=min(version, MAX_VERSION))
    return ladder_out(row, rules=True)


@router.post("/ladders", response={201: LadderDetailOut, **error_responses(403, 409)})
def create_ladder(request: HttpRequest, payload: LadderIn) -> Status:
    """Draft a new version from a programme document or a preset. Administrators only.

    Every problem of the rules is reported at once in `fields`, by path
    (`ladder.tiers[2].criteria.threshold`); `code` is the first problem's, e.g.
    `thresholds_not_rising` or `unknown_tier`.
    """
    user = viewer(request)
    draft = ladder_draft_create(
        actor=user, rules=payload.rules, preset=payload.preset, note=payload.note
    )
    return Status(201, ladder_out(ladder_version(viewer=user, version=draft.version), rules=True))


@router.get(
    "/ladders/{int:version}/dry-run", response={200: DryRunOut, **error_responses(403, 404)}
)
def dry_run_ladder(request: HttpRequest, version: int, exact: bool = False) -> dict[str, Any]:
    """What applying the version today would do to every customer; writes nothing.

    When the version counts over another window the moves are an estimate over today's
    figures; `exact=true` rebuilds the figures over the new window in a transaction rolled
    back (purchases wait while it runs)."""
    today = business_today()
    run = ladder_dry_run(
        actor=viewer(request), version=min(version, MAX_VERSION), today=today, exact=exact
    )
    moves = [
        {
            "from_tier": old,
            "to_tier": new,
            "customers": n,
            "sample_ids": run.samples.get(old, {}).get(new, []),
        }
        for old, row in sorted(run.matrix.items())
        for new, n in sorted(row.items())
    ]
    return {
        "version": run.version,
        "active_version": run.active_version,
        "today": today,
        "total": run.total,
        "changed": run.changed,
        "moves": moves,
        "window_changed": run.window_changed,
        "exact": run.exact,
    }


@router.post(
    "/ladders/{int:version}/apply", response={200: ApplyOut, **error_responses(403, 404, 409)}
)
def apply_ladder(request: HttpRequest, version: int) -> dict[str, Any]:
    """Make the version active and move every customer to their tier under it, atomically.

    409 `already_active` when it is the active version.
    """
    report = ladder_apply(
        actor=viewer(request), version=min(version, MAX_VERSION), today=business_today()
    )
    return {
        "version": report.version,
        "previous_version": report.previous_version,
        "changed": report.changed,
        "memberships": report.memberships,
        "window_rebuilt": report.window_rebuilt,
    }
