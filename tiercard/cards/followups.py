"""The follow-up a card shows next to its owner, from the interactions' next steps
(Interaction.next_step / next_step_due), read through the viewer's scope.

Interactions carry no "done" flag, so a plan counts as done once the customer was contacted
again after it was made and on or after its due date. What is shown, in order:
1. the earliest next step due today or later;
2. otherwise the latest planned next step, unless it counts as done (then nothing).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet, Subquery

from tiercard.accounts.models import User
from tiercard.core.prepared import Prepared
from tiercard.core.timeutils import business_tz
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.interactions.selectors import interaction_list

_CANDIDATES: dict[dt.date, Prepared[Interaction]] = {}


def _candidates(viewer: User, today: dt.date) -> Prepared[Interaction]:
    """The two candidate rows of a customer's interactions (the rows do not depend on the
    viewer: the customer was read through the viewer's scope)."""
    found = _CANDIDATES.get(today)
    if found is None:
        if len(_CANDIDATES) > 2:
            _CANDIDATES.clear()  # yesterday's

        def build(customer_id: int) -> QuerySet[Interaction]:
            planned = interaction_list(viewer=viewer, customer_id=customer_id, in_scope=True)
            upcoming = planned.filter(next_step_due__gte=today).order_by("next_step_due", "id")
            latest = planned.filter(Q(next_step_due__isnull=False) | ~Q(next_step="")).order_by(
                "-occurred_at", "-id"
            )
            return planned.filter(
                Q(pk=Subquery(upcoming.values("pk")[:1])) | Q(pk=Subquery(latest.values("pk")[:1]))
            )

        found = _CANDIDATES[today] = Prepared(build)
    return found


def next_follow_up(*, viewer: User, customer: Customer, today: dt.date) -> Interaction | None:
    """One query; ``customer`` was read through the viewer's scope in this request.

    The query returns at most two rows: the earliest next step due from today on and the
    latest planned one (each picked by a one-row subquery), and the rules above choose. Its
    statement is compiled once a day (``core.prepared``): every card shows the follow-up."""
    found = _candidates(viewer, today).rows(customer.pk)
    due = [i for i in found if i.next_step_due is not None and i.next_step_due >= today]
    if due:  # the earliest of all such rows is among them
        return min(due, key=lambda i: (i.next_step_due, i.pk))
    if not found:
        return None
    last = max(found, key=lambda i: (i.occurred_at, i.pk))  # only the latest plan is left
    contacted = customer.last_interaction_at
    if contacted is not None and contacted > last.occurred_at:
        contacted_on = contacted.astimezone(business_tz()).date()
        if last.next_step_due is None or contacted_on >= last.next_step_due:
            return None  # followed up since
    return last
