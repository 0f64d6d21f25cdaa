"""Tier override requests through the API: asked by one person, approved by another (四眼原则);
scope and roles; lists, their order, paging and queries; every refused write leaves nothing."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from tests.api.conftest import ApiClient
from tests.loyalty.tiers_support import customers
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.loyalty.models import (
    ChangeReason,
    Membership,
    OverrideRequest,
    TierChange,
)
from tiercard.loyalty.selectors.override_requests import (
    customer_requests,
    decided_requests,
    waiting_requests,
)
from tiercard.loyalty.services.override_requests import (
    override_approve,
    override_reject,
    override_request,
    override_withdraw,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)  # 18:00 in business time (+08)
HOUR = dt.timedelta(hours=1)
UNTIL = "2026-09-30"
HUGE = 10**20

Api = Callable[..., ApiClient]


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _state() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int, int]:
    """Everything a refused write must leave unchanged."""
    return (
        list(OverrideRequest.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        TierChange.objects.count(),
        AuditEvent.objects.count(),
    )


def _ask(client: ApiClient, customer: Customer, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"/customers/{customer.pk}/tier/override-requests",
        {"tier": "vip", "reason": "年度战略客户", "until": UNTIL} | body,
    )
    assert response.status_code == 201, response.content
    return response.json()  # type: ignore[no-any-return]


def _asked(user: User, customer: Customer, tier: str = "vip") -> OverrideRequest:
    return override_request(
        actor=user,
        customer_id=customer.pk,
        tier_code=tier,
        reason="年度战略客户",
        until=dt.date(2026, 9, 30),
    )


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["items"]]


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


def _cursor(name: str, key: Any, pk: Any = 1) -> str:
    raw = json.dumps({"s": name, "k": key, "id": pk}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _ref(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": user.username}


# --- asked, then approved ----------------------------------------------------------------------


def test_a_rep_asks_the_manager_approves_and_the_tier_shows_the_override(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    rep, manager = api("rep_east1"), api("mgr_east")
    customer = book["east1"]
    audits = AuditEvent.objects.count()

    asked = _ask(rep, customer)

    assert asked == {
        "id": asked["id"],
        "customer_id": customer.pk,
        "customer_name": "张三",
        "tier": "vip",
        "tier_name": "VIP级",
        "until": UNTIL,
        "reason": "年度战略客户",
        "status": "pending",
        "requested_by": _ref(users["rep_east1"]),
        "requested_at": "2026-06-15T18:00:00+08:00",
        "decided_by": None,
        "decided_at": None,
        "note": "",
    }
    assert AuditEvent.objects.count() == audits + 1
    assert Membership.objects.filter(customer=customer, lock_until__isnull=False).count() == 0
    assert manager.get("/override-requests").json() == {"items": [asked], "next": None}
    assert rep.get(f"/customers/{customer.pk}/tier/override-requests").json() == {
        "items": [asked],
        "next": None,
    }
    assert rep.get(f"/override-requests/{asked['id']}").json() == asked

    with time_machine.travel(NOW + HOUR, tick=False):
        response = manager.post(f"/override-requests/{asked['id']}/approve", {"note": "同意"})

    assert response.status_code == 200, response.content
    approved = response.json()
    assert approved == asked | {
        "status": "approved",
        "decided_by": _ref(users["mgr_east"]),
        "decided_at": "2026-06-15T19:00:00+08:00",
        "note": "同意",
    }
    tier = rep.get(f"/customers/{customer.pk}/tier").json()
    assert tier["tier"]["code"] == "vip"
    assert tier["lock"] == {
        "until": UNTIL,
        "reason": "年度战略客户",
        "by": "rep_east1",
        "approved_by": "mgr_east",
    }
    change = TierChange.objects.get(customer=customer)
    assert (change.to_tier, change.reason, change.actor) == (
        "vip",
        ChangeReason.MANUAL,
        users["mgr_east"],
    )
    assert manager.get("/override-requests").json() == {"items": [], "next": None}
    assert manager.get("/override-requests", {"status": "decided"}).json() == {
        "items": [approved],
        "next": None,
    }
    assert rep.get(f"/override-requests/{asked['id']}").json() == approved


def test_the_tier_name_follows_the_request_language(book: dict[str, Customer], api: Api) -> None:
    asked = _ask(api("rep_east1"), book["east1"], tier="premium")
    english = api("rep_east1", lang="en")

    assert asked["tier_name"] == "高级"
    assert english.get(f"/override-requests/{asked['id']}").json()["tier_name"] == "Premium"


def test_a_rejected_request_keeps_the_tier_and_a_withdrawn_one_lets_a_new_one_follow(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    rep, manager = api("rep_east1"), api("mgr_east")
    customer = book["east1"]
    first = _ask(rep, customer)

    with time_machine.travel(NOW + HOUR, tick=False):
        rejected = manager.post(f"/override-requests/{first['id']}/reject", {"note": "消费不足"})
    second = _ask(rep, customer, tier="premium")
    withdrawn = rep.post(f"/override-requests/{second['id']}/withdraw")
    third = _ask(rep, customer, tier="standard")

    assert rejected.status_code == 200, rejected.content
    assert (rejected.json()["status"], rejected.json()["note"]) == ("rejected", "消费不足")
    assert rejected.json()["decided_by"] == _ref(users["mgr_east"])
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["decided_by"] == _ref(users["rep_east1"])
    assert Membership.objects.filter(customer=customer, lock_until__isnull=False).count() == 0
    assert TierChange.objects.count() == 0
    path = f"/customers/{customer.pk}/tier/override-requests"
    assert _ids(rep.get(path)) == [third["id"], second["id"], first["id"]]
    assert _ids(manager.get("/override-requests")) == [third["id"]]


# --- refusals: nothing written -----------------------------------------------------------------


def test_nobody_approves_or_rejects_their_own_request(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    manager, admin = api("mgr_east"), api("admin")
    asked = _ask(manager, book["east1"])
    path = f"/override-requests/{asked['id']}"
    before = _state()

    approved = manager.post(f"{path}/approve", {"note": "自己批"})
    rejected = manager.post(f"{path}/reject", {"note": "不行"})

    for response in (approved, rejected):
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "own_request"
    assert _state() == before

    assert admin.post(f"{path}/approve").status_code == 200
    row = Membership.objects.get(customer=book["east1"])
    assert (row.override_by, row.override_approved_by) == (users["mgr_east"], users["admin"])


@pytest.mark.parametrize("who", ["marketing", "service"])
def test_roles_that_may_not_update_customers_may_not_ask(
    who: str, book: dict[str, Customer], api: Api
) -> None:
    client = api(who)
    before = _state()

    response = client.post(
        f"/customers/{book['east1'].pk}/tier/override-requests",
        {"tier": "vip", "reason": "营销活动", "until": UNTIL},
    )

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "override_not_allowed"
    assert _state() == before


@pytest.mark.parametrize("who", ["marketing", "service", "rep_east1", "rep_east2"])
def test_only_managers_and_administrators_decide_though_others_may_read(
    who: str, users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    asked = _asked(users["mgr_east"], book["east1"])
    client = api(who)
    path = f"/override-requests/{asked.pk}"
    before = _state()

    responses = [
        client.post(f"{path}/approve"),
        client.post(f"{path}/reject", {"note": "不同意"}),
    ]

    for response in responses:
        if who == "rep_east2":  # not their customer: not even there
            assert response.status_code == 404, response.content
        else:
            assert response.status_code == 403, response.content
            assert response.json()["code"] == "override_not_allowed"
    assert _state() == before
    expected = 404 if who == "rep_east2" else 200
    assert client.get(path).status_code == expected


def test_only_the_one_who_asked_withdraws(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    asked = _asked(users["rep_east1"], book["east1"])
    manager, admin = api("mgr_east"), api("admin")
    path = f"/override-requests/{asked.pk}/withdraw"
    before = _state()

    for response in (manager.post(path), admin.post(path)):
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "not_your_request"
    assert _state() == before


def test_a_decided_request_is_final(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    asked = _asked(users["rep_east1"], book["east1"])
    override_reject(actor=users["mgr_east"], request_id=asked.pk, note="消费不足")
    manager, admin, rep = api("mgr_east"), api("admin"), api("rep_east1")
    path = f"/override-requests/{asked.pk}"
    before = _state()

    responses = [
        admin.post(f"{path}/approve"),
        manager.post(f"{path}/reject", {"note": "再次拒绝"}),
        rep.post(f"{path}/withdraw"),
    ]

    for response in responses:
        assert response.status_code == 409, response.content
        assert response.json()["code"] == "override_decided"
    assert _state() == before


def test_one_request_waits_per_customer(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    _asked(users["rep_east1"], book["east1"])
    client = api("mgr_east")
    before = _state()

    response = client.post(
        f"/customers/{book['east1'].pk}/tier/override-requests",
        {"tier": "premium", "reason": "另一个申请", "until": UNTIL},
    )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "override_pending"
    assert _state() == before


def test_a_request_nobody_else_may_approve_is_refused(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    users["mgr_south"].is_active = False
    users["mgr_south"].save()
    client = api("admin")
    before = _state()

    response = client.post(
        f"/customers/{book['south'].pk}/tier/override-requests",
        {"tier": "vip", "reason": "战略客户", "until": UNTIL},
    )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "no_approver"
    assert _state() == before


def test_a_request_of_someone_gone_is_not_approved(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    asked = _asked(users["rep_east1"], book["east1"])
    users["rep_east1"].is_active = False
    users["rep_east1"].save()
    client = api("mgr_east")
    before = _state()

    response = client.post(f"/override-requests/{asked.pk}/approve")

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "requester_inactive"
    assert _state() == before
    rejected = client.post(f"/override-requests/{asked.pk}/reject", {"note": "申请人已离职"})
    assert rejected.status_code == 200, rejected.content


def test_an_end_date_passed_while_waiting_is_refused_at_approval(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    asked = _ask(api("rep_east1"), book["east1"], until="2026-06-17")
    client = api("mgr_east")
    before = _state()

    with time_machine.travel(NOW + 72 * HOUR, tick=False):
        response = client.post(f"/override-requests/{asked['id']}/approve")

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "override_expired"
    assert _state() == before


# --- scope -------------------------------------------------------------------------------------


def test_outside_the_scope_everything_is_not_found_and_nothing_is_written(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    asked = _asked(users["rep_east1"], book["east1"])
    clients = [api("rep_south"), api("mgr_south"), api("rep_east2")]
    path = f"/override-requests/{asked.pk}"
    before = _state()

    for client in clients:
        responses = [
            client.get(f"/customers/{book['east1'].pk}/tier/override-requests"),
            client.post(
                f"/customers/{book['east1'].pk}/tier/override-requests",
                {"tier": "vip", "reason": "越权", "until": UNTIL},
            ),
            client.get(path),
            client.post(f"{path}/approve"),
            client.post(f"{path}/reject", {"note": "越权"}),
            client.post(f"{path}/withdraw"),
        ]
        for response in responses:
            assert response.status_code == 404, response.content
            assert response.json()["code"] == "not_found"
        assert _ids(client.get("/override-requests")) == []
    assert _state() == before


def test_the_pending_list_holds_the_requests_on_the_viewer_s_customers(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    east1 = _asked(users["rep_east1"], book["east1"])
    with time_machine.travel(NOW + HOUR, tick=False):
        east2 = _asked(users["rep_east2"], book["east2"])
        south = _asked(users["rep_south"], book["south"])

    assert _ids(api("mgr_east").get("/override-requests")) == [east1.pk, east2.pk]
    assert _ids(api("mgr_south").get("/override-requests")) == [south.pk]
    assert _ids(api("rep_east1").get("/override-requests")) == [east1.pk]
    assert _ids(api("admin").get("/override-requests")) == [east1.pk, east2.pk, south.pk]
    assert _ids(api("marketing").get("/override-requests")) == [east1.pk, east2.pk, south.pk]
    assert _ids(api("mgr_south").get("/override-requests", {"status": "decided"})) == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"/override-requests/{HUGE}", None),
        ("post", f"/override-requests/{HUGE}/approve", {}),
        ("post", f"/override-requests/{HUGE}/reject", {"note": "x"}),
        ("post", f"/override-requests/{HUGE}/withdraw", {}),
        ("get", f"/customers/{HUGE}/tier/override-requests", None),
        (
            "post",
            f"/customers/{HUGE}/tier/override-requests",
            {"tier": "vip", "reason": "x", "until": UNTIL},
        ),
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
    ("body", "field", "code"),
    [
        ({"tier": "gold"}, "tier", "unknown_tier"),
        ({"tier": "x" * 33}, "tier", "validation_error"),
        ({"tier": None}, "tier", "validation_error"),
        ({"reason": "  "}, "reason", "reason_required"),
        ({"reason": "长" * 201}, "reason", "reason_too_long"),
        ({"reason": "长" * 401}, "reason", "validation_error"),
        ({"until": "2026-06-15"}, "until", "until_not_future"),  # today
        ({"until": "2029-06-16"}, "until", "until_too_far"),
        ({"until": "next year"}, "until", "validation_error"),
        ({"until": None}, "until", "validation_error"),
        ({"approver_id": 1}, "approver_id", "validation_error"),  # not chosen by the asker
    ],
)
def test_bad_input_when_asking_is_422_on_its_field(
    body: dict[str, Any], field: str, code: str, book: dict[str, Customer], api: Api
) -> None:
    client = api("rep_east1")
    before = _state()

    response = client.post(
        f"/customers/{book['east1'].pk}/tier/override-requests",
        {"tier": "vip", "reason": "年度战略客户", "until": UNTIL} | body,
    )

    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert field in response.json()["fields"], response.json()
    assert _state() == before


@pytest.mark.parametrize("missing", ["tier", "reason", "until"])
def test_a_missing_field_is_422_on_its_name(
    missing: str, book: dict[str, Customer], api: Api
) -> None:
    client = api("rep_east1")
    body = {"tier": "vip", "reason": "年度战略客户", "until": UNTIL}
    del body[missing]
    before = _state()

    response = client.post(f"/customers/{book['east1'].pk}/tier/override-requests", body)

    assert response.status_code == 422, response.content
    assert list(response.json()["fields"]) == [missing]
    assert _state() == before


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("approve", {"note": "长" * 201}),
        ("approve", {"note": "长" * 401}),
        ("approve", {"note": 5}),
        ("reject", {}),
        ("reject", {"note": "  "}),
        ("reject", {"note": "长" * 201}),
        ("reject", {"note": None}),
    ],
)
def test_bad_notes_are_422_on_the_note(
    action: str, body: dict[str, Any], users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    asked = _asked(users["rep_east1"], book["east1"])
    client = api("mgr_east")
    before = _state()

    response = client.post(f"/override-requests/{asked.pk}/{action}", body)

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == ["note"]
    assert _state() == before


def test_unknown_fields_of_a_decision_are_refused(
    users: dict[str, User], book: dict[str, Customer], api: Api
) -> None:
    asked = _asked(users["rep_east1"], book["east1"])
    client = api("mgr_east")
    before = _state()

    response = client.post(f"/override-requests/{asked.pk}/approve", {"until": "2027-01-01"})

    assert response.status_code == 422, response.content
    assert "until" in response.json()["fields"]
    assert _state() == before


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "approved"}, "status"),
        ({"status": ""}, "status"),
        ({"status": "PENDING"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "x" * 401}, "cursor"),
    ],
)
def test_bad_list_parameters_are_422_on_their_name(
    params: dict[str, Any], field: str, book: dict[str, Customer], api: Api
) -> None:
    response = api("mgr_east").get("/override-requests", params)

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == [field]


@pytest.mark.parametrize(
    ("status", "key"),
    [
        ("pending", None),
        ("pending", []),
        ("pending", 5),
        ("pending", "yesterday"),
        ("pending", "2026-06-15T10:00:00"),  # naive
        ("pending", "0001-01-01T00:00:00+08:00"),  # year 0 in UTC: no database has it
        ("decided", None),
        ("decided", ["2026-06-15T10:00:00+00:00"]),
        ("decided", "9999-12-31T23:59:00-08:00"),
    ],
)
def test_forged_cursors_are_422(status: str, key: Any, book: dict[str, Customer], api: Api) -> None:
    cursor = _cursor(f"override_requests:{status}", key)

    response = api("mgr_east").get("/override-requests", {"status": status, "cursor": cursor})

    assert response.status_code == 422, response.content
    assert list(response.json()["fields"]) == ["cursor"]


@pytest.mark.parametrize("pk", [0, -1, True, "1", None, 2**63])
def test_cursors_with_a_forged_id_are_422(pk: Any, book: dict[str, Customer], api: Api) -> None:
    cursor = _cursor("override_requests:pending", "2026-06-15T10:00:00+00:00", pk)

    response = api("mgr_east").get("/override-requests", {"cursor": cursor})

    assert response.status_code == 422, response.content
    assert list(response.json()["fields"]) == ["cursor"]


def test_a_cursor_of_another_list_is_refused(
    users: dict[str, User], make_customer: Callable[..., Customer], api: Api
) -> None:
    customer = make_customer("rep_east1", name="甲")
    for _ in range(2):
        made = _asked(users["rep_east1"], customer)
        override_withdraw(actor=users["rep_east1"], request_id=made.pk)
    for i in range(2):
        _asked(users["rep_east1"], make_customer("rep_east1", name=f"乙{i}"))
    client = api("mgr_east")
    pending = client.get("/override-requests", {"limit": 1}).json()["next"]
    decided = client.get("/override-requests", {"status": "decided", "limit": 1}).json()["next"]
    own = client.get(f"/customers/{customer.pk}/tier/override-requests", {"limit": 1}).json()
    assert pending and decided and own["next"]

    for params in (
        {"status": "decided", "cursor": pending},
        {"status": "pending", "cursor": decided},
        {"cursor": own["next"]},
    ):
        assert client.get("/override-requests", params).status_code == 422, params
    path = f"/customers/{customer.pk}/service-tickets"
    assert client.get(path, {"cursor": own["next"]}).status_code == 422


# --- order, paging, queries --------------------------------------------------------------------


def test_every_list_pages_in_the_selector_s_order(
    users: dict[str, User], make_customer: Callable[..., Customer], api: Api
) -> None:
    """Ties on every key (same time asked, same time decided) and every status, paged one and
    two at a time: the pages join up to the selector's whole list."""
    mgr = users["mgr_east"]
    reps = [users["rep_east1"], users["rep_east2"]]
    book = [make_customer(r.username, name=f"客户{i}") for i, r in enumerate(reps * 4)]
    # Asked at 18:00 (three at once), at 17:00 (two at once), and at 19:00.
    times = [NOW, NOW, NOW - HOUR, NOW + HOUR, NOW - HOUR, NOW, NOW + HOUR, NOW - 2 * HOUR]
    made = []
    for customer, rep, at in zip(book, reps * 4, times, strict=True):
        with time_machine.travel(at, tick=False):
            made.append(_asked(rep, customer))
    with time_machine.travel(NOW + 2 * HOUR, tick=False):
        override_approve(actor=mgr, request_id=made[0].pk)
        override_reject(actor=mgr, request_id=made[1].pk, note="不")
        override_withdraw(actor=reps[0], request_id=made[2].pk)
    with time_machine.travel(NOW + 3 * HOUR, tick=False):
        override_reject(actor=users["admin"], request_id=made[3].pk, note="不")
    # One customer with a request of each status.
    again = book[1]
    for _ in range(2):
        override_withdraw(actor=reps[1], request_id=_asked(reps[1], again).pk)
    latest = _asked(reps[1], again)
    client = api("mgr_east")

    expected = {
        "pending": [r.pk for r in waiting_requests(viewer=mgr)],
        "decided": [r.pk for r in decided_requests(viewer=mgr)],
    }
    assert len(expected["pending"]) == 5 and len(expected["decided"]) == 6
    assert expected["pending"][:2] == [made[7].pk, made[4].pk]  # oldest first, ties by id
    assert expected["decided"][:2] == [made[3].pk, made[2].pk]  # latest decision first
    for status, ids in expected.items():
        assert _ids(client.get("/override-requests", {"status": status})) == ids
        for limit in (1, 2):
            assert _walk(client, "/override-requests", status=status, limit=limit) == ids

    path = f"/customers/{again.pk}/tier/override-requests"
    own = [r.pk for r in customer_requests(viewer=mgr, customer_id=again.pk)]
    assert own[0] == latest.pk and len(own) == 4
    assert _walk(client, path, limit=1) == own
    assert _ids(client.get(path)) == own


def test_the_lists_read_in_the_same_queries_for_3_and_12_requests(
    users: dict[str, User], api: Api, django_assert_max_num_queries: Any
) -> None:
    client = api("mgr_east")
    client.get("/me")  # the token's first use is not what is measured
    reps = [users["rep_east1"], users["rep_east2"]]
    (regular,) = customers(reps[0], 1, prefix="常客")
    path = f"/customers/{regular.pk}/tier/override-requests"
    counts = []
    have = 0
    for n in (3, 12):
        for i in range(have, n):  # per round: one waiting, one approved, one withdrawn
            rep = reps[i % 2]
            waiting, approved = customers(rep, 2, prefix=f"客户{i}-")
            _asked(rep, waiting, tier=["vip", "premium", "standard"][i % 3])
            override_approve(actor=users["mgr_east"], request_id=_asked(rep, approved).pk)
            override_withdraw(actor=reps[0], request_id=_asked(reps[0], regular).pk)
        have = n
        for params, expected in (({}, n), ({"status": "decided"}, 2 * n)):
            with django_assert_max_num_queries(4) as captured:
                response = client.get("/override-requests", {**params, "limit": 50})
            assert len(_ids(response)) == expected
            counts.append(len(captured.captured_queries))
        with django_assert_max_num_queries(4) as captured:
            response = client.get(path, {"limit": 50})
        assert len(_ids(response)) == n
        counts.append(len(captured.captured_queries))
    assert counts[:3] == counts[3:]
