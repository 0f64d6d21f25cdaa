"""Reads of interactions, scoped by the viewer's customers."""

from __future__ import annotations

from django.db.models import QuerySet

from tiercard.accounts.models import User
from tiercard.customers.selectors import visible_customer_pk, visible_customers
from tiercard.interactions.models import Interaction


def interaction_list(
    *, viewer: User, customer_id: int | None = None, in_scope: bool = False
) -> QuerySet[Interaction]:
    """``in_scope``: the caller read this customer through ``viewer``'s scope in the same
    request (the card page), so the scope subquery is not repeated."""
    if customer_id is None:
        qs = Interaction.objects.filter(customer__in=visible_customers(viewer).values("pk"))
    elif in_scope:
        qs = Interaction.objects.filter(customer_id=customer_id)
    else:
        qs = Interaction.objects.filter(
            customer__in=visible_customer_pk(viewer, customer_id), customer_id=customer_id
        )
    return qs.select_related("actor", "contact").order_by("-occurred_at", "-id")
