"""The follow-up a card shows next to its owner, from the interactions' next steps
(Interaction.next_step / next_step_due), read through the viewer's scope.

Interactions carry no "done" flag, so a plan counts as done once the customer was contacted
again after it was made and on or after its due date. What is shown, in order:
1. the earliest next step due today or later;
2. otherwise the latest planned next step, unless it counts as done (then nothing).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from tiercard.accounts.models import User
from tiercard.core.timeutils import business_tz
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.interactions.selectors import interaction_list


def next_follow_up(*, viewer: User, customer: Customer, today: dt.date) -> Interaction | None:
    """At most two queries; ``customer`` was read through the viewer's scope."""
    planned = interaction_list(viewer=viewer, customer_id=customer.pk)
    upcoming = planned.filter(next_step_due__gte=today).order_by("next_step_due", "id").first()
    if upcoming is not None:
        return upcoming
    latest = (
        planned.filter(Q(next_step_due__isnull=False) | ~Q(next_step=""))
        .order_by("-occurred_at", "-id")
        .first()
    )
    if latest is None:
        return None
    contacted = customer.last_interaction_at
    if contacted is not None and contacted > latest.occurred_at:
        contacted_on = contacted.astimezone(business_tz()).date()
        if latest.next_step_due is None or contacted_on >= latest.next_step_due:
            return None  # followed up since
    return latest
