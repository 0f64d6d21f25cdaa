"""GET /api/v1/customers/search and the list's ``q``: ranked, scoped, masked, never an error."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import ApiClient
from tiercard.customers.models import Customer

pytestmark = pytest.mark.django_db


def test_search_ranks_and_explains_the_match(
    api: Callable[..., ApiClient], make_customer: Callable[..., Customer]
) -> None:
    make_customer("rep_east1", name="李张三")
    make_customer("rep_east1", name="张三丰")
    make_customer("rep_east1", name="张三", phones="13812345678")
    body = api("rep_east1").get("/customers/search", {"q": "张三"}).json()
    assert [(i["name"], i["match"]) for i in body["items"]] == [
        ("张三", 0),
        ("张三丰", 1),
        ("李张三", 2),
    ]
    assert body["items"][0]["phone"] == "13812345678"  # the owner sees it in full


def test_search_is_scoped_and_masked(api: Callable[..., ApiClient], book: dict) -> None:
    assert api("rep_east1").get("/customers/search", {"q": "lisi"}).json()["items"] == []
    assert api("rep_east1").get("/customers/search", {"q": "5679"}).json()["items"] == []
    items = api("service").get("/customers/search", {"q": "zs"}).json()["items"]
    assert [i["name"] for i in items] == ["张三"]
    assert items[0]["phone"] == "138****5678"


@pytest.mark.parametrize("q", ["", '" * ( ) NEAR AND OR - :', "%_\\", "x" * 200])
def test_bad_queries_find_nothing_without_error(
    api: Callable[..., ApiClient], book: dict, q: str
) -> None:
    response = api("admin").get("/customers/search", {"q": q})
    assert response.status_code == 200
    assert isinstance(response.json()["items"], list)


def test_limit_is_validated(api: Callable[..., ApiClient], book: dict) -> None:
    response = api("admin").get("/customers/search", {"q": "张", "limit": 0})
    assert response.status_code == 422
    response = api("admin").get("/customers/search", {"q": "张", "limit": 10_000})
    assert response.status_code == 422


def test_archived_only_when_asked(api: Callable[..., ApiClient], book: dict, users: dict) -> None:
    from tiercard.customers.services import customer_archive

    customer_archive(actor=users["admin"], customer_id=book["east1"].pk)
    client = api("admin")
    assert client.get("/customers/search", {"q": "zs"}).json()["items"] == []
    asked = client.get("/customers/search", {"q": "zs", "include_archived": "true"}).json()
    assert [i["name"] for i in asked["items"]] == ["张三"]


def test_search_query_count_does_not_grow_with_hits(
    api: Callable[..., ApiClient],
    make_customer: Callable[..., Customer],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = api("admin")
    client.get("/me")
    for i in range(3):
        make_customer("rep_east1", name=f"周{i}", tags=["a"])
    with django_assert_max_num_queries(8):
        few = client.get("/customers/search", {"q": "周"})
    for i in range(15):
        make_customer("rep_east1", name=f"周周{i}", tags=["b", f"t{i}"])
    with django_assert_max_num_queries(8):
        more = client.get("/customers/search", {"q": "周"})
    assert len(few.json()["items"]) == 3
    assert len(more.json()["items"]) == 18


def test_list_q_uses_the_search_matches(api: Callable[..., ApiClient], book: dict) -> None:
    client = api("admin")
    assert [i["name"] for i in client.get("/customers", {"q": "zs"}).json()["items"]] == ["张三"]
    assert [i["name"] for i in client.get("/customers", {"q": "三"}).json()["items"]] == ["张三"]
    assert client.get("/customers", {"q": "NEAR ("}).json()["items"] == []
