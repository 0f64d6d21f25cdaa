"""Follow-ups due today and overdue ones, for the viewer's customers.

A follow-up is an interaction's next step with a due date; it is *done* once anyone records a
later interaction with the same customer (there is no separate "done" flag). *Overdue* looks
back ``OVERDUE_DAYS`` days: older open follow-ups belong to the churn work, not to today's
list. The candidates come from the refresh (``OpenFollowUp``; finding them means reading
every interaction's due date, which has no index of its own); here each is scoped by its
customer and checked again for a later interaction, so one settled since the refresh drops out
at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from tiercard.accounts.models import User
from tiercard.analytics.models import OpenFollowUp
from tiercard.analytics.rollup import OVERDUE_DAYS
from tiercard.analytics.scope import customer_seen
from tiercard.interactions.models import Interaction

LIST_LIMIT = 20
__all__ = ["LIST_LIMIT", "OVERDUE_DAYS", "FollowUps", "follow_ups"]


@dataclass(frozen=True)
class FollowUps:
    today: dt.date
    due_today: int
    overdue: int
    items: list[Interaction]  # due today first, then most recently overdue; at most LIST_LIMIT


def follow_ups(viewer: User, today: dt.date) -> FollowUps:
    """Three queries: the counts, the first ``LIST_LIMIT`` ids, those interactions."""
    later = Interaction.objects.filter(
        customer_id=OuterRef("customer_id"), occurred_at__gt=OuterRef("occurred_at")
    )
    open_ = customer_seen(
        OpenFollowUp.objects.filter(
            due__gte=today - dt.timedelta(days=OVERDUE_DAYS), due__lte=today
        ),
        viewer,
    ).filter(~Exists(later))
    counts = open_.aggregate(
        n_due=Count("pk", filter=Q(due=today)), n_overdue=Count("pk", filter=Q(due__lt=today))
    )
    ids = list(
        open_.order_by("-due", "customer_id", "interaction_id").values_list(
            "interaction_id", flat=True
        )[:LIST_LIMIT]
    )
    found = (
        Interaction.objects.filter(pk__in=ids)
        .select_related("customer", "customer__owner")
        .only(
            "next_step",
            "next_step_due",
            "customer__name",
            "customer__owner__username",
            "customer__owner__first_name",
            "customer__owner__last_name",
            "customer__owner__display_name",
        )
        .in_bulk()
    )
    items = [found[pk] for pk in ids if pk in found]
    return FollowUps(today, counts["n_due"], counts["n_overdue"], items)
