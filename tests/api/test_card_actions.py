"""The card's quick actions through the API: notes, owner, tags — scope, rights and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from tests.api.conftest import ApiClient, snapshot
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.cards.models import CardNote
from tiercard.cards.notes import note_add
from tiercard.customers.models import Customer

pytestmark = pytest.mark.django_db


def _notes(customer: Customer) -> list[tuple[int, str]]:
    return list(CardNote.objects.filter(customer=customer).order_by("id").values_list("id", "body"))


def _put(client: ApiClient, path: str, body: Any) -> Any:
    """PUT as JSON (the shared client has no ``put``)."""
    return client._send("put", path, body)


def _state(customer: Customer) -> dict[str, Any]:
    return {**snapshot(customer.pk), "notes": _notes(customer)}


# --- notes ---------------------------------------------------------------------------------------


def test_add_note_then_list_it(book: dict[str, Customer], api: Callable[..., ApiClient]) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    audits = AuditEvent.objects.count()

    created = client.post(f"/customers/{customer.pk}/notes", {"body": "  喜欢红茶，周末联系  "})
    listed = client.get(f"/customers/{customer.pk}/notes")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["body"] == "喜欢红茶，周末联系"
    assert body["author"]["name"] == "rep_east1"
    assert body["editable"] is True
    assert body["created_at"].endswith("+08:00")
    assert [n["id"] for n in listed.json()["items"]] == [body["id"]]
    assert listed.json()["next"] is None
    assert _notes(customer) == [(body["id"], "喜欢红茶，周末联系")]
    assert AuditEvent.objects.count() == audits + 1


def test_notes_page_by_cursor_newest_first_in_bounded_queries(
    book: dict[str, Customer],
    users: dict[str, User],
    api: Callable[..., ApiClient],
    django_assert_max_num_queries: Any,
) -> None:
    customer = book["east1"]
    authors = ["rep_east1", "mgr_east", "admin", "service", "rep_east1"]
    made = [
        note_add(actor=users[a], customer_id=customer.pk, body=f"note {i}").pk
        for i, a in enumerate(authors)
    ]
    client = api("mgr_east")
    client.get("/me")  # the token's first use is not what is measured

    with django_assert_max_num_queries(6):
        first = client.get(f"/customers/{customer.pk}/notes", {"limit": 3})
    second = client.get(
        f"/customers/{customer.pk}/notes", {"limit": 3, "cursor": first.json()["next"]}
    )

    assert first.status_code == 200, first.content
    ids = [n["id"] for n in first.json()["items"]] + [n["id"] for n in second.json()["items"]]
    assert ids == made[::-1]
    assert second.json()["next"] is None
    # Only the caller's own note (the second written, so the fourth listed) is editable.
    editable = [n["editable"] for page in (first, second) for n in page.json()["items"]]
    assert editable == [False, False, False, True, False]


def test_a_cursor_of_another_list_is_refused(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    for i in range(3):
        client.post(f"/customers/{customer.pk}/interactions", {"kind": "call", "summary": f"s{i}"})
    other = client.get(f"/customers/{customer.pk}/interactions", {"limit": 1}).json()["next"]

    response = client.get(
        f"/customers/{customer.pk}/notes", {"cursor": other}, **{"Accept-Language": "en"}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert "cursor" in response.json()["fields"]


def test_blank_or_long_note_is_refused_next_to_the_field(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1", lang="en")
    before = _state(customer)

    blank = client.post(f"/customers/{customer.pk}/notes", {"body": "   "})
    long = client.post(f"/customers/{customer.pk}/notes", {"body": "长" * 2001})
    missing = client.post(f"/customers/{customer.pk}/notes", {})

    assert blank.status_code == 422
    assert blank.json()["code"] == "validation_error"
    assert blank.json()["fields"] == {"body": ["Write something first."]}
    assert long.json()["fields"] == {"body": ["A note has at most 2000 characters."]}
    assert missing.json()["fields"] == {"body": ["This field is required."]}
    assert _state(customer) == before


def test_another_reps_customer_is_not_found_and_nothing_is_written(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["south"]
    api("rep_south").post(f"/customers/{customer.pk}/notes", {"body": "华南的备注"})
    client = api("rep_east1")
    before = _state(customer)

    responses = [
        client.get(f"/customers/{customer.pk}/notes"),
        client.post(f"/customers/{customer.pk}/notes", {"body": "偷看"}),
        client.patch(f"/notes/{before['notes'][0][0]}", {"body": "改掉"}),
        client.post(f"/customers/{customer.pk}/tags", {"tag": "VIP"}),
        client.delete(f"/customers/{customer.pk}/tags/VIP"),
        _put(client, f"/customers/{customer.pk}/owner", {"owner_id": None}),
    ]

    assert [r.status_code for r in responses] == [404] * 6
    assert {r.json()["code"] for r in responses} == {"not_found"}
    assert all("华南" not in r.content.decode() for r in responses)
    assert _state(customer) == before


def test_edit_own_note_only(book: dict[str, Customer], api: Callable[..., ApiClient]) -> None:
    customer = book["east1"]
    author, manager = api("rep_east1"), api("mgr_east")
    note_id = author.post(f"/customers/{customer.pk}/notes", {"body": "原文"}).json()["id"]
    before = _state(customer)

    by_manager = manager.patch(f"/notes/{note_id}", {"body": "经理改"})
    after_refusal = _state(customer)
    by_author = author.patch(f"/notes/{note_id}", {"body": "改过"})

    assert by_manager.status_code == 403
    assert by_manager.json()["code"] == "permission_denied"
    assert after_refusal == before
    assert by_author.status_code == 200, by_author.content
    assert by_author.json()["body"] == "改过"
    assert by_author.json()["edited_at"] is not None
    assert _notes(customer) == [(note_id, "改过")]


# --- owner ---------------------------------------------------------------------------------------


def test_manager_changes_owner(
    book: dict[str, Customer], users: dict[str, User], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("mgr_east")
    audits = AuditEvent.objects.count()

    changed = _put(client, f"/customers/{customer.pk}/owner", {"owner_id": users["rep_east2"].pk})
    again = _put(client, f"/customers/{customer.pk}/owner", {"owner_id": users["rep_east2"].pk})

    assert changed.status_code == 200, changed.content
    assert changed.json()["owner"] == {"id": users["rep_east2"].pk, "name": "rep_east2"}
    assert changed.json()["team"]["name"] == "华东"
    assert changed.json()["version"] == customer.version + 1
    assert again.json()["version"] == customer.version + 1  # the same owner: nothing written
    customer.refresh_from_db()
    assert customer.owner_id == users["rep_east2"].pk
    assert AuditEvent.objects.count() == audits + 1


def test_owner_change_refused_for_sales_and_for_an_owner_out_of_reach(
    book: dict[str, Customer], users: dict[str, User], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    rep, manager = api("rep_east1"), api("mgr_east", lang="en")
    before = snapshot(customer.pk)
    path = f"/customers/{customer.pk}/owner"

    by_rep = _put(rep, path, {"owner_id": users["rep_east2"].pk})
    foreign = _put(manager, path, {"owner_id": users["rep_south"].pk})
    shape = _put(manager, path, {"owner": 1})

    assert by_rep.status_code == 403
    assert foreign.status_code == 422
    assert foreign.json()["fields"] == {
        "owner_id": ["You may not assign customers to this account manager."]
    }
    assert shape.status_code == 422
    assert set(shape.json()["fields"]) == {"owner", "owner_id"}
    assert snapshot(customer.pk) == before


def test_owner_null_leaves_the_card_without_owner(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["south"]

    response = _put(api("admin"), f"/customers/{customer.pk}/owner", {"owner_id": None})

    assert response.status_code == 200, response.content
    assert response.json()["owner"] is None
    customer.refresh_from_db()
    assert customer.owner_id is None


# --- tags ----------------------------------------------------------------------------------------


def test_add_and_remove_tags(book: dict[str, Customer], api: Callable[..., ApiClient]) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    audits = AuditEvent.objects.count()

    added = client.post(f"/customers/{customer.pk}/tags", {"tag": "  老客户 "})
    client.post(f"/customers/{customer.pk}/tags", {"tag": "茶/咖啡"})
    repeated = client.post(f"/customers/{customer.pk}/tags", {"tag": "老客户"})
    removed = client.delete(f"/customers/{customer.pk}/tags/{quote('茶/咖啡', safe='')}")
    absent = client.delete(f"/customers/{customer.pk}/tags/{quote('没有', safe='')}")

    assert added.status_code == 200, added.content
    assert added.json()["tags"] == ["老客户"]
    assert repeated.json()["tags"] == sorted(["茶/咖啡", "老客户"])
    assert removed.status_code == 200, removed.content
    assert removed.json()["tags"] == ["老客户"]
    assert absent.status_code == 200
    assert absent.json()["version"] == removed.json()["version"]
    assert sorted(customer.tags.values_list("name", flat=True)) == ["老客户"]
    assert AuditEvent.objects.count() == audits + 3  # add, add, remove; repeats write nothing


def test_tag_refused_for_service_and_for_bad_names(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1", lang="en")
    client.post(f"/customers/{customer.pk}/tags", {"tag": "VIP"})
    service = api("service")
    before = snapshot(customer.pk)

    by_service = [
        service.post(f"/customers/{customer.pk}/tags", {"tag": "投诉"}),
        service.delete(f"/customers/{customer.pk}/tags/VIP"),
    ]
    blank = client.post(f"/customers/{customer.pk}/tags", {"tag": "  "})
    long = client.post(f"/customers/{customer.pk}/tags", {"tag": "标" * 41})
    wrong_type = client.post(f"/customers/{customer.pk}/tags", {"tag": ["a"]})

    assert [r.status_code for r in by_service] == [403, 403]
    assert blank.status_code == 422
    assert blank.json()["fields"] == {"tag": ["Enter a tag."]}
    assert long.json()["fields"] == {"tag": ["A tag has at most 40 characters."]}
    assert wrong_type.json()["fields"] == {"tag": ["Enter text."]}
    assert snapshot(customer.pk) == before


def test_the_actions_are_documented(api: Callable[..., ApiClient], users: dict[str, User]) -> None:
    schema = api("admin").get("/openapi.json").json()
    paths = schema["paths"]

    assert set(paths["/api/v1/customers/{customer_id}/notes"]) == {"get", "post"}
    assert set(paths["/api/v1/notes/{note_id}"]) == {"patch"}
    assert set(paths["/api/v1/customers/{customer_id}/owner"]) == {"put"}
    assert set(paths["/api/v1/customers/{customer_id}/tags"]) == {"post"}
    assert set(paths["/api/v1/customers/{customer_id}/tags/{tag}"]) == {"delete"}
    responses = paths["/api/v1/customers/{customer_id}/owner"]["put"]["responses"]
    assert {"200", "403", "404", "422"} <= set(responses)
