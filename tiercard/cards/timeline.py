"""The card timeline: purchases, points, tier changes, interactions, notes and card changes
merged newest first.

Entries are ordered by (time, kind rank, id), newest first, and paged with an opaque cursor
holding that triple, so entries that share a timestamp are never skipped or repeated at a
page boundary. Each source is read through its own scoped selector and limited to one page
plus one row, so a page costs a fixed number of queries however long the history is. New
record kinds (feedback, surveys, campaigns) join by adding a source with its
own rank to ``SOURCES``.

Points earned by a purchase are shown on the purchase's row (one more query per page, not per
row) and left out of the points source while purchases are shown too, so the merged view does
not list every purchase twice; the points filter alone lists every entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from django.db import models
from django.db.models import Exists, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.cards.notes import note_list
from tiercard.core.errors import ValidationFailed
from tiercard.core.prepared import Prepared
from tiercard.customers.models import Customer
from tiercard.customers.selectors import customer_ensure_visible, visible_customer_pk
from tiercard.interactions.selectors import interaction_list
from tiercard.loyalty.models import EntryKind, PointsEntry, TierChange
from tiercard.sales.selectors import purchase_list
from tiercard.servicedesk.selectors import customer_tickets

KINDS = {
    "purchase": _("Purchases"),
    "points": _("Points"),
    "tier": _("Tier changes"),
    "interaction": _("Interactions"),
    "note": _("Notes"),
    "change": _("Card changes"),
    "ticket": _("Service tickets"),
}
# Tie-break between kinds at the same instant (higher shows first); also part of the cursor.
# A purchase's points and the upgrade it caused show above the purchase that caused them.
RANK = {
    "ticket": 6,
    "change": 5,
    "note": 4,
    "interaction": 3,
    "tier": 2,
    "points": 1,
    "purchase": 0,
}
M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # one of KINDS
    at: dt.datetime
    title: str
    obj: Any
    actor: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[dt.datetime, int, int]:
        return (self.at, RANK[self.kind], int(self.obj.pk))


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    has_more: bool
    next_cursor: str | None
    # Each source's rows as read (newest first after the cursor, at most one page plus one),
    # for a page that shows some of them again elsewhere (the card's notes panel).
    read: dict[str, list[Any]] = field(default_factory=dict)


def encode_cursor(entry: TimelineEntry) -> str:
    at, rank, pk = entry.key
    return f"{at.astimezone(dt.UTC).isoformat()}~{rank}~{pk}"


def decode_cursor(cursor: str) -> tuple[dt.datetime, int, int]:
    """Inverse of :func:`encode_cursor`; ValidationFailed on anything else."""
    try:
        at_text, rank_text, pk_text = cursor.split("~")
        at = dt.datetime.fromisoformat(at_text)
        rank, pk = int(rank_text), int(pk_text)
        if at.tzinfo is None or rank not in RANK.values() or not 0 < pk < 2**63:
            raise ValueError(cursor)
    except ValueError:
        raise ValidationFailed(fields={"cursor": [_("Invalid cursor.")]}) from None
    return at, rank, pk


def _after(
    qs: QuerySet[Any], time_field: str, kind: str, cursor: tuple[dt.datetime, int, int] | None
) -> QuerySet[Any]:
    """Rows of one source that sort strictly after the cursor in (time, rank, id) order."""
    if cursor is None:
        return qs
    at, rank, pk = cursor
    older = Q(**{f"{time_field}__lt": at})
    same_instant = Q(**{time_field: at})
    if RANK[kind] < rank:
        return qs.filter(older | same_instant)
    if RANK[kind] == rank:
        return qs.filter(older | (same_instant & Q(pk__lt=pk)))
    return qs.filter(older)


def card_and_merged(customer_id: int) -> RawSQL:
    """The customer's card and the cards merged into it, as a subquery of ids.

    A merge moves purchases, interactions and notes to the surviving card, but points entries
    (an append-only ledger: the balance arrives as one transfer entry) and tier changes stay
    on the merged card; they are still this customer's history. One level only: a card merged
    into a card that was itself merged later shows on the card it was merged into. That keeps
    it to one indexed lookup which the ledger and tier reads join as a semi-join, in the same
    query: no query is added. Written as a UNION ALL: SQLite answers ``id = x OR merged_into
    = x`` by scanning the whole merged-into index (50 ms a read at a million customers).
    """
    table = Customer._meta.db_table
    sql = f"SELECT %s UNION ALL SELECT id FROM {table} WHERE merged_into_id = %s"  # noqa: S608 (model metadata)
    return RawSQL(sql, [customer_id, customer_id])  # noqa: S611 (values are parameters)


def _history(model: type[M], viewer: User, customer_id: int, in_scope: bool) -> QuerySet[M]:
    """Rows of the customer and of the cards merged into it, when ``viewer`` sees the customer
    (the scope is that of the card shown: a merged card is archived into it)."""
    rows = model._default_manager.filter(customer_id__in=card_and_merged(customer_id))
    return rows if in_scope else rows.filter(Exists(visible_customer_pk(viewer, customer_id)))


def _points(viewer: User, customer_id: int, wanted: set[str], in_scope: bool) -> QuerySet[Any]:
    entries = _history(PointsEntry, viewer, customer_id, in_scope).select_related("actor")
    if "purchase" in wanted:  # shown on the purchase's own row instead
        entries = entries.exclude(kind=EntryKind.EARN, purchase__isnull=False)
    return entries


def _tier_changes(
    viewer: User, customer_id: int, wanted: set[str], in_scope: bool
) -> QuerySet[Any]:
    return _history(TierChange, viewer, customer_id, in_scope).select_related("actor")


def _changes(viewer: User, customer_id: int, wanted: set[str], in_scope: bool) -> QuerySet[Any]:
    # The caller checked the customer is visible; audit rows carry a plain customer id.
    return AuditEvent.objects.filter(
        customer_id=customer_id,
        object_type="customers.customer",
        action__in=[
            AuditAction.CREATE,
            AuditAction.UPDATE,
            AuditAction.ARCHIVE,
            AuditAction.RESTORE,
        ],
    )


@dataclass(frozen=True)
class Source:
    """One kind of record: its scoped rows, their time column and how a row becomes an entry.

    ``rows(viewer, customer_id, wanted kinds, in_scope)``; ``in_scope``: the caller read the
    customer through the viewer's scope in this request, so the rows need not check it again.
    """

    rows: Callable[[User, int, set[str], bool], QuerySet[Any]]
    time_field: str
    entry: Callable[[Any], TimelineEntry]


SOURCES: dict[str, Source] = {
    "purchase": Source(
        # The page knows its customer: not the card again (60 columns) joined to every row.
        lambda viewer, customer_id, wanted, in_scope: (
            purchase_list(viewer=viewer, customer_id=customer_id, in_scope=in_scope)
            .select_related(None)
            .select_related("sales_rep")
        ),
        "occurred_at",
        lambda p: TimelineEntry(
            "purchase", p.occurred_at, str(p.total), p, actor=str(p.sales_rep or "")
        ),
    ),
    "points": Source(
        _points,
        "occurred_at",
        lambda e: TimelineEntry(
            "points", e.occurred_at, e.get_kind_display(), e, actor=str(e.actor or "")
        ),
    ),
    "tier": Source(
        _tier_changes,
        "at",
        lambda c: TimelineEntry("tier", c.at, c.to_tier, c, actor=str(c.actor or "")),
    ),
    "interaction": Source(
        lambda viewer, customer_id, wanted, in_scope: interaction_list(
            viewer=viewer, customer_id=customer_id, in_scope=in_scope
        ),
        "occurred_at",
        lambda i: TimelineEntry(
            "interaction", i.occurred_at, i.get_kind_display(), i, actor=str(i.actor or "")
        ),
    ),
    "note": Source(
        lambda viewer, customer_id, wanted, in_scope: note_list(
            viewer=viewer, customer_id=customer_id, in_scope=in_scope
        ),
        "created_at",
        lambda n: TimelineEntry("note", n.created_at, "", n, actor=str(n.author or "")),
    ),
    "change": Source(
        _changes,
        "at",
        lambda e: TimelineEntry(
            "change", e.at, e.get_action_display(), e, actor=e.actor_label, details=e.changes
        ),
    ),
    "ticket": Source(
        lambda viewer, customer_id, wanted, in_scope: (
            customer_tickets(viewer=viewer, customer_id=customer_id, in_scope=in_scope)
            .select_related(None)
            .select_related("opened_by")
        ),
        "opened_at",
        lambda t: TimelineEntry(
            "ticket", t.opened_at, t.get_kind_display(), t, actor=str(t.opened_by or "")
        ),
    ),
}


def _earned_points(customer_id: int, entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Purchases of the page with the points they earned in ``details["points"]`` (one query)."""
    ids = [e.obj.pk for e in entries if e.kind == "purchase"]
    if not ids:
        return entries
    earned: dict[int, int] = {}
    # The customer too: either index (customer first, or the purchase) finds the few rows.
    # A purchase moved by a merge keeps its earn entry on the merged card.
    rows = PointsEntry.objects.filter(
        customer_id__in=card_and_merged(customer_id), purchase_id__in=ids, kind=EntryKind.EARN
    )
    for purchase_id, points in rows.values_list("purchase_id", "points"):
        earned[purchase_id] = earned.get(purchase_id, 0) + points
    return [
        TimelineEntry(e.kind, e.at, e.title, e.obj, e.actor, {"points": earned[e.obj.pk]})
        if e.kind == "purchase" and e.obj.pk in earned
        else e
        for e in entries
    ]


def _from_merged_cards(customer_id: int, entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Points and tier entries of a merged card say so in ``details["merged_card"]``."""
    return [
        replace(e, details={**e.details, "merged_card": e.obj.customer_id})
        if e.kind in {"points", "tier"} and e.obj.customer_id != customer_id
        else e
        for e in entries
    ]


def _ordered(rows: QuerySet[Any], source: Source, limit: int) -> QuerySet[Any]:
    """A source's rows newest first, one page plus one."""
    return rows.order_by(f"-{source.time_field}", "-id")[: limit + 1]


_NEWEST: dict[tuple[str, bool, int], Prepared[Any]] = {}


_NO_VIEWER = cast(User, None)
"""Stands for the viewer in a compiled newest-page read: with ``in_scope`` a source's rows do
not depend on the viewer, and one that did would fail here at once instead of baking the
first caller's scope into a statement kept for everyone."""


def _newest(kind: str, wanted: set[str], limit: int) -> Prepared[Any]:
    """The newest rows of one source for a customer already read through the viewer's scope
    (``in_scope``: the rows' query does not depend on the viewer then), compiled once; the
    points source has two shapes (with purchases shown, their points are on their rows)."""
    key = (kind, "purchase" in wanted, limit)
    found = _NEWEST.get(key)
    if found is None:
        source, shape = SOURCES[kind], set(wanted)
        found = Prepared(
            lambda cid: _ordered(source.rows(_NO_VIEWER, cid, shape, True), source, limit)
        )
        _NEWEST[key] = found
    return found


def card_timeline(
    *,
    viewer: User,
    customer_id: int,
    kinds: set[str] | None = None,
    cursor: str | None = None,
    limit: int = 20,
    in_scope: bool = False,
) -> TimelinePage:
    """One page of the customer's history after ``cursor`` (None: the newest page).

    Raises NotFound when the customer is outside the viewer's scope and ValidationFailed for
    a malformed cursor. Queries: one scope check, one per wanted source (plus its prefetches)
    and one for the points of the page's purchases. ``in_scope``: the caller read the customer
    through ``viewer``'s scope in this request (``customer_get``), so neither the scope check
    nor the sources repeat it.
    """
    if not in_scope:  # else the caller read the customer through the scope in this request
        customer_ensure_visible(viewer=viewer, customer_id=customer_id)
    position = decode_cursor(cursor) if cursor else None
    wanted = set(KINDS) if not kinds else kinds & set(KINDS)
    entries: list[TimelineEntry] = []
    read: dict[str, list[Any]] = {}
    for kind, source in SOURCES.items():
        if kind not in wanted:
            continue
        if in_scope and position is None:  # the card's newest page: a prepared statement
            read[kind] = _newest(kind, wanted, limit).rows(customer_id)
        else:
            rows = source.rows(viewer, customer_id, wanted, in_scope)
            rows = _after(rows, source.time_field, kind, position)
            read[kind] = list(_ordered(rows, source, limit))
        entries += [source.entry(row) for row in read[kind]]
    entries.sort(key=lambda e: e.key, reverse=True)
    page = _from_merged_cards(customer_id, _earned_points(customer_id, entries[:limit]))
    has_more = len(entries) > limit
    cursor_out = encode_cursor(page[-1]) if has_more and page else None
    return TimelinePage(page, has_more, cursor_out, read)
