"""The card timeline: purchases, interactions and card changes merged newest first.

Entries are ordered by (time, kind rank, id), newest first, and paged with an opaque cursor
holding that triple, so entries that share a timestamp are never skipped or repeated at a
page boundary. Each source is read through its own scoped selector and limited to one page
plus one row, so a page costs a fixed number of queries however long the history is. New
record kinds (service tickets, feedback, campaigns, points, tier changes) join by adding a
source with its own rank.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.core.errors import ValidationFailed
from tiercard.customers.selectors import customer_ensure_visible
from tiercard.interactions.selectors import interaction_list
from tiercard.sales.selectors import purchase_list

KINDS = {
    "purchase": _("Purchases"),
    "interaction": _("Interactions"),
    "change": _("Card changes"),
}
# Tie-break between kinds at the same instant; also part of the cursor.
RANK = {"change": 2, "interaction": 1, "purchase": 0}


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


def card_timeline(
    *,
    viewer: User,
    customer_id: int,
    kinds: set[str] | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> TimelinePage:
    """One page of the customer's history after ``cursor`` (None: the newest page).

    Raises NotFound when the customer is outside the viewer's scope and ValidationFailed for
    a malformed cursor.
    """
    customer_ensure_visible(viewer=viewer, customer_id=customer_id)
    position = decode_cursor(cursor) if cursor else None
    wanted = set(KINDS) if not kinds else kinds & set(KINDS)
    entries: list[TimelineEntry] = []
    if "purchase" in wanted:
        purchases = _after(
            purchase_list(viewer=viewer, customer_id=customer_id),
            "occurred_at",
            "purchase",
            position,
        )
        entries += [
            TimelineEntry("purchase", p.occurred_at, str(p.total), p, actor=str(p.sales_rep or ""))
            for p in purchases.order_by("-occurred_at", "-id")[: limit + 1]
        ]
    if "interaction" in wanted:
        interactions = _after(
            interaction_list(viewer=viewer, customer_id=customer_id),
            "occurred_at",
            "interaction",
            position,
        )
        entries += [
            TimelineEntry(
                "interaction", i.occurred_at, i.get_kind_display(), i, actor=str(i.actor or "")
            )
            for i in interactions.order_by("-occurred_at", "-id")[: limit + 1]
        ]
    if "change" in wanted:
        changes = _after(
            AuditEvent.objects.filter(
                customer_id=customer_id,
                object_type="customers.customer",
                action__in=[
                    AuditAction.CREATE,
                    AuditAction.UPDATE,
                    AuditAction.ARCHIVE,
                    AuditAction.RESTORE,
                ],
            ),
            "at",
            "change",
            position,
        )
        entries += [
            TimelineEntry(
                "change", e.at, e.get_action_display(), e, actor=e.actor_label, details=e.changes
            )
            for e in changes.order_by("-at", "-id")[: limit + 1]
        ]
    entries.sort(key=lambda e: e.key, reverse=True)
    page = entries[:limit]
    has_more = len(entries) > limit
    return TimelinePage(page, has_more, encode_cursor(page[-1]) if has_more and page else None)
