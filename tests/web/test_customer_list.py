"""The customer list: scoped per role, searched and filtered through the selector, masked,
paged, and a bounded number of queries however many rows there are."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tiercard.customers.models import Customer
from tiercard.customers.services import customer_archive

pytestmark = pytest.mark.django_db

NAMES = {"east1": "张三", "east2": "李四", "south": "王五"}


def names_on_page(client: Client, query: str = "") -> set[str]:
    response = client.get("/customers/" + query)
    assert response.status_code == 200
    return {row.name for row in response.context["rows"]}


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("rep_east1", {"张三"}),
        ("rep_east2", {"李四"}),
        ("rep_south", {"王五"}),
        ("mgr_east", {"张三", "李四"}),
        ("mgr_south", {"王五"}),
        ("admin", {"张三", "李四", "王五"}),
        ("service", {"张三", "李四", "王五"}),
        ("marketing", {"张三", "李四", "王五"}),
    ],
)
def test_each_role_sees_exactly_its_scope(
    login: Callable[[str], Client], book: dict, username: str, expected: set[str]
) -> None:
    client = login(username)
    assert names_on_page(client) == expected
    html = client.get("/customers/").content.decode()
    for name in set(NAMES.values()) - expected:
        assert name not in html


def test_search_goes_through_the_selector_by_name_pinyin_and_phone_tail(
    login: Callable[[str], Client], book: dict
) -> None:
    client = login("admin")
    assert names_on_page(client, "?q=李") == {"李四"}
    assert names_on_page(client, "?q=zs") == {"张三"}
    assert names_on_page(client, "?q=5670") == {"王五"}


def test_search_never_widens_the_scope(login: Callable[[str], Client], book: dict) -> None:
    client = login("rep_east1")
    assert names_on_page(client, "?q=wangwu") == set()
    assert names_on_page(client, "?q=5670") == set()


def test_filters_by_kind_city_tag_status_and_owner(
    login: Callable[[str], Client], make_customer: Callable[..., Customer], users: dict
) -> None:
    make_customer("rep_east1", name="甲公司", kind="company", city="上海", tags="VIP")
    make_customer("rep_east1", name="乙先生", city="杭州", status="at_risk")
    make_customer("rep_east2", name="丙女士", city="上海")
    client = login("mgr_east")
    assert names_on_page(client, "?kind=company") == {"甲公司"}
    assert names_on_page(client, "?city=上海") == {"甲公司", "丙女士"}
    assert names_on_page(client, "?tag=VIP") == {"甲公司"}
    assert names_on_page(client, "?status=at_risk") == {"乙先生"}
    owner = users["rep_east2"].pk
    assert names_on_page(client, f"?owner={owner}") == {"丙女士"}


def test_owner_filter_is_offered_to_managers_but_not_to_sales(
    login: Callable[[str], Client], book: dict
) -> None:
    assert 'name="owner"' in login("mgr_east").get("/customers/").content.decode()
    assert 'name="owner"' not in login("rep_east1").get("/customers/").content.decode()


def test_archived_customers_only_show_when_asked_for(
    login: Callable[[str], Client], make_customer: Callable[..., Customer], users: dict
) -> None:
    kept = make_customer("rep_east1", name="在册")
    gone = make_customer("rep_east1", name="已归档")
    customer_archive(actor=users["mgr_east"], customer_id=gone.pk)
    client = login("mgr_east")
    assert names_on_page(client) == {kept.name}
    assert names_on_page(client, "?status=all") == {kept.name, gone.name}
    assert names_on_page(client, "?status=archived") == {gone.name}


def test_columns_money_dates_and_masked_phone_for_service(
    login: Callable[[str], Client], book: dict
) -> None:
    html = login("service").get("/customers/?q=张三").content.decode()
    assert "138****5678" in html
    assert "13812345678" not in html
    assert "¥0.00" in html
    assert book["east1"].registered_on.isoformat() in html
    assert 'title="zhangsan"' in html  # pinyin kept out of sight, for hover


def test_account_managers_see_their_customers_phone_in_full(
    login: Callable[[str], Client], book: dict
) -> None:
    html = login("rep_east1").get("/customers/").content.decode()
    assert "13812345678" in html


def test_paging_splits_the_book_by_keyset_and_keeps_the_filters(
    login: Callable[[str], Client], make_customer: Callable[..., Customer]
) -> None:
    for i in range(30):
        make_customer("rep_east1", name=f"客户{i:02d}", city="上海")
    make_customer("rep_east1", name="外地客户", city="杭州")
    client = login("rep_east1")
    first = client.get("/customers/?city=上海")
    assert len(first.context["rows"]) == 25
    assert first.context["page"].previous is None
    token = first.context["page"].next.encode()
    assert f"city=%E4%B8%8A%E6%B5%B7&amp;cursor={token}" in first.content.decode()
    second = client.get(f"/customers/?city=上海&cursor={token}")
    assert len(second.context["rows"]) == 5
    assert second.context["page"].next is None
    assert {r.pk for r in first.context["rows"]}.isdisjoint(r.pk for r in second.context["rows"])
    assert "外地客户" not in {r.name for r in second.context["rows"]}
    back = client.get(f"/customers/?city=上海&cursor={second.context['page'].previous.encode()}")
    assert [r.pk for r in back.context["rows"]] == [r.pk for r in first.context["rows"]]


def test_sorting_by_total_spend(login: Callable[[str], Client], book: dict) -> None:
    from tiercard.loyalty.services.checkout import purchase_record

    purchase_record(
        actor=book["east2"].owner,
        customer_id=book["east2"].pk,
        data={"lines": [{"item_name": "茶", "unit_price": "99.50"}]},
    )
    rows = login("mgr_east").get("/customers/?sort=spend").context["rows"]
    assert [r.name for r in rows] == ["李四", "张三"]
    assert rows[0].total_spend == "¥99.50"


def test_htmx_search_returns_only_the_results(login: Callable[[str], Client], book: dict) -> None:
    response = login("admin").get(
        "/customers/?q=李", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "李四" in html and "张三" not in html
    assert "<html" not in html


def test_empty_book_tells_a_rep_what_to_do(login: Callable[[str], Client], users: dict) -> None:
    html = login("rep_east1").get("/customers/").content.decode()
    assert 'class="empty card"' in html
    assert "/customers/new/" in html


def test_no_match_offers_to_clear_the_filters(login: Callable[[str], Client], book: dict) -> None:
    response = login("admin").get("/customers/?q=不存在的人")
    html = response.content.decode()
    assert response.context["rows"] == []
    assert 'class="empty card"' in html
    assert 'href="/customers/">' in html


def test_service_staff_cannot_create_so_no_create_button(
    login: Callable[[str], Client], users: dict
) -> None:
    html = login("service").get("/customers/").content.decode()
    assert "/customers/new/" not in html


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/customers/").status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("username", ["rep_east1", "mgr_east", "admin", "service"])
def test_list_query_count_is_bounded_and_independent_of_rows(
    login: Callable[[str], Client],
    make_customer: Callable[..., Customer],
    django_assert_max_num_queries: Callable,
    username: str,
) -> None:
    for i in range(5):
        make_customer("rep_east1", name=f"客{i}", tags="VIP, 老客户", phones=f"1380000{i:04d}")
    client = login(username)
    # session, user, programme, saved views, owners, capped count, tags, interactions, and
    # the page: the rows of a window of keys and (for a scoped viewer) the window's end key
    with django_assert_max_num_queries(11):
        client.get("/customers/")
    few = _list_queries(client)
    for i in range(25):
        make_customer("rep_east1", name=f"户{i}", tags="新客户", phones=f"1390000{i:04d}")
    assert len(client.get("/customers/").context["rows"]) == 25
    assert _list_queries(client) <= few  # a full first window even saves its end-key query


def test_every_sort_the_table_knows_is_offered() -> None:
    from tiercard.listviews.table import SORTS
    from tiercard.loyalty.services.state import active_programme
    from tiercard.web.member_table import MemberTableForm

    form = MemberTableForm(ladder=active_programme().programme.ladder)
    assert {key for key, _label in form.fields["sort"].choices} == set(SORTS)
