"""The customer's acknowledgement of a ticket: queued with the ticket when asked for, mailed
with consent in the business's language, holding no text staff wrote; refused input writes
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from tests.loyalty.tiers_support import member
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import ValidationFailed
from tiercard.loyalty.services.notify import outbox_deliver
from tiercard.outbox.models import MessageKind, MessageStatus, OutboxMessage
from tiercard.servicedesk.acknowledgement import acknowledgement_status
from tiercard.servicedesk.models import ServiceTicket
from tiercard.servicedesk.services import ticket_open

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def reachable(make_customer):
    return make_customer(name="李四", emails=["lisi@example.com"], consent_data=True)


def _open(users, customer, **data):
    data = {"kind": "complaint", "subject": "店员态度差（内部记录）", **data}
    return ticket_open(actor=users["rep_east1"], customer_id=customer.pk, data=data)


def test_the_acknowledgement_is_queued_with_the_ticket_and_mailed_in_chinese(users, reachable):
    member(reachable, "vip")  # responds within 4 hours

    ticket = _open(users, reachable, notify_customer=True)

    queued = OutboxMessage.objects.get(kind=MessageKind.TICKET_RECEIVED)
    assert (queued.key, queued.customer_id) == (f"ticket_received:{ticket.pk}", reachable.pk)
    assert queued.payload == {
        "ticket": ticket.pk,
        "kind": "投诉",
        "received": "2026-06-15 10:00",
        "respond_by": "2026-06-15 14:00",
    }
    created = AuditEvent.objects.get(object_type="servicedesk.serviceticket", action="create")
    assert created.changes["notify_customer"] is True
    assert acknowledgement_status(ticket.pk) == (MessageStatus.PENDING, None)

    report = outbox_deliver()

    assert report.sent == 1 and len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["lisi@example.com"]
    assert sent.subject == f"我们已收到您的投诉（编号 {ticket.pk}）"
    assert sent.body == (
        f"我们已于 2026-06-15 10:00 收到您的投诉（编号 {ticket.pk}），"
        "将在 2026-06-15 14:00 前答复您。"
    )
    assert "店员" not in sent.subject + sent.body  # staff's own words stay inside
    assert acknowledgement_status(ticket.pk)[0] == MessageStatus.SENT


def test_a_tier_without_a_response_time_promises_an_answer_as_soon_as_possible(users, reachable):
    ticket = _open(users, reachable, kind="enquiry", notify_customer=True)

    outbox_deliver()

    assert mail.outbox[0].body == (
        f"我们已于 2026-06-15 10:00 收到您的咨询（编号 {ticket.pk}），我们会尽快答复您。"
    )


def test_no_acknowledgement_unless_asked_and_none_mailed_without_consent(users, book):
    quiet = _open(users, book["east1"])
    asked = _open(users, book["east1"], notify_customer=True)  # no consent, no e-mail

    report = outbox_deliver()

    assert acknowledgement_status(quiet.pk) is None
    assert OutboxMessage.objects.filter(key=f"ticket_received:{quiet.pk}").count() == 0
    assert (report.sent, report.skipped) == (0, 1) and mail.outbox == []
    assert acknowledgement_status(asked.pk)[0] == MessageStatus.SKIPPED


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_notify_value_that_is_not_a_boolean_is_refused_and_nothing_written(
    users, reachable, value
):
    with pytest.raises(ValidationFailed) as refused:
        _open(users, reachable, notify_customer=value)

    assert "notify_customer" in refused.value.fields
    assert ServiceTicket.objects.count() == 0 and OutboxMessage.objects.count() == 0


def test_a_ticket_logged_after_its_promised_time_promises_no_time_gone_by(users, reachable):
    member(reachable, "vip")  # 4 hours
    ticket = _open(users, reachable, notify_customer=True, opened_at="2026-06-14T09:00")

    outbox_deliver()

    assert (
        ticket.respond_by is not None and OutboxMessage.objects.get().payload["respond_by"] is None
    )
    assert mail.outbox[0].body.endswith("我们会尽快答复您。")
