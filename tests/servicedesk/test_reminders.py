"""Overdue reminders: one email per assignee listing the tickets past their promised time,
once per ticket and assignee; a mail that cannot be sent marks nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from tests.loyalty.tiers_support import member
from tiercard.servicedesk.models import ServiceTicket
from tiercard.servicedesk.reminders import tickets_remind
from tiercard.servicedesk.services import ticket_assign, ticket_open, ticket_respond
from tiercard.servicedesk.tasks import remind_overdue

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
LATER = NOW + dt.timedelta(hours=5)  # past a VIP ticket's 4 hours, within a standard's 48


class BrokenBackend:
    """An email backend whose server is down."""

    def __init__(self, *args: object, **kwargs: object) -> None: ...

    def send_messages(self, messages: list[object]) -> int:
        raise ConnectionRefusedError("smtp down")


@pytest.fixture
def tickets(users, book, make_customer):
    for name in ("rep_east1", "rep_south"):
        users[name].email = f"{name}@example.com"
        users[name].save()
    vip2 = make_customer("rep_east1", name="钱二")
    standard = make_customer("rep_east1", name="孙三")
    for customer, tier in ((book["east1"], "vip"), (vip2, "vip"), (standard, "standard")):
        member(customer, tier)
    member(book["south"], "vip")
    with time_machine.travel(NOW, tick=False):
        made = {
            key: ticket_open(
                actor=users[who],
                customer_id=customer.pk,
                data={"kind": "complaint", "subject": subject},
            )
            for key, who, customer, subject in (
                ("late", "rep_east1", book["east1"], "送货延误"),
                ("late2", "rep_east1", vip2, "发票错误"),
                ("in_time", "rep_east1", standard, "咨询价格"),
                ("south", "rep_south", book["south"], "包装破损"),
            )
        }
    return made


def test_each_assignee_gets_one_email_of_their_overdue_tickets_once(tickets, users):
    with time_machine.travel(LATER, tick=False):
        report = tickets_remind()

    assert (report.staff, report.tickets, report.failed) == (2, 3, 0)
    by_recipient = {m.to[0]: m for m in mail.outbox}
    east = by_recipient["rep_east1@example.com"]
    assert east.subject == "2 张服务记录已超过响应时限"
    assert "送货延误" in east.body and "发票错误" in east.body and "张三" in east.body
    assert "咨询价格" not in east.body  # 48 hours: not yet
    assert "2026-06-15 14:00" in east.body  # the promised time, in business time
    assert "包装破损" in by_recipient["rep_south@example.com"].body

    with time_machine.travel(LATER + dt.timedelta(minutes=10), tick=False):
        again = tickets_remind()
    assert (again.staff, len(mail.outbox)) == (0, 2)  # nothing told twice


def test_answered_tickets_and_assignees_without_email_are_left_out(tickets, users):
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        ticket_respond(
            actor=users["rep_east1"],
            ticket_id=tickets["late"].pk,
            data={"kind": "call", "summary": "已回电"},
        )
    users["rep_south"].email = ""
    users["rep_south"].save()
    with time_machine.travel(LATER, tick=False):
        report = tickets_remind()
    assert (report.staff, report.tickets) == (1, 1)
    (sent,) = mail.outbox
    assert "发票错误" in sent.body and "送货延误" not in sent.body
    assert ServiceTicket.objects.get(pk=tickets["south"].pk).reminded_at is None


def test_a_mail_that_cannot_be_sent_marks_nothing_and_is_sent_next_run(tickets, settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    with time_machine.travel(LATER, tick=False):
        report = tickets_remind()
    assert (report.staff, report.failed) == (0, 2)
    assert not ServiceTicket.objects.filter(reminded_at__isnull=False).exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(LATER, tick=False):
        assert tickets_remind().tickets == 3


def test_a_new_assignee_is_told_again(tickets, users):
    users["service"].email = "desk@example.com"
    users["service"].save()
    with time_machine.travel(LATER, tick=False):
        tickets_remind()
        ticket_assign(
            actor=users["mgr_east"], ticket_id=tickets["late"].pk, assignee_id=users["service"].pk
        )
        report = tickets_remind()
    assert (report.staff, report.tickets) == (1, 1)
    assert mail.outbox[-1].to == ["desk@example.com"]


def test_an_english_speaking_assignee_reads_english(tickets, users):
    users["rep_south"].language = "en"
    users["rep_south"].save()
    with time_machine.travel(LATER, tick=False):
        tickets_remind()
    south = next(m for m in mail.outbox if m.to == ["rep_south@example.com"])
    assert south.subject == "1 service ticket is past its response time"


def test_the_command_and_the_task_run_it(tickets):
    out = StringIO()
    with time_machine.travel(LATER, tick=False):
        call_command("tickets_remind", stdout=out)
        assert remind_overdue.call() == {"emails": 0, "tickets": 0, "failed": 0}
    assert out.getvalue().split() == ["emails", "2", "tickets", "3", "failed", "0"]
