"""Duplicates: the review queue, one pair side by side, merge, "not a duplicate", undo,
the whole-base scan, and possible duplicates of values before creating a card.

Managers and admins review pairs whose two cards both lie in their scope; pairs outside it
answer 404 like missing ones. Sales reps, service and marketing get 403 on the queue and on
every decision; any role that may create customers may ask for candidates (answered within
their own scope, contacts masked as on the card). The scan is an admin's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.api.auth import viewer
from tiercard.api.errors import error_responses
from tiercard.api.schemas import InputSchema, Ref
from tiercard.api.serializers import ref_user
from tiercard.api.types import LocalDateTime, Money
from tiercard.core.errors import PermissionDenied
from tiercard.customers.masking import display_contact_point
from tiercard.customers.models import ContactPointKind, Customer
from tiercard.dedupe.candidates import candidates_for
from tiercard.dedupe.merge import customers_merge
from tiercard.dedupe.models import DuplicatePair, MergeRecord
from tiercard.dedupe.permissions import can_review_duplicates, can_run_scan
from tiercard.dedupe.scan import dedupe_scan
from tiercard.dedupe.scoring import LABELS, reasons_of
from tiercard.dedupe.selectors import (
    CardSide,
    as_counts,
    card_side,
    merge_get,
    merge_history,
    pair_compare,
    pair_get,
    pair_queue,
)
from tiercard.dedupe.services import pair_dismiss, pair_merge, pair_reopen
from tiercard.dedupe.unmerge import customers_unmerge

router = Router(tags=["duplicates"])


# --- schemas -----------------------------------------------------------------------------------


class CardBrief(Schema):
    id: int
    name: str
    kind: str
    city: str
    company_name: str
    owner: Ref | None
    status: str


class ReasonOut(Schema):
    code: str
    label: str


class PairOut(Schema):
    id: int
    score: int = Field(description="0–100")
    level: str = Field(description="certain ≥ 90, likely ≥ 70, possible ≥ 40")
    reasons: list[ReasonOut]
    status: str = Field(description="open, dismissed (not a duplicate) or merged")
    customer_a: CardBrief
    customer_b: CardBrief
    decided_at: LocalDateTime | None


class PairPage(Schema):
    items: list[PairOut]
    next: str | None


class CardDetail(CardBrief):
    phones: list[str] = Field(description="Masked for roles that see masked data.")
    emails: list[str]
    tier: str
    points_balance: int
    order_count: int
    total_spend: Money
    last_purchase_at: LocalDateTime | None
    registered_on: dt.date
    records: dict[str, int] = Field(description="purchases, interactions, notes, contacts")


class ChoiceOut(Schema):
    field: str
    label: str
    survivor: Any
    merged: Any
    default: str = Field(description="survivor or merged: what a merge takes when not picked")


class PairDetailOut(PairOut):
    survivor: CardDetail = Field(description="The left card: customer_a unless asked otherwise.")
    merged: CardDetail
    choices: list[ChoiceOut] = Field(description="Fields where the two cards differ.")


class MergeIn(InputSchema):
    survivor_id: int = Field(description="The card that stays: one of the pair's two.")
    picks: dict[str, Literal["survivor", "merged"]] = Field(
        default_factory=dict, description="field → which card's value the survivor keeps"
    )


class DirectMergeIn(MergeIn):
    merged_id: int


class MergeOut(Schema):
    id: int
    survivor: Ref
    merged: Ref
    at: LocalDateTime
    actor: Ref | None
    moved: dict[str, int] = Field(description="How many of each record moved.")
    points_moved: int
    undone_at: LocalDateTime | None
    undone_by: Ref | None


class MergePage(Schema):
    items: list[MergeOut]


class ScanIn(InputSchema):
    full: bool = Field(default=False, description="Rebuild every card's keys, not only changed.")


class ScanOut(Schema):
    scan_no: int
    full: bool
    cards_rekeyed: int
    keys_total: int
    groups_skipped: int
    pairs_found: int
    pairs_new: int
    pairs_removed: int
    open: int
    dismissed: int
    merged: int
    seconds: float


class CandidatesIn(InputSchema):
    name: str = ""
    kind: Literal["person", "company"] = "person"
    phones: list[str] | str = ""
    emails: list[str] | str = ""
    wechat: str = ""
    credit_code: str = ""
    company_name: str = ""
    city: str = ""


class CandidateOut(Schema):
    customer: CardBrief
    phones: list[str]
    score: int
    level: str
    reasons: list[ReasonOut]


# --- presenters --------------------------------------------------------------------------------


def _brief(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "kind": customer.kind,
        "city": customer.city,
        "company_name": customer.company_name,
        "owner": ref_user(customer.owner),
        "status": customer.status,
    }


def _reasons(mask: int) -> list[dict[str, str]]:
    return [{"code": r.name.lower(), "label": str(LABELS[r])} for r in reasons_of(mask)]


def _pair(pair: DuplicatePair) -> dict[str, Any]:
    return {
        "id": pair.pk,
        "score": pair.score,
        "level": pair.level,
        "reasons": _reasons(pair.reasons),
        "status": pair.status,
        "customer_a": _brief(pair.customer_a),
        "customer_b": _brief(pair.customer_b),
        "decided_at": pair.decided_at,
    }


def _detail(user: User, side: CardSide) -> dict[str, Any]:
    c = side.customer
    phones = [p for p in side.points if p.kind in {ContactPointKind.MOBILE, ContactPointKind.PHONE}]
    emails = [p for p in side.points if p.kind == ContactPointKind.EMAIL]
    return {
        **_brief(c),
        "phones": [display_contact_point(user, p) for p in phones],
        "emails": [display_contact_point(user, p) for p in emails],
        "tier": side.tier,
        "points_balance": side.balance,
        "order_count": c.order_count,
        "total_spend": c.total_spend,
        "last_purchase_at": c.last_purchase_at,
        "registered_on": c.registered_on,
        "records": side.counts,
    }


def _merge(record: MergeRecord) -> dict[str, Any]:
    points = record.ledger.get("points", {}) if record.ledger else {}
    return {
        "id": record.pk,
        "survivor": {"id": record.survivor_id, "name": record.survivor.name},
        "merged": {"id": record.merged_id, "name": record.merged.name},
        "at": record.at,
        "actor": ref_user(record.actor),
        "moved": as_counts(record),
        "points_moved": sum(int(lot[1]) for lot in points.get("lots", [])),
        "undone_at": record.undone_at,
        "undone_by": ref_user(record.undone_by),
    }


def _reviewer(request: HttpRequest) -> User:
    user = viewer(request)
    if not can_review_duplicates(user):
        raise PermissionDenied()
    return user


# --- operations --------------------------------------------------------------------------------


@router.get("/duplicates", response={200: PairPage, **error_responses(403)})
def list_pairs(
    request: HttpRequest,
    status: Literal["open", "dismissed", "merged"] = "open",
    level: Literal["", "certain", "likely", "possible"] = "",
    cursor: str = "",
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    """Pairs whose two cards you see, best score first. Pass `next` back as `cursor`."""
    page = pair_queue(
        viewer=_reviewer(request), status=status, level=level, cursor=cursor, limit=limit
    )
    return {"items": [_pair(p) for p in page.pairs], "next": page.next_cursor}


@router.get("/duplicates/{int:pair_id}", response={200: PairDetailOut, **error_responses(403, 404)})
def get_pair(request: HttpRequest, pair_id: int, survivor_id: int | None = None) -> dict[str, Any]:
    """Both cards side by side, and the fields a merge decides (for `survivor_id` kept)."""
    user = _reviewer(request)
    compared = pair_compare(viewer=user, pair_id=pair_id, survivor_id=survivor_id)
    return {
        **_pair(compared.pair),
        "survivor": _detail(user, compared.left),
        "merged": _detail(user, compared.right),
        "choices": [
            {
                "field": c.name,
                "label": str(c.label),
                "survivor": c.survivor,
                "merged": c.merged,
                "default": c.default,
            }
            for c in compared.choices
        ],
    }


@router.post(
    "/duplicates/{int:pair_id}/merge",
    response={201: MergeOut, **error_responses(403, 404, 409)},
)
def merge_pair(request: HttpRequest, pair_id: int, payload: MergeIn) -> Status:
    """Merge the pair into `survivor_id`; one transaction, undoable (`/merges/{id}/undo`)."""
    record = pair_merge(
        actor=_reviewer(request),
        pair_id=pair_id,
        survivor_id=payload.survivor_id,
        picks=payload.picks,
    )
    return Status(201, _merge(record))


@router.post(
    "/duplicates/{int:pair_id}/dismiss", response={200: PairOut, **error_responses(403, 404, 409)}
)
def dismiss_pair(request: HttpRequest, pair_id: int) -> dict[str, Any]:
    """Not a duplicate: remembered, later scans do not propose the pair again."""
    user = _reviewer(request)
    pair_dismiss(actor=user, pair_id=pair_id)
    return _pair(pair_get(viewer=user, pair_id=pair_id))


@router.post(
    "/duplicates/{int:pair_id}/reopen", response={200: PairOut, **error_responses(403, 404)}
)
def reopen_pair(request: HttpRequest, pair_id: int) -> dict[str, Any]:
    user = _reviewer(request)
    pair_reopen(actor=user, pair_id=pair_id)
    return _pair(pair_get(viewer=user, pair_id=pair_id))


@router.post("/duplicates/scan", response={200: ScanOut, **error_responses(403)})
def run_scan(request: HttpRequest, payload: ScanIn | None = None) -> dict[str, Any]:
    """Run the whole-base scan now (admins). Incremental unless `full`."""
    user = viewer(request)
    if not can_run_scan(user):
        raise PermissionDenied()
    return dedupe_scan(actor=user, full=bool(payload and payload.full)).as_dict()


@router.post("/duplicates/candidates", response={200: list[CandidateOut], **error_responses(403)})
def find_candidates(request: HttpRequest, payload: CandidatesIn) -> list[dict[str, Any]]:
    """Possible duplicates of a card you are about to create, among the cards you see."""
    user = viewer(request)
    if not policy.can_create_customer(user):
        raise PermissionDenied()
    found = candidates_for(viewer=user, values=payload.model_dump())
    out = []
    for candidate in found:
        side = card_side(candidate.customer)
        phones = [
            display_contact_point(user, p)
            for p in side.points
            if p.kind in {ContactPointKind.MOBILE, ContactPointKind.PHONE}
        ]
        out.append(
            {
                "customer": _brief(candidate.customer),
                "phones": phones,
                "score": candidate.score,
                "level": candidate.level,
                "reasons": _reasons(sum(int(r) for r in candidate.reasons)),
            }
        )
    return out


@router.post("/merges", response={201: MergeOut, **error_responses(403, 404, 409)})
def merge_cards(request: HttpRequest, payload: DirectMergeIn) -> Status:
    """Merge any two cards you see, whether or not the scan paired them."""
    record = customers_merge(
        actor=_reviewer(request),
        survivor_id=payload.survivor_id,
        merged_id=payload.merged_id,
        picks=payload.picks,
    )
    return Status(201, _merge(record))


@router.get("/merges", response={200: MergePage, **error_responses(403)})
def list_merges(request: HttpRequest, customer_id: int | None = None) -> dict[str, Any]:
    """Recent merges (100 at most), newest first; `customer_id` narrows to one card's."""
    records = merge_history(viewer=_reviewer(request), customer_id=customer_id)[:100]
    return {"items": [_merge(r) for r in records]}


@router.post(
    "/merges/{int:merge_id}/undo", response={200: MergeOut, **error_responses(403, 404, 409)}
)
def undo_merge(request: HttpRequest, merge_id: int) -> dict[str, Any]:
    """Move back exactly what the merge moved; 409 with a reason when no longer safe."""
    user = _reviewer(request)
    merge_get(viewer=user, merge_id=merge_id)
    customers_unmerge(actor=user, merge_id=merge_id)
    return _merge(merge_get(viewer=user, merge_id=merge_id))
