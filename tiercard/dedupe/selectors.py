"""Reads of the review queue: pairs and merges, scoped so nothing outside the viewer leaks.

A pair is visible only when both of its cards are (``customers.selectors.visible_customers``)
and the viewer may review duplicates; otherwise it is *not found*. The queue is keyset-paged
on (score desc, id) and costs a fixed number of queries per page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from tiercard.accounts.models import User
from tiercard.cards.models import CardNote
from tiercard.core.errors import NotFound
from tiercard.customers.models import Contact, ContactPoint, Customer
from tiercard.customers.selectors import visible_customers
from tiercard.dedupe import fields as merge_fields
from tiercard.dedupe.models import DuplicatePair, MergeRecord, PairStatus
from tiercard.dedupe.permissions import can_review_duplicates
from tiercard.interactions.models import Interaction
from tiercard.loyalty.models import Membership
from tiercard.sales.models import Purchase
from tiercard.servicedesk.models import ServiceTicket

PAGE = 50


def visible_pairs(viewer: User) -> QuerySet[DuplicatePair]:
    """Pairs whose two cards the viewer sees; none for those who may not review."""
    if not can_review_duplicates(viewer):
        return DuplicatePair.objects.none()
    scope = visible_customers(viewer)
    pairs = DuplicatePair.objects.all()
    if scope.query.has_filters():
        pairs = pairs.filter(customer_a__in=scope, customer_b__in=scope)
    return pairs


@dataclass(frozen=True)
class QueuePage:
    pairs: list[DuplicatePair]
    next_cursor: str | None


def _cursor(pair: DuplicatePair) -> str:
    return f"{pair.score}~{pair.pk}"


def _after(token: str) -> Q:
    try:
        score_text, pk_text = token.split("~")
        score, pk = int(score_text), int(pk_text)
    except ValueError:
        return Q()
    if not (0 <= score <= 100 and 0 < pk < 2**63):
        return Q()
    return Q(score__lt=score) | Q(score=score, pk__gt=pk)


def pair_queue(
    *,
    viewer: User,
    status: str = PairStatus.OPEN,
    level: str = "",
    cursor: str = "",
    limit: int = PAGE,
) -> QueuePage:
    """One page of pairs, best first, with both cards (and their owners) loaded."""
    pairs = visible_pairs(viewer)
    if status in PairStatus.values:
        pairs = pairs.filter(status=status)
    if level:
        pairs = pairs.filter(level=level)
    if cursor:
        pairs = pairs.filter(_after(cursor))
    limit = max(1, min(limit, 200))
    found = list(
        pairs.select_related("customer_a__owner", "customer_b__owner").order_by("-score", "pk")[
            : limit + 1
        ]
    )
    more = len(found) > limit
    found = found[:limit]
    return QueuePage(found, _cursor(found[-1]) if more and found else None)


def pair_counts(viewer: User) -> dict[str, int]:
    """Open pairs per level, for the queue's tabs (one query)."""
    rows = (
        visible_pairs(viewer)
        .filter(status=PairStatus.OPEN)
        .values("level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["level"]: row["n"] for row in rows}


def pair_get(*, viewer: User, pair_id: int | str) -> DuplicatePair:
    try:
        pk = int(pair_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    pair = (
        visible_pairs(viewer)
        .select_related("customer_a__owner", "customer_b__owner", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if pair is None:
        raise NotFound()
    return pair


@dataclass(frozen=True)
class CardSide:
    """One card of a pair as the comparison shows it (contacts not yet masked)."""

    customer: Customer
    points: list[ContactPoint]
    tier: str
    balance: int
    counts: dict[str, int]


def card_side(customer: Customer) -> CardSide:
    pk = customer.pk
    member = Membership.objects.filter(pk=pk).values_list("tier", "points_balance").first()
    counts = {
        "purchases": Purchase.objects.filter(customer_id=pk).count(),
        "interactions": Interaction.objects.filter(customer_id=pk).count(),
        "tickets": ServiceTicket.objects.filter(customer_id=pk).count(),
        "notes": CardNote.objects.filter(customer_id=pk).count(),
        "contacts": Contact.objects.filter(customer_id=pk).count(),
    }
    return CardSide(
        customer=customer,
        points=list(ContactPoint.objects.filter(customer_id=pk).order_by("-is_primary", "id")),
        tier=member[0] if member else "",
        balance=member[1] if member else 0,
        counts=counts,
    )


@dataclass(frozen=True)
class Comparison:
    pair: DuplicatePair
    left: CardSide
    right: CardSide
    choices: list[merge_fields.FieldChoice]  # fields where the right card (merged) differs


def pair_compare(*, viewer: User, pair_id: int | str, survivor_id: int | None = None) -> Comparison:
    """The pair's two cards side by side; ``survivor_id`` (one of the two) goes left."""
    pair = pair_get(viewer=viewer, pair_id=pair_id)
    a, b = pair.customer_a, pair.customer_b
    if survivor_id == b.pk:
        a, b = b, a
    left, right = card_side(a), card_side(b)
    choices = merge_fields.field_choices(a, b, left.points, right.points)
    return Comparison(pair, left, right, choices)


def merge_history(*, viewer: User, customer_id: int | None = None) -> QuerySet[MergeRecord]:
    """Merges whose two cards the viewer sees, newest first."""
    if not can_review_duplicates(viewer):
        return MergeRecord.objects.none()
    scope = visible_customers(viewer)
    merges = MergeRecord.objects.select_related("survivor", "merged", "actor", "undone_by")
    if scope.query.has_filters():
        merges = merges.filter(survivor__in=scope, merged__in=scope)
    if customer_id is not None:
        merges = merges.filter(Q(survivor_id=customer_id) | Q(merged_id=customer_id))
    return merges.order_by("-at", "-id")


def merge_get(*, viewer: User, merge_id: int | str) -> MergeRecord:
    try:
        pk = int(merge_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = merge_history(viewer=viewer).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def as_counts(record: MergeRecord) -> dict[str, Any]:
    """How many of each kind of record a merge moved."""
    return {k: len(v) for k, v in record.moved.items() if isinstance(v, list)}
