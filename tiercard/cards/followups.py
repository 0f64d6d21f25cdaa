"""The follow-up a card shows next to its owner: the next step of the latest interaction that
planned one (Interaction.next_step / next_step_due), read through the viewer's scope."""

from __future__ import annotations

from django.db.models import Q

from tiercard.accounts.models import User
from tiercard.interactions.models import Interaction
from tiercard.interactions.selectors import interaction_list


def next_follow_up(*, viewer: User, customer_id: int) -> Interaction | None:
    """The latest interaction with a next step or a due date (one query), None when none."""
    return (
        interaction_list(viewer=viewer, customer_id=customer_id)
        .filter(Q(next_step_due__isnull=False) | ~Q(next_step=""))
        .order_by("-occurred_at", "-id")
        .first()
    )
