"""Reads of tier override requests, scoped by the viewer's customers."""

from __future__ import annotations

from django.db.models import QuerySet

from tiercard.accounts.models import Role, User
from tiercard.customers.selectors import staff_seeing, visible_customer_pk, visible_customers
from tiercard.loyalty.models import OverrideRequest, RequestStatus

APPROVER_ROLES = (Role.ADMIN, Role.MANAGER)


def approvers_of(customer_id: int) -> list[User]:
    """Active managers and administrators responsible for the customer (who see it)."""
    return staff_seeing(customer_id, APPROVER_ROLES)


def waiting_requests(*, viewer: User) -> QuerySet[OverrideRequest]:
    """Requests waiting for a decision on the viewer's customers, oldest first."""
    return (
        OverrideRequest.objects.filter(
            status=RequestStatus.PENDING, customer__in=visible_customers(viewer).values("pk")
        )
        .select_related("customer", "requested_by")
        .order_by("requested_at", "id")
    )


def decided_requests(*, viewer: User) -> QuerySet[OverrideRequest]:
    """Decided requests on the viewer's customers, latest decision first."""
    return (
        OverrideRequest.objects.exclude(status=RequestStatus.PENDING)
        .filter(customer__in=visible_customers(viewer).values("pk"))
        .select_related("customer", "requested_by", "decided_by")
        .order_by("-decided_at", "-id")
    )


def customer_requests(
    *, viewer: User, customer_id: int, in_scope: bool = False
) -> QuerySet[OverrideRequest]:
    """One customer's requests, newest first."""
    qs = OverrideRequest.objects.filter(customer_id=customer_id)
    if not in_scope:
        qs = qs.filter(customer__in=visible_customer_pk(viewer, customer_id))
    return qs.select_related("requested_by", "decided_by").order_by("-requested_at", "-id")
