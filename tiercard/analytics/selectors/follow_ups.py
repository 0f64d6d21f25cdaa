"""Follow-ups due today and overdue ones, for the viewer's customers.

A follow-up is an interaction's next step with a due date. It counts as *done* once anyone
records a later interaction with the same customer (there is no separate "done" flag), so a
follow-up is open while it is the customer's latest interaction. *Overdue* looks back
``OVERDUE_DAYS`` days: older open follow-ups belong to the churn work, not to today's list,
and the bound keeps the read a range over a month of due dates rather than all history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from tiercard.accounts.models import User
from tiercard.analytics.scope import scoped
from tiercard.interactions.models import Interaction

OVERDUE_DAYS = 30
LIST_LIMIT = 20


@dataclass(frozen=True)
class FollowUps:
    today: dt.date
    due_today: int
    overdue: int
    items: list[Interaction]  # due today first, then most recently overdue; at most LIST_LIMIT


def follow_ups(viewer: User, today: dt.date) -> FollowUps:
    """Two queries: the counts, and the first ``LIST_LIMIT`` with customer and owner."""
    later = Interaction.objects.filter(
        customer_id=OuterRef("customer_id"), occurred_at__gt=OuterRef("occurred_at")
    )
    open_ = (
        scoped(
            Interaction.objects.filter(
                next_step_due__gte=today - dt.timedelta(days=OVERDUE_DAYS),
                next_step_due__lte=today,
            ),
            viewer,
        )
        .exclude(next_step="")
        .filter(~Exists(later))
    )
    counts = open_.aggregate(
        due=Count("pk", filter=Q(next_step_due=today)),
        overdue=Count("pk", filter=Q(next_step_due__lt=today)),
    )
    items = list(
        open_.select_related("customer", "customer__owner", "actor").order_by(
            "-next_step_due", "customer_id", "id"
        )[:LIST_LIMIT]
    )
    return FollowUps(today, counts["due"], counts["overdue"], items)
