"""Scope checks for nested resources, through the one scoping rule (``visible_customers``)."""

from __future__ import annotations

from tiercard.accounts.models import User
from tiercard.core.errors import NotFound
from tiercard.customers.selectors import visible_customers


def require_visible_customer(user: User, customer_id: int) -> None:
    """NotFound unless the customer is in the user's scope: one EXISTS query, no prefetching.

    Lists under a customer use it so that an out-of-scope id is 404, not an empty list.
    """
    if not visible_customers(user).filter(pk=customer_id).exists():
        raise NotFound()
