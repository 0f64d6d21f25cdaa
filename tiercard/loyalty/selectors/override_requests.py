"""Reads of tier override requests, scoped by the viewer's customers."""

from __future__ import annotations

from django.db.models import QuerySet

from tiercard.accounts.models import Role, User
from tiercard.customers.models import Customer
from tiercard.customers.scope import scope_of
from tiercard.customers.selectors import visible_customer_pk, visible_customers
from tiercard.loyalty.models import OverrideRequest, RequestStatus

APPROVER_ROLES = (Role.ADMIN, Role.MANAGER)


def approvers_of(customer_id: int) -> list[User]:
    """Active managers and administrators responsible for the customer (who see it). Two
    queries; the caller has read the customer through its viewer's scope."""
    row = Customer.objects.filter(pk=customer_id).values_list("owner_id", "team_id").first()
    if row is None:
        return []
    owner_id, team_id = row
    staff = User.objects.filter(is_active=True, role__in=APPROVER_ROLES).order_by("username")
    return [u for u in staff if scope_of(u).admits(owner_id, team_id)]


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
