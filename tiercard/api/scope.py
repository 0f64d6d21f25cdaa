"""Scope checks for nested resources, through the one scoping rule (``visible_customers``)."""

from __future__ import annotations

from tiercard.accounts.models import User
from tiercard.customers.selectors import customer_ensure_visible


def require_visible_customer(user: User, customer_id: int) -> None:
    """NotFound unless the customer is in the user's scope: one EXISTS query, no prefetching.

    Lists under a customer use it so that an out-of-scope id is 404, not an empty list.
    """
    customer_ensure_visible(viewer=user, customer_id=customer_id)
