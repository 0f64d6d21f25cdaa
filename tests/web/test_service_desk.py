"""The service desk pages: the queue, opening a ticket from the card, answering, resolving,
reopening and assigning; scope, refusals (input kept, nothing written) and query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.loyalty.tiers_support import member
from tests.web.conftest import block, errors_of
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.servicedesk.models import ServiceTicket, TicketStatus
from tiercard.servicedesk.services import ticket_open, ticket_resolve

pytestmark = pytest.mark.django_db


def _state() -> tuple:
    return (
        list(ServiceTicket.objects.order_by("pk").values()),
        Interaction.objects.count(),
        AuditEvent.objects.filter(object_type="servicedesk.serviceticket").count(),
    )


def _ticket(users: dict, customer: Customer, who: str = "rep_east1", **data) -> ServiceTicket:
    data.setdefault("kind", "after_sales")
    data.setdefault("subject", "设备无法开机")
    return ticket_open(actor=users[who], customer_id=customer.pk, data=data)


def test_opening_a_ticket_from_the_card_shows_the_tier_promise(login, users, book) -> None:
    member(book["east1"], "vip")
    client = login("rep_east1")
    card = client.get(f"/customers/{book['east1'].pk}/").content.decode()
    panel = block(card, "id", "tickets")
    assert panel is not None and "暂无服务记录" in panel
    assert f"/customers/{book['east1'].pk}/tickets/new/" in card

    form = client.get(f"/customers/{book['east1'].pk}/tickets/new/").content.decode()
    terms = block(form, "id", "terms")
    assert terms is not None and "4" in terms and "VIP" in terms

    response = client.post(
        f"/customers/{book['east1'].pk}/tickets/new/",
        {"kind": "complaint", "subject": "送货迟到两天", "detail": "客户很不满意"},
    )
    ticket = ServiceTicket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/service/{ticket.pk}/"
    assert (ticket.tier, ticket.response_hours, ticket.priority) == ("vip", 4, True)
    page = client.get(response["Location"]).content.decode()
    assert "送货迟到两天" in page and "客户很不满意" in page
    card = client.get(f"/customers/{book['east1'].pk}/").content.decode()
    assert "送货迟到两天" in (block(card, "id", "tickets") or "")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "complaint", "subject": ""}, "subject"),
        ({"kind": "complaint", "subject": "x" * 201}, "subject"),
        ({"kind": "nonsense", "subject": "好"}, "kind"),
        ({"kind": "complaint", "subject": "好", "opened_at": "2026-02-30 10:00"}, "opened_at"),
        ({"kind": "complaint", "subject": "好", "opened_at": "2099-01-01 10:00"}, "opened_at"),
    ],
)
def test_a_refused_ticket_keeps_the_input_and_writes_nothing(
    login, book, data: dict, field: str
) -> None:
    client = login("rep_east1")
    before = _state()
    response = client.post(f"/customers/{book['east1'].pk}/tickets/new/", data)
    assert response.status_code == 422
    assert errors_of(response.content, field)
    assert _state() == before
    if data["subject"]:
        assert f'value="{data["subject"]}"' in response.content.decode()


def test_another_rep_s_customer_and_ticket_are_404_and_nothing_changes(login, users, book) -> None:
    theirs = _ticket(users, book["south"], who="rep_south")
    client = login("rep_east1")
    before = _state()
    assert client.get(f"/customers/{book['south'].pk}/tickets/new/").status_code == 404
    posted = client.post(
        f"/customers/{book['south'].pk}/tickets/new/", {"kind": "complaint", "subject": "探测"}
    )
    assert posted.status_code == 404
    assert client.get(f"/service/{theirs.pk}/").status_code == 404
    for action, data in (
        ("respond", {"kind": "call", "summary": "x"}),
        ("resolve", {"resolution": "x"}),
        ("reopen", {"reason": "x"}),
    ):
        assert client.post(f"/service/{theirs.pk}/{action}/", data).status_code == 404
    assert client.get(f"/service/?view=all&customer={book['south'].pk}").status_code == 404
    queue = client.get("/service/?view=all").content.decode()
    assert "设备无法开机" not in queue
    assert _state() == before


def test_marketing_reads_the_queue_but_cannot_work_tickets(login, users, book) -> None:
    ticket = _ticket(users, book["east1"])
    client = login("marketing")
    assert "设备无法开机" in client.get("/service/").content.decode()
    page = client.get(f"/service/{ticket.pk}/").content.decode()
    assert 'id="respond"' not in page
    before = _state()
    assert (
        client.post(f"/service/{ticket.pk}/respond/", {"kind": "call", "summary": "x"}).status_code
        == 403
    )
    assert client.get(f"/customers/{book['east1'].pk}/tickets/new/").status_code == 403
    assert _state() == before


def test_reply_resolve_and_reopen_from_the_ticket_page(login, users, book) -> None:
    member(book["east1"], "premium")
    ticket = _ticket(users, book["east1"])
    client = login("service")

    refused = client.post(f"/service/{ticket.pk}/respond/", {"kind": "call", "summary": ""})
    assert refused.status_code == 422 and errors_of(refused.content, "summary")
    assert ServiceTicket.objects.get().status == TicketStatus.OPEN

    done = client.post(
        f"/service/{ticket.pk}/respond/", {"kind": "call", "summary": "已安排上门检修"}
    )
    assert done.status_code == 302
    page = client.get(f"/service/{ticket.pk}/").content.decode()
    replies = block(page, "id", "replies")
    assert replies is not None and "已安排上门检修" in replies
    assert ServiceTicket.objects.get().status == TicketStatus.RESPONDED

    assert (
        client.post(f"/service/{ticket.pk}/resolve/", {"resolution": "更换主板"}).status_code == 302
    )
    again = client.post(f"/service/{ticket.pk}/resolve/", {"resolution": "再次"})
    assert again.status_code == 409 and "重新打开" in again.content.decode()
    assert ServiceTicket.objects.get().resolution == "更换主板"

    assert client.post(f"/service/{ticket.pk}/reopen/", {"reason": "又坏了"}).status_code == 302
    assert ServiceTicket.objects.get().status == TicketStatus.RESPONDED


def test_assigning_offers_only_colleagues_who_see_the_customer(login, users, book) -> None:
    ticket = _ticket(users, book["east1"])
    client = login("mgr_east")
    form = block(client.get(f"/service/{ticket.pk}/").content.decode(), "id", "assign-form")
    assert form is not None
    offered = form.split("name=assignee_id", 1)[1]
    assert f"value={users['rep_east1'].pk} " in offered
    assert f"value={users['rep_south'].pk} " not in offered
    before = _state()
    refused = client.post(f"/service/{ticket.pk}/assign/", {"assignee_id": users["rep_south"].pk})
    assert refused.status_code == 422
    assert _state() == before
    done = client.post(f"/service/{ticket.pk}/assign/", {"assignee_id": users["service"].pk})
    assert done.status_code == 302
    assert ServiceTicket.objects.get().assignee_id == users["service"].pk
    rep = login("rep_east1")
    assert (
        rep.post(
            f"/service/{ticket.pk}/assign/", {"assignee_id": users["rep_east1"].pk}
        ).status_code
        == 403
    )
    assert ServiceTicket.objects.get().assignee_id == users["service"].pk


def test_the_queue_tabs_and_the_mine_filter(login, users, make_customer) -> None:
    vip = make_customer("rep_east1", name="贵宾")
    member(vip, "vip")
    plain = make_customer("rep_east1", name="散客")
    first = _ticket(users, plain, subject="普通咨询", kind="enquiry")
    urgent = _ticket(users, vip, subject="紧急投诉", kind="complaint")
    done = _ticket(users, plain, subject="已办结")
    ticket_resolve(actor=users["rep_east1"], ticket_id=done.pk, resolution="好")
    client = login("rep_east1")
    page = client.get("/service/").content.decode()
    assert page.index("紧急投诉") < page.index("普通咨询")  # priority first
    assert "已办结" not in page
    resolved = client.get("/service/?view=resolved").content.decode()
    assert "已办结" in resolved and "紧急投诉" not in resolved
    assert "紧急投诉" in client.get("/service/?mine=1").content.decode()
    assert "紧急投诉" not in login("service").get("/service/?mine=1").content.decode()
    bad = login("rep_east1").get("/service/?view=bogus&page=-3")
    assert bad.status_code == 200 and bad.context["view"] == "active"
    assert {first.pk, urgent.pk} == {r.ticket.pk for r in bad.context["rows"]}


def test_an_overdue_ticket_is_flagged(login, users, book) -> None:
    member(book["east1"], "vip")
    ticket = _ticket(users, book["east1"])
    ServiceTicket.objects.filter(pk=ticket.pk).update(
        opened_at=ticket.opened_at - dt.timedelta(hours=6),
        respond_by=ticket.respond_by - dt.timedelta(hours=6),
    )
    client = login("rep_east1")
    page = client.get("/service/?view=overdue").content.decode()
    assert "sd-row--late" in page and "设备无法开机" in page
    figures = block(page, "id", "queue-figures")
    assert figures is not None


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("username", ["rep_east1", "service"])
def test_queue_ticket_and_card_queries_do_not_grow_with_tickets(
    login, users, make_customer, username: str
) -> None:
    customer = make_customer("rep_east1", name="常客")
    member(customer, "premium")
    made = [_ticket(users, customer, subject=f"问题{i}") for i in range(3)]
    client = login(username)
    urls = [
        "/service/",
        "/service/?view=all",
        f"/service/{made[0].pk}/",
        f"/customers/{customer.pk}/",
    ]
    few = [_queries(client, url) for url in urls]
    for i in range(9):
        _ticket(users, customer, subject=f"更多{i}")
    assert [_queries(client, url) for url in urls] == few
    assert few[0] <= 12


def test_the_card_timeline_lists_tickets_and_filters_them(login, users, book) -> None:
    ticket = _ticket(users, book["east1"], subject="屏幕有坏点")
    client = login("rep_east1")
    card = client.get(f"/customers/{book['east1'].pk}/").content.decode()
    timeline = block(card, "id", "timeline")
    assert timeline is not None and "屏幕有坏点" in timeline and f"#{ticket.pk}" in timeline
    only = client.get(
        f"/customers/{book['east1'].pk}/timeline/?kind=ticket",
        headers={"HX-Request": "true", "HX-Target": "timeline"},
    ).content.decode()
    assert "屏幕有坏点" in only


def test_the_dashboard_shows_the_viewer_s_service_figures(login, users, book) -> None:
    member(book["east1"], "vip")
    member(book["south"], "vip")
    for customer, who in ((book["east1"], "rep_east1"), (book["south"], "rep_south")):
        ticket = _ticket(users, customer, who=who)
        ServiceTicket.objects.filter(pk=ticket.pk).update(
            opened_at=ticket.opened_at - dt.timedelta(hours=6),
            respond_by=ticket.respond_by - dt.timedelta(hours=6),
        )
    mine = block(login("rep_east1").get("/dashboard/").content.decode(), "id", "service-desk")
    everyone = block(login("service").get("/dashboard/").content.decode(), "id", "service-desk")
    assert mine is not None and everyone is not None
    # awaiting, overdue, priority awaiting, answered in time (none answered: —)
    assert [int(n) for n in re.findall(r"\b\d+\b", mine)[:3]] == [1, 1, 1]
    assert [int(n) for n in re.findall(r"\b\d+\b", everyone)[:3]] == [2, 2, 2]


@pytest.mark.parametrize("query", ["customer=%C2%B2", "page=%C2%B2", "page=" + "9" * 5000])
def test_odd_queue_parameters_fall_back_instead_of_failing(login, users, book, query) -> None:
    _ticket(users, book["east1"])
    response = login("rep_east1").get("/service/?" + query)
    assert response.status_code == 200
    assert "设备无法开机" in response.content.decode()


def test_the_acknowledgement_is_offered_when_it_can_reach_the_customer_and_shown_after(
    login, users, make_customer
) -> None:
    from tiercard.outbox.models import OutboxMessage

    reachable = make_customer(name="李四", emails=["lisi@example.com"], consent_data=True)
    silent = make_customer(name="王六", emails=["wl@example.com"], consent_data=False)
    client = login("rep_east1")

    offered = client.get(f"/customers/{reachable.pk}/tickets/new/").content.decode()
    withheld = client.get(f"/customers/{silent.pk}/tickets/new/").content.decode()
    box = re.compile(r'<input type="checkbox" name="notify_customer"[^>]*>')

    assert "checked" in box.search(offered).group(0)  # type: ignore[union-attr]
    assert "checked" not in box.search(withheld).group(0)  # type: ignore[union-attr]
    assert "不会发送任何内容" in withheld and "不会发送任何内容" not in offered

    posted = client.post(
        f"/customers/{reachable.pk}/tickets/new/",
        {"kind": "after_sales", "subject": "退换货", "notify_customer": "on"},
    )
    unticked = client.post(
        f"/customers/{silent.pk}/tickets/new/", {"kind": "enquiry", "subject": "发票"}
    )

    assert posted.status_code == 302 and unticked.status_code == 302
    ticket = ServiceTicket.objects.get(customer=reachable)
    assert OutboxMessage.objects.filter(key=f"ticket_received:{ticket.pk}").count() == 1
    assert OutboxMessage.objects.count() == 1  # none for the unticked one
    page = client.get(posted["Location"]).content.decode()
    assert block(page, "id", "acknowledgement") == "等待发送"
    other = ServiceTicket.objects.get(customer=silent)
    assert block(client.get(f"/service/{other.pk}/").content, "id", "acknowledgement") is None
