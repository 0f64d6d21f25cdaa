"""Service tickets through the API: the life of a ticket, the queue (order, paging, figures,
queries), scope and roles, and bad input; every refused write leaves nothing behind."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import ApiClient
from tests.loyalty.tiers_support import customers, member
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.servicedesk.models import ServiceTicket
from tiercard.servicedesk.selectors import QueueView, customer_tickets, ticket_queue
from tiercard.servicedesk.services import OPEN_KEYS, ticket_open, ticket_resolve

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)  # 18:00 in business time (+08)
HOUR = dt.timedelta(hours=1)
HUGE = 10**20

Api = Callable[..., ApiClient]


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _state() -> tuple[list[dict[str, Any]], int, int]:
    """Everything a refused write must leave unchanged."""
    return (
        list(ServiceTicket.objects.order_by("pk").values()),
        Interaction.objects.count(),
        AuditEvent.objects.count(),
    )


def _open(client: ApiClient, customer: Customer, **body: Any) -> dict[str, Any]:
    body.setdefault("kind", "complaint")
    body.setdefault("subject", "配送延误")
    response = client.post(f"/customers/{customer.pk}/service-tickets", body)
    assert response.status_code == 201, response.content
    return response.json()  # type: ignore[no-any-return]


def _at(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()["items"]]


def _walk(client: ApiClient, path: str, **params: Any) -> list[int]:
    """Every id of a paged list, following `next`."""
    ids: list[int] = []
    cursor = None
    while True:
        response = client.get(path, {**params, **({"cursor": cursor} if cursor else {})})
        ids += _ids(response)
        cursor = response.json()["next"]
        if cursor is None:
            return ids


def _customer(make_customer: Callable[..., Customer], tier: str | None, name: str) -> Customer:
    made = make_customer("rep_east1", name=name)
    if tier:
        member(made, tier)
    return made


# --- the life of a ticket ----------------------------------------------------------------------


def test_open_then_read_it_in_the_customer_list_the_queue_and_the_detail(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    member(book["east1"], "vip")
    client = api("rep_east1")
    audits = AuditEvent.objects.count()

    body = _open(client, book["east1"], detail="快递三天未到", kind="after_sales")

    assert body["customer_id"] == book["east1"].pk
    assert body["customer_name"] == "张三"
    assert (body["kind"], body["subject"], body["detail"]) == (
        "after_sales",
        "配送延误",
        "快递三天未到",
    )
    assert (body["status"], body["tier"], body["response_hours"], body["priority"]) == (
        "open",
        "vip",
        4,
        True,
    )
    assert body["opened_at"] == "2026-06-15T18:00:00+08:00"
    assert _at(body["respond_by"]) == NOW + 4 * HOUR
    assert body["overdue"] is False
    assert body["responded_at"] is None and body["resolved_at"] is None
    assert body["resolution"] == ""
    assert body["assignee_id"] == users["rep_east1"].pk  # the account manager
    assert body["assignee"] == {"id": users["rep_east1"].pk, "name": "rep_east1"}
    assert AuditEvent.objects.count() == audits + 1

    listed = client.get(f"/customers/{book['east1'].pk}/service-tickets")
    assert listed.json() == {"items": [body], "next": None}
    assert client.get("/service-tickets").json() == {"items": [body], "next": None}
    assert client.get(f"/service-tickets/{body['id']}").json() == body


def test_a_ticket_received_earlier_is_due_from_its_reception_and_overdue_when_read(
    book: dict[str, Customer], api: Api
) -> None:
    member(book["east1"], "vip")
    client = api("rep_east1")
    ticket = _open(client, book["east1"], opened_at="2026-06-15 13:00")  # 05:00 UTC

    assert _at(ticket["opened_at"]) == NOW - 5 * HOUR
    assert _at(ticket["respond_by"]) == NOW - HOUR
    assert ticket["overdue"] is True  # worked out at read time, nothing stored
    assert _ids(client.get("/service-tickets", {"view": "overdue"})) == [ticket["id"]]


def test_overdue_follows_the_clock_it_is_read_at(book: dict[str, Customer], api: Api) -> None:
    member(book["east1"], "vip")
    client = api("rep_east1")
    ticket = _open(client, book["east1"])
    assert _ids(client.get("/service-tickets", {"view": "overdue"})) == []

    with time_machine.travel(NOW + 5 * HOUR, tick=False):
        detail = client.get(f"/service-tickets/{ticket['id']}").json()
        overdue = client.get("/service-tickets", {"view": "overdue"}).json()["items"]

    assert detail["overdue"] is True
    assert [(t["id"], t["overdue"]) for t in overdue] == [(ticket["id"], True)]


def test_the_first_reply_stamps_the_response_and_answers_the_interaction(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    member(book["east1"], "vip")
    ticket = _open(api("rep_east1"), book["east1"])
    client = api("service")

    with time_machine.travel(NOW + HOUR, tick=False):
        response = client.post(
            f"/service-tickets/{ticket['id']}/respond",
            {"kind": "call", "summary": "已致电道歉，安排补发"},
        )
    with time_machine.travel(NOW + 3 * HOUR, tick=False):
        again = client.post(
            f"/service-tickets/{ticket['id']}/respond", {"kind": "wechat", "summary": "补发已寄出"}
        )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ticket"]["status"] == "responded"
    assert _at(body["ticket"]["responded_at"]) == NOW + HOUR
    reply = Interaction.objects.get(pk=body["interaction_id"])
    assert (reply.customer_id, reply.kind, reply.actor_id) == (
        book["east1"].pk,
        "call",
        users["service"].pk,
    )
    assert again.status_code == 200, again.content
    assert _at(again.json()["ticket"]["responded_at"]) == NOW + HOUR  # the first reply counts
    assert again.json()["interaction_id"] != body["interaction_id"]
    assert Interaction.objects.filter(customer=book["east1"]).count() == 2


def test_a_reply_dated_back_counts_from_its_time(book: dict[str, Customer], api: Api) -> None:
    member(book["east1"], "vip")
    client = api("rep_east1")
    ticket = _open(client, book["east1"], opened_at="2026-06-15 16:00")

    response = client.post(
        f"/service-tickets/{ticket['id']}/respond",
        {"kind": "call", "summary": "回电", "occurred_at": "2026-06-15T17:30:00+08:00"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["ticket"]["responded_at"] == "2026-06-15T17:30:00+08:00"


def test_resolve_refuse_on_a_resolved_ticket_then_reopen(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    member(book["east1"], "vip")
    ticket = _open(api("rep_east1"), book["east1"])
    client = api("service")
    path = f"/service-tickets/{ticket['id']}"

    with time_machine.travel(NOW + 2 * HOUR, tick=False):
        resolved = client.post(f"{path}/resolve", {"resolution": "已退款"})
    assert resolved.status_code == 200, resolved.content
    body = resolved.json()
    assert (body["status"], body["resolution"]) == ("resolved", "已退款")
    assert _at(body["resolved_at"]) == _at(body["responded_at"]) == NOW + 2 * HOUR

    before = _state()
    for response in (
        client.post(f"{path}/resolve", {"resolution": "再次"}),
        client.post(f"{path}/respond", {"kind": "call", "summary": "x"}),
        client.post(f"{path}/assign", {"assignee_id": users["mgr_east"].pk}),
    ):
        assert response.status_code == 409, response.content
        assert response.json()["code"] == "ticket_resolved"
    assert _state() == before

    reopened = client.post(f"{path}/reopen", {"reason": "客户再次来电"})
    assert reopened.status_code == 200, reopened.content
    body = reopened.json()
    assert (body["status"], body["resolution"], body["resolved_at"]) == ("responded", "", None)
    assert _at(body["responded_at"]) == NOW + 2 * HOUR
    event = AuditEvent.objects.filter(object_id=str(ticket["id"])).latest("pk")
    assert event.changes["resolution"] == "已退款" and event.note == "客户再次来电"

    before = _state()
    refused = client.post(f"{path}/reopen", {"reason": "again"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "ticket_not_resolved"
    assert _state() == before


def test_the_service_desk_assigns_a_rep_may_not(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    rep, manager = api("rep_east1"), api("mgr_east")  # (a new token is audited)
    ticket = _open(rep, book["east1"])
    path = f"/service-tickets/{ticket['id']}/assign"
    before = _state()

    refused = rep.post(path, {"assignee_id": users["service"].pk})
    blind = manager.post(path, {"assignee_id": users["rep_east2"].pk})  # not their card

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert blind.status_code == 422
    assert "assignee_id" in blind.json()["fields"]
    assert _state() == before

    assigned = manager.post(path, {"assignee_id": users["service"].pk})
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee_id"] == users["service"].pk
    assert assigned.json()["assignee"]["id"] == users["service"].pk


def test_the_service_desk_may_assign_at_opening(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    rep = api("rep_east1")
    body = _open(api("service"), book["east1"], assignee_id=users["mgr_east"].pk)
    assert body["assignee_id"] == users["mgr_east"].pk

    before = _state()
    response = rep.post(
        f"/customers/{book['east1'].pk}/service-tickets",
        {"kind": "enquiry", "subject": "问价", "assignee_id": users["mgr_east"].pk},
    )
    assert response.status_code == 422
    assert "assignee_id" in response.json()["fields"]
    assert _state() == before


# --- scope and roles ---------------------------------------------------------------------------


def test_another_rep_s_customer_and_ticket_are_not_found_and_nothing_is_written(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    south = _open(api("rep_south"), book["south"])
    client, manager = api("rep_east1"), api("mgr_east")
    path = f"/service-tickets/{south['id']}"
    before = _state()

    responses = [
        client.get(f"/customers/{book['south'].pk}/service-tickets"),
        client.post(
            f"/customers/{book['south'].pk}/service-tickets",
            {"kind": "complaint", "subject": "越权"},
        ),
        client.get(path),
        client.post(f"{path}/respond", {"kind": "call", "summary": "x"}),
        client.post(f"{path}/resolve", {"resolution": "x"}),
        client.post(f"{path}/reopen", {"reason": "x"}),
        client.post(f"{path}/assign", {"assignee_id": users["rep_east1"].pk}),
        manager.post(f"{path}/assign", {"assignee_id": users["mgr_east"].pk}),
    ]

    for response in responses:
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
    assert _state() == before
    assert _ids(client.get("/service-tickets", {"view": "all"})) == []
    assert _ids(api("service").get("/service-tickets")) == [south["id"]]


def test_marketing_reads_tickets_but_every_write_is_refused(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    ticket = _open(api("rep_east1"), book["east1"])
    client = api("marketing")
    path = f"/service-tickets/{ticket['id']}"
    before = _state()

    writes = [
        client.post(
            f"/customers/{book['east1'].pk}/service-tickets",
            {"kind": "complaint", "subject": "营销"},
        ),
        client.post(f"{path}/respond", {"kind": "call", "summary": "x"}),
        client.post(f"{path}/resolve", {"resolution": "x"}),
        client.post(f"{path}/reopen", {"reason": "x"}),
        client.post(f"{path}/assign", {"assignee_id": users["service"].pk}),
    ]

    for response in writes:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"
    assert _state() == before
    assert client.get(path).status_code == 200
    assert _ids(client.get("/service-tickets")) == [ticket["id"]]
    assert _ids(client.get(f"/customers/{book['east1'].pk}/service-tickets")) == [ticket["id"]]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"/service-tickets/{HUGE}", None),
        ("post", f"/service-tickets/{HUGE}/respond", {"kind": "call", "summary": "x"}),
        ("post", f"/service-tickets/{HUGE}/resolve", {"resolution": "x"}),
        ("post", f"/service-tickets/{HUGE}/reopen", {"reason": "x"}),
        ("post", f"/service-tickets/{HUGE}/assign", {"assignee_id": 1}),
        ("get", f"/customers/{HUGE}/service-tickets", None),
        ("post", f"/customers/{HUGE}/service-tickets", {"kind": "complaint", "subject": "x"}),
    ],
)
def test_ids_beyond_64_bits_are_404(
    method: str, path: str, body: Any, book: dict[str, Customer], api: Api
) -> None:
    client = api("admin")
    response = client.get(path) if method == "get" else client.post(path, body)
    assert response.status_code == 404, response.content


# --- bad input: 422 on the field, nothing written -----------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "长" * 201}, "subject"),
        ({"subject": None}, "subject"),
        ({"detail": "长" * 4001}, "detail"),
        ({"kind": "praise"}, "kind"),
        ({"kind": 5}, "kind"),
        ({"opened_at": "2026-13-01"}, "opened_at"),
        ({"opened_at": "2026-06-16 09:00"}, "opened_at"),  # tomorrow
        ({"assignee_id": "abc"}, "assignee_id"),
        ({"assignee_id": 0}, "assignee_id"),
        ({"assignee_id": HUGE}, "assignee_id"),
        ({"colour": "red"}, "colour"),  # unknown fields are refused, never dropped
    ],
)
def test_bad_input_when_opening_is_422_on_its_field(
    body: dict[str, Any], field: str, book: dict[str, Customer], api: Api
) -> None:
    client = api("rep_east1")
    before = _state()

    response = client.post(
        f"/customers/{book['east1'].pk}/service-tickets",
        {"kind": "complaint", "subject": "配送延误", **body},
    )

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["fields"], response.json()
    assert _state() == before


@pytest.mark.parametrize(
    ("action", "body", "fields"),
    [
        ("respond", {"kind": "fax", "summary": ""}, {"kind", "summary"}),
        (
            "respond",
            {"kind": "call", "summary": "x", "occurred_at": "2026-06-15 15:00"},
            {"occurred_at"},
        ),  # before the ticket
        (
            "respond",
            {"kind": "call", "summary": "x", "occurred_at": "2026-06-16 15:00"},
            {"occurred_at"},
        ),  # in the future
        ("respond", {"kind": "call", "summary": "x", "mood": "calm"}, {"mood"}),
        ("resolve", {"resolution": "  "}, {"resolution"}),
        ("resolve", {}, {"resolution"}),
        ("resolve", {"resolution": "长" * 4001}, {"resolution"}),
        ("reopen", {"reason": ""}, {"reason"}),
        ("reopen", {"reason": "长" * 501}, {"reason"}),
        ("assign", {}, {"assignee_id"}),
        ("assign", {"assignee_id": "abc"}, {"assignee_id"}),
        ("assign", {"assignee_id": None}, {"assignee_id"}),
        ("assign", {"assignee_id": "marketing"}, {"assignee_id"}),  # a user who works no tickets
    ],
)
def test_bad_input_on_a_ticket_is_422_on_its_fields(
    action: str,
    body: dict[str, Any],
    fields: set[str],
    users: dict[str, User],
    book: dict[str, Customer],
    api: Api,
) -> None:
    ticket = _open(api("rep_east1"), book["east1"], opened_at="2026-06-15 16:00")
    if body.get("assignee_id") == "marketing":
        body = {"assignee_id": users["marketing"].pk}
    client = api("service")
    before = _state()

    response = client.post(f"/service-tickets/{ticket['id']}/{action}", body)

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert fields <= set(response.json()["fields"]), response.json()
    assert _state() == before


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"view": "bogus"}, "view"),
        ({"view": ""}, "view"),
        ({"mine": "maybe"}, "mine"),
        ({"limit": 0}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "x" * 401}, "cursor"),
    ],
)
def test_bad_queue_parameters_are_422_on_their_name(
    params: dict[str, Any], field: str, book: dict[str, Customer], api: Api
) -> None:
    response = api("service").get("/service-tickets", params)

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["fields"]


def test_a_cursor_of_another_view_or_list_is_refused(
    book: dict[str, Customer], users: dict[str, User], api: Api
) -> None:
    for _ in range(3):
        ticket_open(
            actor=users["rep_east1"],
            customer_id=book["east1"].pk,
            data={"kind": "enquiry", "subject": "问"},
        )
    client = api("rep_east1")
    active = client.get("/service-tickets", {"limit": 1}).json()["next"]
    mine = client.get(f"/customers/{book['east1'].pk}/service-tickets", {"limit": 1}).json()

    assert client.get("/service-tickets", {"view": "all", "cursor": active}).status_code == 422
    assert client.get("/service-tickets", {"cursor": mine["next"]}).status_code == 422
    path = f"/customers/{book['east1'].pk}/interactions"
    assert client.get(path, {"cursor": mine["next"]}).status_code == 422


@pytest.mark.parametrize(
    "key",
    [
        None,
        [],
        [True, None],
        [1, None, "2026-06-15T10:00:00+00:00"],  # priority is a bool
        [True, "2026-06-15T10:00:00", "2026-06-15T10:00:00+00:00"],  # naive
        [True, None, None],  # the reception time is never empty
        [True, None, "2026-06-15T10:00:00+00:00", 4],
        "2026-06-15T10:00:00+00:00",
    ],
)
def test_forged_queue_cursors_are_422(key: Any, book: dict[str, Customer], api: Api) -> None:
    raw = json.dumps({"s": "service_tickets:active", "k": key, "id": 1}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")

    response = api("service").get("/service-tickets", {"cursor": cursor})

    assert response.status_code == 422, response.content
    assert "cursor" in response.json()["fields"]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.dictionaries(
        st.sampled_from(sorted(OPEN_KEYS | {"colour"})),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(min_value=-(10**20), max_value=10**20),
            st.text(max_size=60),
            st.sampled_from(["complaint", "2026-06-15 09:00", "2026年6月15日", "1", "²"]),
        ),
        max_size=5,
    )
)
def test_arbitrary_bodies_never_crash_opening(
    body: dict[str, Any], book: dict[str, Customer], api: Api
) -> None:
    response = api("service").post(f"/customers/{book['east1'].pk}/service-tickets", body)

    assert response.status_code in {201, 422}, response.content
    assert set(response.json()) <= {"code", "message", "fields"} or response.status_code == 201


# --- the queue ---------------------------------------------------------------------------------


def test_the_queue_puts_priority_first_then_the_earliest_due_then_no_promise(
    make_customer: Callable[..., Customer], api: Api
) -> None:
    client = api("rep_east1")
    basic = _open(client, _customer(make_customer, None, "甲"))
    standard = _open(client, _customer(make_customer, "standard", "乙"))  # due +48h
    premium = _open(client, _customer(make_customer, "premium", "丙"))  # +24h, priority
    vip = _open(client, _customer(make_customer, "vip", "丁"), opened_at="2026-06-15 17:00")
    later_vip = _open(client, _customer(make_customer, "vip", "戊"))  # +4h from now
    expected = [t["id"] for t in (vip, later_vip, premium, standard, basic)]

    assert _ids(client.get("/service-tickets")) == expected
    assert _walk(client, "/service-tickets", limit=2) == expected

    client.post(f"/service-tickets/{vip['id']}/resolve", {"resolution": "已处理"})
    assert _ids(client.get("/service-tickets")) == expected[1:]
    assert _ids(client.get("/service-tickets", {"view": "resolved"})) == [vip["id"]]


def test_every_view_pages_in_the_selector_s_order(
    users: dict[str, User], make_customer: Callable[..., Customer], api: Api
) -> None:
    """Ties on every key (same tier, same reception time) and each kind of ticket, paged one
    and two at a time: the pages join up to the selector's whole list, on every view."""
    rep = users["rep_east1"]
    made: list[int] = []
    for i, tier in enumerate(["vip", "vip", "premium", "standard", None, None, "standard"]):
        customer = _customer(make_customer, tier, f"客户{i}")
        for opened in ("2026-06-15 12:00", "2026-06-15 12:00", "2026-06-14 09:00"):
            data = {"kind": "complaint", "subject": "问题", "opened_at": opened}
            made.append(ticket_open(actor=rep, customer_id=customer.pk, data=data).pk)
    for n, pk in enumerate(made[::4]):
        with time_machine.travel(NOW + (n % 2) * HOUR, tick=False):
            ticket_resolve(actor=rep, ticket_id=pk, resolution="好")
    client = api("rep_east1")

    for view in QueueView:
        expected = [t.pk for t in ticket_queue(viewer=rep, view=view, now=NOW)]
        assert expected, view
        for limit in (1, 2):
            assert _walk(client, "/service-tickets", view=view, limit=limit) == expected, view

    customer = Customer.objects.get(name="客户0")
    expected = [t.pk for t in customer_tickets(viewer=rep, customer_id=customer.pk)]
    assert len(expected) == 3
    assert _walk(client, f"/customers/{customer.pk}/service-tickets", limit=1) == expected


def test_the_customer_list_shows_unresolved_tickets_first(
    book: dict[str, Customer], api: Api
) -> None:
    client = api("rep_east1")
    first = _open(client, book["east1"], subject="一", opened_at="2026-06-15 16:00")
    second = _open(client, book["east1"], subject="二", opened_at="2026-06-15 17:00")
    client.post(f"/service-tickets/{second['id']}/resolve", {"resolution": "好"})
    third = _open(client, book["east1"], subject="三")
    path = f"/customers/{book['east1'].pk}/service-tickets"

    expected = [third["id"], first["id"], second["id"]]
    assert _ids(client.get(path)) == expected
    assert _walk(client, path, limit=1) == expected


def test_mine_keeps_the_tickets_assigned_to_the_caller(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    client = api("service")
    own = _open(client, book["east1"], assignee_id=users["service"].pk)
    rep_s = _open(client, book["east2"])  # goes to the account manager

    assert _ids(client.get("/service-tickets", {"mine": "true"})) == [own["id"]]
    assert set(_ids(client.get("/service-tickets", {"mine": "false"}))) == {own["id"], rep_s["id"]}
    assert _ids(api("rep_east2").get("/service-tickets", {"mine": True})) == [rep_s["id"]]


def test_the_queue_reads_in_the_same_queries_for_3_and_12_tickets(
    users: dict[str, User], api: Api, django_assert_max_num_queries: Any
) -> None:
    client = api("service")
    client.get("/me")  # the token's first use is not what is measured
    owners = [users["rep_east1"], users["rep_east2"], users["rep_south"]]
    counts = []
    for n in (3, 12):
        for i in range(n - ServiceTicket.objects.count()):
            owner = owners[i % 3]
            (customer,) = customers(owner, 1, prefix=f"客户{n}-{i}-")
            member(customer, ["vip", "standard", "basic"][i % 3])
            ticket_open(
                actor=owner, customer_id=customer.pk, data={"kind": "enquiry", "subject": "问"}
            )
        for params in ({"limit": 50}, {"view": "all", "limit": 50}):
            with django_assert_max_num_queries(4) as captured:
                response = client.get("/service-tickets", params)
            assert len(_ids(response)) == n
            counts.append(len(captured.captured_queries))
    assert counts[:2] == counts[2:]


def test_the_figures(make_customer: Callable[..., Customer], api: Api) -> None:
    client = api("rep_east1")
    assert client.get("/service-tickets/figures").json() == {
        "active": 0,
        "open": 0,
        "overdue": 0,
        "priority_open": 0,
        "answered_30d": 0,
        "on_time_30d": 0,
        "on_time_percent": None,
    }
    vip = _open(client, _customer(make_customer, "vip", "丁"))
    standard = _open(client, _customer(make_customer, "standard", "乙"))
    _open(client, _customer(make_customer, None, "甲"))

    with time_machine.travel(NOW + 5 * HOUR, tick=False):
        late = client.get("/service-tickets/figures").json()
        for ticket in (vip, standard):
            client.post(
                f"/service-tickets/{ticket['id']}/respond", {"kind": "call", "summary": "回复"}
            )
        after = client.get("/service-tickets/figures").json()

    assert (late["active"], late["open"], late["overdue"], late["priority_open"]) == (3, 3, 1, 1)
    assert after == {
        "active": 3,
        "open": 1,
        "overdue": 0,
        "priority_open": 0,
        "answered_30d": 2,
        "on_time_30d": 1,
        "on_time_percent": 50,
    }
    assert api("rep_south").get("/service-tickets/figures").json()["active"] == 0


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("service_tickets:all", "0001-01-01T00:00:00+08:00"),  # year 0 in UTC: no database has it
        ("service_tickets:active", ["open", True, None, "0001-01-01T00:00:00+08:00"]),
        ("service_tickets:active", ["open", True, "9999-12-31T23:59:00-08:00", None]),
    ],
)
def test_cursors_past_the_storable_years_are_422(
    name: str, key: Any, book: dict[str, Customer], api: Api
) -> None:
    raw = json.dumps({"s": name, "k": key, "id": 1}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    view = name.split(":")[1]

    response = api("service").get("/service-tickets", {"cursor": cursor, "view": view})

    assert response.status_code == 422, response.content
    assert "cursor" in response.json()["fields"]


def test_notify_customer_queues_the_acknowledgement_and_a_bad_value_writes_nothing(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    from tiercard.outbox.models import MessageKind, OutboxMessage

    client = api("rep_east1")
    made = _open(client, book["east1"], notify_customer=True)
    plain = _open(client, book["east1"])
    before = _state()

    refused = client.post(
        f"/customers/{book['east1'].pk}/service-tickets",
        {"kind": "complaint", "subject": "x", "notify_customer": "maybe"},
    )

    queued = OutboxMessage.objects.get(kind=MessageKind.TICKET_RECEIVED)
    assert queued.key == f"ticket_received:{made['id']}" and plain["id"] != made["id"]
    assert refused.status_code == 422 and "notify_customer" in refused.json()["fields"]
    assert _state() == before and OutboxMessage.objects.count() == 1
