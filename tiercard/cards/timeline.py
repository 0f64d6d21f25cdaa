"""The card timeline: purchases, interactions and card changes merged newest first.

Each source is read through its own scoped selector and limited to one page plus one row, so
a page costs a fixed number of queries however long the history is. New record kinds
(service tickets, feedback, campaigns, points, tier changes) join by adding a source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.customers.selectors import customer_get
from tiercard.interactions.selectors import interaction_list
from tiercard.sales.selectors import purchase_list

KINDS = {
    "purchase": _("Purchases"),
    "interaction": _("Interactions"),
    "change": _("Card changes"),
}


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # one of KINDS
    at: dt.datetime
    title: str
    obj: Any
    actor: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    has_more: bool
    next_before: dt.datetime | None


def card_timeline(
    *,
    viewer: User,
    customer_id: int,
    kinds: set[str] | None = None,
    before: dt.datetime | None = None,
    limit: int = 20,
) -> TimelinePage:
    """One page of the customer's history, entries strictly older than ``before``.

    Raises NotFound when the customer is outside the viewer's scope.
    """
    customer_get(viewer=viewer, customer_id=customer_id)
    wanted = set(KINDS) if not kinds else kinds & set(KINDS)
    entries: list[TimelineEntry] = []
    if "purchase" in wanted:
        qs = purchase_list(viewer=viewer, customer_id=customer_id)
        if before:
            qs = qs.filter(occurred_at__lt=before)
        for p in qs[: limit + 1]:
            entries.append(
                TimelineEntry(
                    "purchase", p.occurred_at, str(p.total), p, actor=str(p.sales_rep or "")
                )
            )
    if "interaction" in wanted:
        qs2 = interaction_list(viewer=viewer, customer_id=customer_id)
        if before:
            qs2 = qs2.filter(occurred_at__lt=before)
        for i in qs2[: limit + 1]:
            entries.append(
                TimelineEntry(
                    "interaction", i.occurred_at, i.get_kind_display(), i, actor=str(i.actor or "")
                )
            )
    if "change" in wanted:
        qs3 = AuditEvent.objects.filter(
            customer_id=customer_id,
            object_type="customers.customer",
            action__in=[
                AuditAction.CREATE,
                AuditAction.UPDATE,
                AuditAction.ARCHIVE,
                AuditAction.RESTORE,
            ],
        ).order_by("-at", "-id")
        if before:
            qs3 = qs3.filter(at__lt=before)
        for e in qs3[: limit + 1]:
            entries.append(
                TimelineEntry(
                    "change",
                    e.at,
                    e.get_action_display(),
                    e,
                    actor=e.actor_label,
                    details=e.changes,
                )
            )
    entries.sort(key=lambda e: e.at, reverse=True)
    page = entries[:limit]
    has_more = len(entries) > limit
    return TimelinePage(page, has_more, page[-1].at if has_more and page else None)
