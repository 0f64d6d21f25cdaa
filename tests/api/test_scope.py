"""Row-level scope through the API: list == detail, and out-of-scope ids are 404 for every door.

A record outside the caller's scope must look exactly like one that does not exist, and a
refused write must leave no trace: row, tags, contact points, audit log, purchases and
interactions are compared before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import ApiClient, snapshot
from tiercard.accounts.models import User
from tiercard.customers.contact_persons import contact_add
from tiercard.customers.models import Customer
from tiercard.loyalty.services.checkout import purchase_record

pytestmark = pytest.mark.django_db

ROLES = [
    "admin",
    "mgr_east",
    "mgr_south",
    "rep_east1",
    "rep_east2",
    "rep_south",
    "service",
    "marketing",
]
ALL = {"east1", "east2", "south", "mgr_east", "admin"}
EXPECTED = {
    "admin": ALL,
    "service": ALL,
    "marketing": ALL,
    "mgr_east": {"east1", "east2", "mgr_east"},
    "mgr_south": {"south"},
    "rep_east1": {"east1"},
    "rep_east2": {"east2"},
    "rep_south": {"south"},
}


@pytest.fixture
def cards(book: dict[str, Customer], make_customer: Callable[..., Customer]) -> dict[str, Customer]:
    return {
        **book,
        "mgr_east": make_customer("mgr_east", name="赵六", phones="13600000001"),
        "admin": make_customer("admin", name="孙七", kind="company"),
    }


def _listed_ids(client: ApiClient) -> set[int]:
    response = client.get("/customers", {"status": "all", "limit": 200})
    assert response.status_code == 200
    assert response.json()["next"] is None
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize("role", ROLES)
def test_list_equals_detail_equals_expected_scope(
    role: str, cards: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    client = api(role)
    by_id = {c.pk: key for key, c in cards.items()}

    listed = _listed_ids(client)
    detail_ok = {pk for pk in by_id if client.get(f"/customers/{pk}").status_code == 200}

    assert listed == detail_ok
    assert {by_id[pk] for pk in listed} == EXPECTED[role]


@pytest.mark.parametrize("role", ROLES)
def test_search_respects_scope(
    role: str, cards: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    client = api(role)
    # 李四 by name, by pinyin initials and by phone tail (13912345679).
    for q in ("李四", "ls", "5679"):
        found = {i["id"] for i in client.get("/customers", {"q": q}).json()["items"]}
        assert found == ({cards["east2"].pk} if "east2" in EXPECTED[role] else set()), q


def _doors(pk: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("get", f"/customers/{pk}", None),
        ("patch", f"/customers/{pk}", {"name": "改名", "notes": "x"}),
        ("post", f"/customers/{pk}/archive", {"reason": "probe"}),
        ("post", f"/customers/{pk}/restore", None),
        ("post", f"/customers/{pk}/reveal", None),
        (
            "post",
            f"/customers/{pk}/purchases",
            {"lines": [{"item_name": "茶叶", "unit_price": "100"}], "external_ref": f"X{pk}"},
        ),
        ("post", f"/customers/{pk}/interactions", {"kind": "call", "summary": "试探"}),
        ("post", f"/customers/{pk}/contacts", {"name": "试探"}),
        ("get", f"/customers/{pk}/purchases", None),
        ("get", f"/customers/{pk}/interactions", None),
        ("get", f"/customers/{pk}/contacts", None),
        ("get", f"/customers/{pk}/timeline", None),
    ]


def _call(client: ApiClient, method: str, path: str, body: dict[str, Any] | None) -> Any:
    if method == "get":
        return client.get(path)
    if method == "patch":
        return client.patch(path, body or {})
    return client.post(path, body)


@pytest.mark.parametrize("role", ROLES)
def test_out_of_scope_ids_are_404_and_change_nothing(
    role: str, cards: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    client = api(role)
    hidden = [c for key, c in cards.items() if key not in EXPECTED[role]]
    missing = Customer.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    for customer in [*hidden, None]:
        pk = customer.pk if customer else missing
        before = snapshot(customer.pk) if customer else None
        for method, path, body in _doors(pk):
            response = _call(client, method, path, body)
            assert response.status_code == 404, (role, method, path, response.content)
            assert response.json() == {"code": "not_found", "message": "未找到。"}
        if customer is not None:
            assert snapshot(customer.pk) == before, (role, customer.name)


def test_out_of_scope_purchase_and_contact_ids_are_404(
    cards: dict[str, Customer], users: dict[str, User], api: Callable[..., ApiClient]
) -> None:
    south = cards["south"]
    purchase = purchase_record(
        actor=users["rep_south"],
        customer_id=south.pk,
        data={"lines": [{"item_name": "茶叶", "unit_price": "88"}]},
    ).purchase
    contact = contact_add(actor=users["rep_south"], customer_id=south.pk, data={"name": "钱八"})
    client = api("rep_east1")  # issuing its token is audited: snapshot after
    before = snapshot(south.pk)

    assert client.get(f"/purchases/{purchase.pk}").status_code == 404
    assert client.patch(f"/contacts/{contact.pk}", {"name": "改"}).status_code == 404
    assert client.delete(f"/contacts/{contact.pk}").status_code == 404

    assert snapshot(south.pk) == before
    assert api("rep_south").get(f"/purchases/{purchase.pk}").status_code == 200


@pytest.mark.parametrize("role", ["service", "marketing"])
def test_roles_that_may_not_update_get_403_and_change_nothing(
    role: str, cards: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    client = api(role)
    customer = cards["east1"]
    before = snapshot(customer.pk)

    for method, path, body in [
        ("patch", f"/customers/{customer.pk}", {"name": "改名"}),
        ("post", f"/customers/{customer.pk}/archive", None),
        ("post", f"/customers/{customer.pk}/contacts", {"name": "新人"}),
        ("post", "/customers", {"name": "新客户"}),
    ]:
        response = _call(client, method, path, body)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "permission_denied"

    assert snapshot(customer.pk) == before
    assert Customer.objects.filter(name="新客户").count() == 0


@pytest.mark.parametrize("role", ["rep_east1", "mgr_east", "admin"])
def test_roles_that_may_update_can(
    role: str, cards: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = cards["east1"]

    response = api(role).patch(f"/customers/{customer.pk}", {"notes": f"by {role}"})

    assert response.status_code == 200
    assert response.json()["notes"] == f"by {role}"
    assert Customer.objects.get(pk=customer.pk).notes == f"by {role}"


def test_sales_may_not_archive(cards: dict[str, Customer], api: Callable[..., ApiClient]) -> None:
    customer = cards["east1"]
    client = api("rep_east1")
    before = snapshot(customer.pk)

    response = client.post(f"/customers/{customer.pk}/archive")

    assert response.status_code == 403
    assert snapshot(customer.pk) == before
