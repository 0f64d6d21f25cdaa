"""Service tickets: the tier's response time and priority, the life of a ticket, scope and bad
input (nothing written)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests.loyalty.tiers_support import member
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.servicedesk.models import ServiceTicket, TicketStatus
from tiercard.servicedesk.selectors import (
    QueueView,
    customer_tickets,
    queue_figures,
    ticket_detail,
    ticket_queue,
    ticket_replies,
)
from tiercard.servicedesk.services import (
    ticket_assign,
    ticket_open,
    ticket_reopen,
    ticket_resolve,
    ticket_respond,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _open(users, customer, who="rep_east1", **data):
    data.setdefault("kind", "complaint")
    data.setdefault("subject", "配送延误")
    return ticket_open(actor=users[who], customer_id=customer.pk, data=data)


def _state():
    """Everything a refused write must leave unchanged."""
    return (
        list(ServiceTicket.objects.order_by("pk").values()),
        Interaction.objects.count(),
        AuditEvent.objects.count(),
    )


# --- Opening: the tier's terms ----------------------------------------------------------------


def test_a_vip_ticket_is_due_in_four_hours_and_goes_first(users, book):
    member(book["east1"], "vip")
    ticket = _open(users, book["east1"])
    assert (ticket.tier, ticket.response_hours, ticket.priority) == ("vip", 4, True)
    assert ticket.respond_by == NOW + dt.timedelta(hours=4)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.assignee_id == users["rep_east1"].pk  # the account manager
    event = AuditEvent.objects.get(object_type="servicedesk.serviceticket")
    assert event.customer_id == book["east1"].pk and event.changes["tier"] == "vip"


def test_a_standard_ticket_is_due_in_48_hours_without_priority(users, book):
    member(book["east1"], "standard")
    ticket = _open(users, book["east1"])
    assert (ticket.response_hours, ticket.priority) == (48, False)
    assert ticket.respond_by == NOW + dt.timedelta(hours=48)


def test_a_customer_with_no_tier_holds_the_lowest_which_promises_no_time(users, book):
    ticket = _open(users, book["east1"])
    assert (ticket.tier, ticket.response_hours, ticket.respond_by) == ("basic", None, None)


def test_a_ticket_received_earlier_is_due_from_its_reception(users, book):
    member(book["east1"], "premium")
    ticket = _open(users, book["east1"], opened_at="2026-06-15 08:00")  # business time (+08)
    assert ticket.opened_at == dt.datetime(2026, 6, 15, 0, 0, tzinfo=dt.UTC)
    assert ticket.respond_by == ticket.opened_at + dt.timedelta(hours=24)


def test_a_later_tier_change_keeps_the_promise_made(users, book):
    row = member(book["east1"], "vip")
    ticket = _open(users, book["east1"])
    row.tier = "basic"
    row.save()
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.response_hours, ticket.priority) == ("vip", 4, True)


def test_an_unowned_customer_s_ticket_goes_to_the_one_who_opened_it(users, make_customer):
    customer = make_customer("admin", name="无主客户")
    Customer.objects.filter(pk=customer.pk).update(owner=None)
    ticket = _open(users, customer, who="service")
    assert ticket.assignee_id == users["service"].pk


def test_the_service_desk_may_assign_at_opening_a_rep_only_to_themself(users, book):
    ticket = _open(users, book["east1"], who="service", assignee_id=users["mgr_east"].pk)
    assert ticket.assignee_id == users["mgr_east"].pk
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        _open(users, book["east1"], assignee_id=users["mgr_east"].pk)
    assert "assignee_id" in caught.value.fields
    assert _state() == before


# --- Bad input and scope: nothing written -----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "长" * 201}, "subject"),
        ({"detail": "长" * 4001}, "detail"),
        ({"kind": "praise"}, "kind"),
        ({"opened_at": "2026-13-01"}, "opened_at"),
        ({"opened_at": "2026-06-16 09:00"}, "opened_at"),  # tomorrow
        ({"assignee_id": "abc"}, "assignee_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_on_its_field_in_chinese(users, book, data, field):
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        _open(users, book["east1"], **data)
    assert field in caught.value.fields
    message = str(caught.value.fields[field][0])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert _state() == before


def test_an_assignee_who_cannot_see_the_customer_is_refused(users, book):
    before = _state()
    with pytest.raises(ValidationFailed):
        _open(users, book["east1"], who="service", assignee_id=users["rep_south"].pk)
    with pytest.raises(ValidationFailed):  # marketing sees the customer but works no tickets
        _open(users, book["east1"], who="service", assignee_id=users["marketing"].pk)
    assert _state() == before


def test_another_rep_s_customer_is_not_found_and_nothing_is_written(users, book):
    before = _state()
    with pytest.raises(NotFound):
        _open(users, book["south"])
    assert _state() == before


def test_marketing_sees_but_does_not_open_tickets(users, book):
    before = _state()
    with pytest.raises(PermissionDenied):
        _open(users, book["east1"], who="marketing")
    assert _state() == before


# --- Responding, resolving, reopening ---------------------------------------------------------


def test_the_first_reply_stamps_the_response_and_logs_an_interaction(users, book):
    member(book["east1"], "vip")
    ticket = _open(users, book["east1"])
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        ticket, reply = ticket_respond(
            actor=users["service"],
            ticket_id=ticket.pk,
            data={"kind": "call", "summary": "已致电道歉，安排补发"},
        )
    assert ticket.status == TicketStatus.RESPONDED
    assert ticket.responded_at == NOW + dt.timedelta(hours=1)
    assert ticket.responded_by_id == users["service"].pk
    assert reply.customer_id == book["east1"].pk and reply.kind == "call"
    book["east1"].refresh_from_db()
    assert book["east1"].last_interaction_at == NOW + dt.timedelta(hours=1)

    with time_machine.travel(NOW + dt.timedelta(hours=3), tick=False):
        again, second = ticket_respond(
            actor=users["rep_east1"],
            ticket_id=ticket.pk,
            data={"kind": "wechat", "summary": "补发已寄出"},
        )
    assert again.responded_at == NOW + dt.timedelta(hours=1)  # the first reply counts
    assert list(ticket_replies(ticket=ticket)) == [reply, second]


def test_a_reply_dated_back_counts_from_its_time_but_never_before_the_ticket(users, book):
    member(book["east1"], "vip")
    ticket = _open(users, book["east1"], opened_at="2026-06-15 16:00")  # 08:00 UTC
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        ticket_respond(
            actor=users["rep_east1"],
            ticket_id=ticket.pk,
            data={"kind": "call", "summary": "回电", "occurred_at": "2026-06-15 15:00"},
        )
    assert "occurred_at" in caught.value.fields
    assert _state() == before
    ticket, _reply = ticket_respond(
        actor=users["rep_east1"],
        ticket_id=ticket.pk,
        data={"kind": "call", "summary": "回电", "occurred_at": "2026-06-15 17:30"},
    )
    assert ticket.responded_at == dt.datetime(2026, 6, 15, 9, 30, tzinfo=dt.UTC)


def test_a_reply_with_a_bad_interaction_writes_nothing(users, book):
    ticket = _open(users, book["east1"])
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        ticket_respond(
            actor=users["rep_east1"], ticket_id=ticket.pk, data={"kind": "fax", "summary": ""}
        )
    assert {"kind", "summary"} <= set(caught.value.fields)
    assert _state() == before


def test_resolving_an_unanswered_ticket_answers_it_then_reopen_keeps_the_response(users, book):
    member(book["east1"], "vip")
    ticket = _open(users, book["east1"])
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        ticket = ticket_resolve(actor=users["service"], ticket_id=ticket.pk, resolution="已退款")
    assert ticket.status == TicketStatus.RESOLVED
    assert ticket.responded_at == ticket.resolved_at == NOW + dt.timedelta(hours=2)

    before = _state()
    with pytest.raises(Conflict) as caught:
        ticket_resolve(actor=users["service"], ticket_id=ticket.pk, resolution="再次")
    assert caught.value.code == "ticket_resolved"
    with pytest.raises(Conflict):
        ticket_respond(
            actor=users["service"], ticket_id=ticket.pk, data={"kind": "call", "summary": "x"}
        )
    assert _state() == before

    ticket = ticket_reopen(actor=users["rep_east1"], ticket_id=ticket.pk, reason="客户再次来电")
    assert ticket.status == TicketStatus.RESPONDED
    assert ticket.resolved_at is None and ticket.resolution == ""
    assert ticket.responded_at == NOW + dt.timedelta(hours=2)
    event = AuditEvent.objects.filter(object_id=str(ticket.pk)).latest("pk")
    assert event.changes["resolution"] == "已退款" and event.note == "客户再次来电"


def test_resolving_needs_a_resolution_and_reopening_a_reason(users, book):
    ticket = _open(users, book["east1"])
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        ticket_resolve(actor=users["service"], ticket_id=ticket.pk, resolution="  ")
    assert "resolution" in caught.value.fields
    with pytest.raises(ValidationFailed):
        ticket_resolve(actor=users["service"], ticket_id=ticket.pk, resolution="长" * 4001)
    with pytest.raises(Conflict) as refused:
        ticket_reopen(actor=users["service"], ticket_id=ticket.pk, reason="x")
    assert refused.value.code == "ticket_not_resolved"
    with pytest.raises(ValidationFailed):
        ticket_reopen(actor=users["service"], ticket_id=ticket.pk, reason="")
    assert _state() == before


def test_writes_on_another_rep_s_ticket_are_not_found(users, book):
    ticket = _open(users, book["south"], who="rep_south")
    before = _state()
    for write in (
        lambda: ticket_respond(
            actor=users["rep_east1"], ticket_id=ticket.pk, data={"kind": "call", "summary": "x"}
        ),
        lambda: ticket_resolve(actor=users["rep_east1"], ticket_id=ticket.pk, resolution="x"),
        lambda: ticket_assign(
            actor=users["mgr_east"], ticket_id=ticket.pk, assignee_id=users["mgr_east"].pk
        ),
        lambda: ticket_detail(viewer=users["rep_east1"], ticket_id=ticket.pk),
    ):
        with pytest.raises(NotFound):
            write()
    assert _state() == before


def test_assigning_needs_a_dispatcher_and_a_colleague_who_sees_the_customer(users, book):
    ticket = _open(users, book["east1"])
    before = _state()
    with pytest.raises(PermissionDenied):
        ticket_assign(
            actor=users["rep_east1"], ticket_id=ticket.pk, assignee_id=users["rep_east2"].pk
        )
    with pytest.raises(ValidationFailed):
        ticket_assign(
            actor=users["mgr_east"], ticket_id=ticket.pk, assignee_id=users["rep_east2"].pk
        )  # rep_east2 does not see rep_east1's customer
    assert _state() == before
    ticket = ticket_assign(
        actor=users["mgr_east"], ticket_id=ticket.pk, assignee_id=users["service"].pk
    )
    assert ticket.assignee_id == users["service"].pk


# --- The queue --------------------------------------------------------------------------------


def _customer(make_customer, tier, name):
    made = make_customer("rep_east1", name=name)
    if tier:
        member(made, tier)
    return made


def test_the_queue_puts_priority_first_then_the_earliest_due_then_no_promise(users, make_customer):
    basic = _open(users, _customer(make_customer, None, "甲"))
    standard = _open(users, _customer(make_customer, "standard", "乙"))  # due +48h
    premium = _open(users, _customer(make_customer, "premium", "丙"))  # +24h, priority
    vip = _open(users, _customer(make_customer, "vip", "丁"), opened_at="2026-06-15 17:00")
    later_vip = _open(users, _customer(make_customer, "vip", "戊"))  # +4h from now, priority

    queue = list(ticket_queue(viewer=users["rep_east1"], now=NOW))
    assert queue == [vip, later_vip, premium, standard, basic]

    # Answered tickets follow those still awaiting a first response.
    ticket_respond(
        actor=users["rep_east1"], ticket_id=vip.pk, data={"kind": "call", "summary": "已回"}
    )
    queue = list(ticket_queue(viewer=users["rep_east1"], now=NOW))
    assert queue == [later_vip, premium, standard, basic, vip]

    ticket_resolve(actor=users["rep_east1"], ticket_id=vip.pk, resolution="已处理")
    assert vip not in ticket_queue(viewer=users["rep_east1"])
    assert list(ticket_queue(viewer=users["rep_east1"], view=QueueView.RESOLVED)) == [vip]


def test_overdue_tickets_and_the_figures(users, make_customer):
    vip = _open(users, _customer(make_customer, "vip", "丁"))
    standard = _open(users, _customer(make_customer, "standard", "乙"))
    _open(users, _customer(make_customer, None, "甲"))
    later = NOW + dt.timedelta(hours=5)
    assert list(ticket_queue(viewer=users["rep_east1"], view=QueueView.OVERDUE, now=later)) == [vip]
    with time_machine.travel(later, tick=False):
        ticket_respond(
            actor=users["rep_east1"], ticket_id=vip.pk, data={"kind": "call", "summary": "晚了"}
        )
        ticket_respond(
            actor=users["rep_east1"],
            ticket_id=standard.pk,
            data={"kind": "call", "summary": "准时"},
        )
        figures = queue_figures(viewer=users["rep_east1"])
    assert (figures.active, figures.open, figures.overdue) == (3, 1, 0)
    assert (figures.answered_30d, figures.on_time_30d, figures.on_time_percent) == (2, 1, 50)


def test_the_queue_and_the_card_list_are_scoped(users, book):
    east = _open(users, book["east1"])
    south = _open(users, book["south"], who="rep_south")
    assert list(ticket_queue(viewer=users["rep_east1"])) == [east]
    assert list(ticket_queue(viewer=users["rep_south"])) == [south]
    assert set(ticket_queue(viewer=users["mgr_east"])) == {east}
    assert set(ticket_queue(viewer=users["service"])) == {east, south}
    assert list(ticket_queue(viewer=users["service"], mine=True)) == []
    assert list(customer_tickets(viewer=users["rep_east1"], customer_id=book["south"].pk)) == []
    assert list(customer_tickets(viewer=users["rep_south"], customer_id=book["south"].pk)) == [
        south
    ]


def test_the_customer_list_shows_unresolved_tickets_first(users, book):
    first = _open(users, book["east1"], subject="一")
    second = _open(users, book["east1"], subject="二", opened_at=timezone.now())
    ticket_resolve(actor=users["rep_east1"], ticket_id=second.pk, resolution="好")
    third = _open(users, book["east1"], subject="三")
    listed = list(customer_tickets(viewer=users["rep_east1"], customer_id=book["east1"].pk))
    assert listed == [third, first, second]


def test_a_deactivated_account_manager_is_not_given_new_tickets(users, book):
    users["rep_east1"].is_active = False
    users["rep_east1"].save()
    ticket = _open(users, book["east1"], who="service")
    assert ticket.assignee_id == users["service"].pk


@pytest.mark.parametrize("raw", ["²", "9" * 30, "-1", "1.0"])
def test_an_assignee_id_that_is_no_whole_number_is_refused_cleanly(users, book, raw):
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        _open(users, book["east1"], who="service", assignee_id=raw)
    assert "assignee_id" in caught.value.fields
    assert _state() == before


def test_scope_and_role_are_checked_before_the_input(users, book):
    ticket = _open(users, book["south"], who="rep_south")
    ticket_resolve(actor=users["rep_south"], ticket_id=ticket.pk, resolution="好")
    before = _state()
    with pytest.raises(NotFound):
        ticket_reopen(actor=users["rep_east1"], ticket_id=ticket.pk, reason="")
    with pytest.raises(NotFound):
        ticket_resolve(actor=users["rep_east1"], ticket_id=ticket.pk, resolution="")
    with pytest.raises(PermissionDenied):
        ticket_reopen(actor=users["marketing"], ticket_id=ticket.pk, reason="")
    assert _state() == before


def test_assigning_to_the_current_assignee_writes_nothing(users, book):
    ticket = _open(users, book["east1"])
    before = _state()
    same = ticket_assign(
        actor=users["mgr_east"], ticket_id=ticket.pk, assignee_id=users["rep_east1"].pk
    )
    assert same.assignee_id == users["rep_east1"].pk
    assert _state() == before


@pytest.mark.parametrize("when", ["0001-01-01 00:00", "9999-12-31 23:59"])
def test_a_time_no_database_stores_is_refused_on_its_field(users, book, when):
    before = _state()
    with pytest.raises(ValidationFailed) as caught:
        _open(users, book["east1"], opened_at=when)
    assert "opened_at" in caught.value.fields
    assert _state() == before
