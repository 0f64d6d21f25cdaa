"""Contact persons, interactions and the card timeline through the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from tests.api.conftest import ApiClient, snapshot
from tiercard.customers.models import Contact, Customer
from tiercard.interactions.models import Interaction

pytestmark = pytest.mark.django_db


def test_contact_person_lifecycle(book: dict[str, Customer], api: Callable[..., ApiClient]) -> None:
    customer = book["east1"]
    client = api("rep_east1")

    created = client.post(
        f"/customers/{customer.pk}/contacts",
        {"name": "钱八", "mobile": "+86 136 9876 5432", "is_primary": True},
    )
    contact_id = created.json()["id"]
    patched = client.patch(f"/contacts/{contact_id}", {"title": "采购经理"})
    listed = client.get(f"/customers/{customer.pk}/contacts")
    deleted = client.delete(f"/contacts/{contact_id}")

    assert created.status_code == 201, created.content
    assert created.json()["mobile"] == "13698765432"
    assert created.json()["is_primary"] is True
    assert patched.status_code == 200
    assert patched.json()["title"] == "采购经理"
    assert [c["id"] for c in listed.json()] == [contact_id]
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert not Contact.objects.exists()
    assert client.delete(f"/contacts/{contact_id}").status_code == 404


def test_contact_update_refused_for_service_role(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    contact_id = (
        api("rep_east1").post(f"/customers/{customer.pk}/contacts", {"name": "钱八"}).json()["id"]
    )
    client = api("service")
    before = snapshot(customer.pk)

    assert client.patch(f"/contacts/{contact_id}", {"name": "改"}).status_code == 403
    assert client.delete(f"/contacts/{contact_id}").status_code == 403
    assert snapshot(customer.pk) == before


def test_log_and_list_interactions(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("service")  # anyone who sees the card may log

    created = client.post(
        f"/customers/{customer.pk}/interactions",
        {
            "kind": "call",
            "summary": "回访：对新茶满意",
            "outcome": "positive",
            "next_step": "寄样品",
            "next_step_due": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
    )
    listed = client.get(f"/customers/{customer.pk}/interactions")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "call"
    assert body["actor"]["name"] == "service"
    assert [i["id"] for i in listed.json()["items"]] == [body["id"]]
    customer.refresh_from_db()
    assert customer.last_interaction_at is not None
    assert Interaction.objects.count() == 1


def test_interaction_in_the_future_is_refused(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    before = snapshot(customer.pk)

    response = client.post(
        f"/customers/{customer.pk}/interactions",
        {"kind": "visit", "summary": "拜访", "occurred_at": "2999-01-01T10:00:00+08:00"},
    )

    assert response.status_code == 422
    assert "occurred_at" in response.json()["fields"]
    assert snapshot(customer.pk) == before


def test_timeline_merges_kinds_and_filters(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    client.post(
        f"/customers/{customer.pk}/purchases",
        {
            "external_ref": "TL-1",
            "lines": [{"item_name": "茶", "unit_price": "66"}],
            "occurred_at": "2024-05-01T10:00:00+08:00",
        },
    )
    client.post(
        f"/customers/{customer.pk}/interactions",
        {"kind": "wechat", "summary": "发了新品", "occurred_at": "2024-05-02T10:00:00+08:00"},
    )

    everything = client.get(f"/customers/{customer.pk}/timeline").json()["items"]
    only = client.get(
        f"/customers/{customer.pk}/timeline", {"kinds": "purchase,interaction"}
    ).json()["items"]
    bad = client.get(f"/customers/{customer.pk}/timeline", {"kinds": "gossip"})

    # The 2024 purchase's points have expired since: the expiry is a points entry.
    assert {e["kind"] for e in everything} == {"purchase", "points", "interaction", "change"}
    assert [e["kind"] for e in only] == ["interaction", "purchase"]
    assert only[1]["details"]["total"] == "66.00"
    assert only[0]["title"] == "微信"
    assert only[0]["at"] == "2024-05-02T10:00:00+08:00"
    assert bad.status_code == 422
    assert "kinds" in bad.json()["fields"]


def test_timeline_pages_with_a_cursor(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    for day in range(1, 6):
        client.post(
            f"/customers/{customer.pk}/interactions",
            {"kind": "note", "summary": f"第{day}条", "occurred_at": f"2024-05-0{day}T09:00:00"},
        )

    first = client.get(
        f"/customers/{customer.pk}/timeline", {"kinds": "interaction", "limit": 2}
    ).json()
    second = client.get(
        f"/customers/{customer.pk}/timeline",
        {"kinds": "interaction", "limit": 2, "cursor": first["next"]},
    ).json()

    assert [e["details"]["summary"] for e in first["items"]] == ["第5条", "第4条"]
    assert [e["details"]["summary"] for e in second["items"]] == ["第3条", "第2条"]
    assert first["next"] is not None


def test_timeline_lists_service_tickets_with_their_state(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    opened = client.post(
        f"/customers/{customer.pk}/service-tickets",
        {"kind": "complaint", "subject": "送错颜色"},
    )
    assert opened.status_code == 201, opened.json()

    items = client.get(f"/customers/{customer.pk}/timeline", {"kinds": "ticket"}).json()["items"]

    assert [e["kind"] for e in items] == ["ticket"]
    assert items[0]["object_id"] == opened.json()["id"]
    assert items[0]["title"] == "投诉"
    assert items[0]["details"]["subject"] == "送错颜色"
    assert items[0]["details"]["status"] == "open"
