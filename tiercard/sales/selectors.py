"""Reads of purchases, always through the customer scope of the viewer."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from tiercard.accounts.models import User
from tiercard.core.errors import NotFound
from tiercard.customers.selectors import visible_customer_pk, visible_customers
from tiercard.sales.models import Purchase, PurchaseLine


def visible_purchases(viewer: User) -> QuerySet[Purchase]:
    return Purchase.objects.filter(customer__in=visible_customers(viewer).values("pk"))


def purchase_list(
    *, viewer: User, customer_id: int | None = None, in_scope: bool = False
) -> QuerySet[Purchase]:
    """``in_scope``: the caller read this customer through ``viewer``'s scope in the same
    request (the card page), so the scope subquery is not repeated."""
    if customer_id is None:
        qs = visible_purchases(viewer)
    elif in_scope:
        qs = Purchase.objects.filter(customer_id=customer_id)
    else:
        qs = Purchase.objects.filter(
            customer__in=visible_customer_pk(viewer, customer_id), customer_id=customer_id
        )
    return (
        qs.select_related("customer", "sales_rep")
        .prefetch_related(Prefetch("lines", queryset=PurchaseLine.objects.order_by("id")))
        .order_by("-occurred_at", "-id")
    )


def purchase_get(*, viewer: User, purchase_id: int) -> Purchase:
    purchase = purchase_list(viewer=viewer).filter(pk=purchase_id).first()
    if purchase is None:
        raise NotFound()
    return purchase
