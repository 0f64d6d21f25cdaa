"""The demo book has service tickets in every state, written through the ticket services."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tiercard.core.timeutils import business_today
from tiercard.demo.load import load_demo
from tiercard.demo.tickets import plant_tickets
from tiercard.loyalty.services.bulk import loyalty_bulk_init
from tiercard.servicedesk.models import ServiceTicket, TicketReply, TicketStatus

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def test_tickets_are_planted_once_in_every_state(users: dict) -> None:
    load_demo(customers=400, purchases=2000, seed=3, as_of=AS_OF)
    loyalty_bulk_init(business_today())

    assert plant_tickets() == 10
    assert plant_tickets() == 0  # a book with tickets gets none
    counts = {s: ServiceTicket.objects.filter(status=s).count() for s in TicketStatus.values}
    assert counts == {TicketStatus.OPEN: 3, TicketStatus.RESPONDED: 5, TicketStatus.RESOLVED: 2}
    assert TicketReply.objects.count() == 7  # one reply per answered ticket, an interaction each
    assert all(t.opened_at <= timezone.now() for t in ServiceTicket.objects.all())
    assert len({t.customer_id for t in ServiceTicket.objects.all()}) == 10
