"""The header search box: the dropdown partial, scope, masking, query counts, bad input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tiercard.customers.models import Customer

pytestmark = pytest.mark.django_db

Make = Callable[..., Customer]


def dropdown(client: Client, query: str) -> str:
    response = client.get("/search/", {"q": query}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def test_the_box_is_in_every_page_header(login: Callable[[str], Client], book: dict) -> None:
    html = login("rep_east1").get(f"/customers/{book['east1'].pk}/").content.decode()
    assert 'id="hsearch-q"' in html
    assert 'role="combobox"' in html
    assert 'hx-trigger="input changed delay:200ms, search"' in html
    assert 'action="/customers/"' in html  # without JavaScript Enter lists the matches


def test_initials_find_the_customer_with_tier_and_masked_phone(
    login: Callable[[str], Client], book: dict
) -> None:
    html = dropdown(login("service"), "zs")
    assert "张三" in html
    assert f'href="/customers/{book["east1"].pk}/"' in html
    assert "138****5678" in html and "13812345678" not in html
    assert 'class="tierbadge tierbadge--xs"' in html
    assert 'role="listbox"' in html and 'role="option"' in html


def test_owner_sees_the_full_phone(login: Callable[[str], Client], book: dict) -> None:
    assert "13812345678" in dropdown(login("rep_east1"), "5678")


def test_a_rep_never_sees_another_reps_customer(
    login: Callable[[str], Client], book: dict[str, Customer]
) -> None:
    client = login("rep_east1")
    for query in ("李四", "ls", "lisi", "5679", "王五", "wangwu@example.com"):
        html = dropdown(client, query)
        assert 'role="option"' not in html, query
        for other in ("east2", "south"):
            assert f'href="/customers/{book[other].pk}/"' not in html
            # The "nothing matches" line repeats the query itself; any other mention is a leak.
            assert book[other].name not in html.replace(query, "")


def test_nothing_found_tells_what_to_try(login: Callable[[str], Client], book: dict) -> None:
    html = dropdown(login("admin"), "不存在的人")
    assert 'role="option"' not in html
    assert "zhangsan" in html  # the hint names the kinds of query
    assert "/customers/?q=" in html


@pytest.mark.parametrize("query", ["", "   ", '"', "* ( ) NEAR AND OR - :", "%", "三" * 500])
def test_bad_input_answers_without_error(
    login: Callable[[str], Client], book: dict, query: str
) -> None:
    html = dropdown(login("admin"), query)
    assert "Traceback" not in html


def test_dropdown_query_count_does_not_grow_with_hits(
    login: Callable[[str], Client], make_customer: Make, users: dict
) -> None:
    client = login("admin")
    make_customer(name="周一")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            dropdown(client, "周")
        return len(ctx.captured_queries)

    few = count()
    for name in "二三四五六七八九十":
        make_customer(name=f"周{name}")
    assert count() <= few
    with CaptureQueriesContext(connection) as ctx:
        dropdown(client, "zzzz")
    assert len(ctx.captured_queries) <= 10  # session, user, the probes: nothing per row


def test_list_page_search_uses_the_same_matches(
    login: Callable[[str], Client], make_customer: Make
) -> None:
    make_customer(name="曾小明")
    make_customer(name="路人甲")
    html = login("rep_east1").get("/customers/", {"q": "cengxiaoming"}).content.decode()
    assert "曾小明" in html and "路人甲" not in html


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get("/search/", {"q": "张"})
    assert response.status_code in (302, 401, 403)
