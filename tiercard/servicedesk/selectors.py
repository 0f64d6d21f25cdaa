"""Reads of service tickets, scoped by the viewer's customers.

The queue's order is the service promise: tickets awaiting a first response before those
answered; within each, tiers with priority booking first, then by the time a response is due
(tickets with no promised time last), then by age.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from tiercard.accounts.models import User
from tiercard.accounts.policy import TICKET_HANDLERS
from tiercard.core.errors import NotFound
from tiercard.customers.selectors import staff_seeing, visible_customer_pk, visible_customers
from tiercard.interactions.models import Interaction
from tiercard.servicedesk.models import ServiceTicket, TicketStatus

RELATED = ("customer", "assignee", "opened_by", "responded_by", "resolved_by")


class QueueView(StrEnum):
    """Which tickets the queue lists."""

    ACTIVE = "active"  # not resolved: open and responded
    OPEN = "open"  # awaiting a first response
    OVERDUE = "overdue"  # awaiting a first response past the promised time
    RESOLVED = "resolved"
    ALL = "all"


def _scoped(viewer: User) -> QuerySet[ServiceTicket]:
    return ServiceTicket.objects.filter(customer__in=visible_customers(viewer).values("pk"))


def overdue_q(now: dt.datetime) -> Q:
    return Q(status=TicketStatus.OPEN, respond_by__lt=now)


def ticket_queue(
    *,
    viewer: User,
    view: QueueView = QueueView.ACTIVE,
    mine: bool = False,
    customer_id: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[ServiceTicket]:
    """The viewer's queue; ``mine`` keeps the tickets assigned to the viewer, ``customer_id``
    one customer's."""
    moment = now or timezone.now()
    qs = _scoped(viewer).select_related(*RELATED)
    if mine:
        qs = qs.filter(assignee=viewer)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if view == QueueView.RESOLVED:
        return qs.filter(status=TicketStatus.RESOLVED).order_by("-resolved_at", "-id")
    if view == QueueView.ALL:
        return qs.order_by("-opened_at", "-id")
    promise = (F("priority").desc(), F("respond_by").asc(nulls_last=True), "opened_at", "id")
    if view == QueueView.OPEN:
        return qs.filter(status=TicketStatus.OPEN).order_by(*promise)
    if view == QueueView.OVERDUE:
        return qs.filter(overdue_q(moment)).order_by(*promise)
    # Awaiting a first response before answered ("open" sorts before "responded").
    return qs.exclude(status=TicketStatus.RESOLVED).order_by("status", *promise)


def customer_tickets(
    *, viewer: User, customer_id: int, in_scope: bool = False
) -> QuerySet[ServiceTicket]:
    """One customer's tickets, unresolved first, newest first. ``in_scope``: the caller read
    the customer through ``viewer``'s scope in this request."""
    qs = ServiceTicket.objects.filter(customer_id=customer_id)
    if not in_scope:
        qs = qs.filter(customer__in=visible_customer_pk(viewer, customer_id))
    return qs.select_related("assignee").order_by(
        F("resolved_at").desc(nulls_first=True), "-opened_at", "-id"
    )


def ticket_detail(*, viewer: User, ticket_id: int) -> ServiceTicket:
    """One ticket in the viewer's scope; ``NotFound`` else (existence is not revealed)."""
    ticket = _scoped(viewer).select_related(*RELATED).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    return ticket


@dataclass(frozen=True)
class QueueFigures:
    active: int  # not resolved
    open: int  # awaiting a first response
    overdue: int
    priority_open: int
    answered_30d: int  # tickets with a promise first answered in the last 30 days
    on_time_30d: int  # of those, answered by the promised time

    @property
    def on_time_percent(self) -> int | None:
        if not self.answered_30d:
            return None
        return round(100 * self.on_time_30d / self.answered_30d)


def queue_figures(*, viewer: User, now: dt.datetime | None = None) -> QueueFigures:
    """The queue's header figures in one aggregate query."""
    moment = now or timezone.now()
    since = moment - dt.timedelta(days=30)
    answered = Q(responded_at__gte=since, respond_by__isnull=False)
    got = _scoped(viewer).aggregate(
        active=Count("pk", filter=~Q(status=TicketStatus.RESOLVED)),
        open=Count("pk", filter=Q(status=TicketStatus.OPEN)),
        overdue=Count("pk", filter=overdue_q(moment)),
        priority_open=Count("pk", filter=Q(status=TicketStatus.OPEN, priority=True)),
        answered=Count("pk", filter=answered),
        on_time=Count("pk", filter=answered & Q(responded_at__lte=F("respond_by"))),
    )
    return QueueFigures(
        active=got["active"],
        open=got["open"],
        overdue=got["overdue"],
        priority_open=got["priority_open"],
        answered_30d=got["answered"],
        on_time_30d=got["on_time"],
    )


def ticket_replies(*, ticket: ServiceTicket) -> QuerySet[Interaction]:
    """The replies logged on a ticket, oldest first. ``ticket`` was read through the viewer's
    scope (``ticket_detail``); its replies are the customer's interactions, in that scope."""
    return (
        Interaction.objects.filter(ticket_reply__ticket=ticket)
        .select_related("actor")
        .order_by("occurred_at", "id")
    )


def ticket_assignees(*, customer_id: int) -> list[User]:
    """Who may take a ticket of this customer: active colleagues who handle tickets and see
    the customer (the rule ``ticket_open`` and ``ticket_assign`` enforce)."""
    return staff_seeing(customer_id, TICKET_HANDLERS)
