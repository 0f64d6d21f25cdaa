"""The member table: loyalty columns, filters with field errors, sorts with keyset paging in both
directions, capped counting, saved views, and query counts independent of the number of rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.web.conftest import errors_of
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.interactions.services import interaction_log
from tiercard.listviews import table
from tiercard.listviews.models import SavedView
from tiercard.listviews.services import (
    saved_view_create,
    saved_view_rename,
    saved_view_share,
)
from tiercard.listviews.table import Cursor, TableFilters, TableView, table_page
from tiercard.loyalty.models import Membership
from tiercard.loyalty.services.checkout import purchase_record

pytestmark = pytest.mark.django_db


def buy(customer: Customer, amount: str) -> None:
    purchase_record(
        actor=customer.owner,
        customer_id=customer.pk,
        data={"lines": [{"item_name": "茶", "unit_price": amount}]},
    )


def rows_of(client: Client, query: str = "") -> list:
    response = client.get("/customers/" + query)
    assert response.status_code == 200
    return response.context["rows"]


def names(client: Client, query: str = "") -> list[str]:
    return [r.name for r in rows_of(client, query)]


def page_through(viewer: User, view: TableView, *, size: int) -> tuple[list[int], list[int]]:
    """The ids met paging forwards from the first page to the last by each page's cursor, and
    then backwards from the last to the first."""
    forwards: list[int] = []
    cursor: Cursor | None = None
    while True:
        page = table_page(viewer, view, cursor, size=size)
        forwards += [r.customer.pk for r in page.rows]
        if page.next is None:
            break
        cursor = Cursor.decode(page.next.encode(), view.sort)
    backwards = [r.customer.pk for r in page.rows]
    while page.previous is not None:
        page = table_page(viewer, view, Cursor.decode(page.previous.encode(), view.sort), size=size)
        backwards = [r.customer.pk for r in page.rows] + backwards
    return forwards, backwards


@pytest.fixture
def shop(make_customer: Callable[..., Customer]) -> dict[str, Customer]:
    """Four customers of rep_east1: a big spender, a small one, one never bought, one in 杭州."""
    big = make_customer("rep_east1", name="赵大", city="上海", phones="13800000001")
    small = make_customer("rep_east1", name="钱小", city="上海", tags="老客户")
    never = make_customer("rep_east1", name="孙无", city="上海")
    away = make_customer("rep_east1", name="李外", city="杭州")
    buy(big, "60000.00")
    buy(small, "120.00")
    buy(away, "300.00")
    for c in (big, small, never, away):
        c.refresh_from_db()
    return {"big": big, "small": small, "never": never, "away": away}


# --- Columns --------------------------------------------------------------------------------


def test_rows_carry_tier_points_window_figures_and_service_record(
    login: Callable[[str], Client], shop: dict[str, Customer]
) -> None:
    interaction_log(
        actor=shop["small"].owner,
        customer_id=shop["small"].pk,
        data={"kind": "call", "summary": "回访", "occurred_at": timezone.now()},
    )
    client = login("rep_east1")
    rows = {r.name: r for r in rows_of(client)}
    membership = Membership.objects.get(customer=shop["big"])
    assert rows["赵大"].tier.code == membership.tier != "basic"
    assert rows["赵大"].points == membership.points_balance > 0
    assert rows["赵大"].win_spend == "¥60,000.00"
    assert rows["赵大"].win_orders == 1
    assert rows["孙无"].tier.code == "basic" and rows["孙无"].points == 0  # no membership row
    assert rows["钱小"].interactions == 1 and rows["赵大"].interactions == 0
    html = client.get("/customers/").content.decode()
    assert f'style="--tier: {rows["赵大"].tier.colour}" data-tier="{membership.tier}"' in html
    assert "老客户" in html
    # counts grouped by thousands in Chinese too (Django's intcomma prints none there)
    assert membership.points_balance >= 1000
    assert f'class="num mono">{membership.points_balance:,}</td>' in html


def test_column_chooser_shows_only_the_chosen_columns_name_always(
    login: Callable[[str], Client], shop: dict[str, Customer]
) -> None:
    client = login("rep_east1")
    response = client.get("/customers/?cols=points&cols=city")
    assert [c.key for c in response.context["columns"]] == ["name", "points", "city"]
    html = response.content.decode()
    assert 'data-label="积分"' in html or 'data-label="Points"' in html
    assert 'data-tier="' not in html  # the tier column is not chosen


def test_campaign_column_is_offered_only_when_a_participation_source_exists(
    login: Callable[[str], Client], shop: dict[str, Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = login("rep_east1")
    assert "campaigns" not in [c.key for c in client.get("/customers/").context["all_columns"]]
    asked = client.get("/customers/?cols=campaigns").context["columns"]
    assert "campaigns" not in [c.key for c in asked]
    big = shop["big"].pk
    monkeypatch.setattr(table, "PARTICIPATION_SOURCES", [lambda ids: {big: "春季促销"}])
    rows = {r.pk: r for r in rows_of(client, "?cols=campaigns")}
    assert rows[big].campaigns == "春季促销"
    assert rows[shop["small"].pk].campaigns is None


# --- Filters --------------------------------------------------------------------------------


def test_filters_by_tier_city_last_purchase_range_and_spend_range(
    login: Callable[[str], Client], shop: dict[str, Customer]
) -> None:
    client = login("rep_east1")
    high = Membership.objects.get(customer=shop["big"]).tier
    assert names(client, f"?tier={high}") == ["赵大"]
    assert set(names(client, "?tier=basic")) == {"钱小", "孙无", "李外"}  # no row = lowest tier
    assert set(names(client, "?city=上海")) == {"赵大", "钱小", "孙无"}
    today = business_today().isoformat()
    assert set(names(client, f"?purchased_from={today}&purchased_to={today}")) == {
        "赵大",
        "钱小",
        "李外",
    }
    assert set(names(client, "?min_spend=100&max_spend=500")) == {"钱小", "李外"}
    assert names(client, "?min_spend=100&max_spend=500&city=上海") == ["钱小"]


def test_contact_due_follows_each_tiers_cadence(
    login: Callable[[str], Client], shop: dict[str, Customer]
) -> None:
    """VIP级 asks for a contact every 14 days, 基础级 every 180 (the default programme)."""
    now = timezone.now()
    assert Membership.objects.get(customer=shop["big"]).tier == "vip"

    def contacted(key: str, days: int | None, added: int = 0) -> None:
        at = None if days is None else now - dt.timedelta(days=days)
        Customer.objects.filter(pk=shop[key].pk).update(
            last_interaction_at=at, created_at=now - dt.timedelta(days=added)
        )

    contacted("big", 14)  # VIP, 14 days ago: due today
    contacted("small", 100)  # 基础级, 100 days: not yet
    contacted("never", None, added=200)  # never contacted, added 200 days ago: due
    contacted("away", None, added=20)  # never contacted, added 20 days ago: not yet
    client = login("rep_east1")

    assert set(names(client, "?follow_up_due=on")) == {"赵大", "孙无"}
    assert names(client, "?follow_up_due=on&city=上海&sort=name") == ["孙无", "赵大"]
    contacted("big", 13)
    assert names(client, "?follow_up_due=on") == ["孙无"]
    assert len(names(client)) == 4  # unticked: no filter


def test_a_saved_contact_due_view_can_be_unticked(
    login: Callable[[str], Client], shop: dict[str, Customer], users: dict[str, User]
) -> None:
    long_ago = timezone.now() - dt.timedelta(days=200)
    Customer.objects.filter(pk=shop["never"].pk).update(created_at=long_ago)
    saved = saved_view_create(
        actor=users["rep_east1"],
        name="待回访",
        view=TableView(filters=TableFilters(follow_up_due=True)),
    )
    client = login("rep_east1")
    assert names(client, f"?view={saved.pk}") == ["孙无"]
    page = client.get("/customers/").content.decode()
    hidden = page.index('<input type="hidden" name="follow_up_due" value="">')
    assert hidden < page.index('<input type="checkbox" name="follow_up_due"')
    # What the form sends with the box unticked: the hidden empty value alone.
    assert len(names(client, f"?view={saved.pk}&follow_up_due=")) == 4
    # Ticked, the box's value follows the hidden one and wins.
    assert names(client, "?follow_up_due=&follow_up_due=on") == ["孙无"]


def test_a_saved_view_keeps_the_contact_due_box() -> None:
    view = TableView(filters=TableFilters(follow_up_due=True))
    state = view.as_dict()
    assert state["filters"] == {"follow_up_due": True}
    assert TableView.from_dict(state) == view
    assert TableView.from_dict({"filters": {"follow_up_due": "yes"}}).filters.follow_up_due is False
    assert not TableFilters().active and TableFilters(follow_up_due=True).narrows
    assert TableFilters(max_spend=Decimal(0)).active  # a bound of 0 still narrows


def test_bad_filter_values_show_errors_next_to_the_field_and_keep_what_was_typed(
    login: Callable[[str], Client], shop: dict[str, Customer]
) -> None:
    client = login("rep_east1")
    response = client.get("/customers/?min_spend=十元&city=上海&purchased_from=2025-02-30")
    html = response.content.decode()
    assert response.status_code == 200
    assert errors_of(html, "min_spend")
    assert errors_of(html, "purchased_from")
    assert 'value="十元"' in html and 'value="2025-02-30"' in html
    assert set(r.name for r in response.context["rows"]) == {"赵大", "钱小", "孙无"}  # city kept
    reversed_range = client.get("/customers/?min_spend=500&max_spend=100").content.decode()
    assert errors_of(reversed_range, "max_spend")
    assert not errors_of(reversed_range, "min_spend")


def test_htmx_results_carry_the_field_errors_out_of_band(
    login: Callable[[str], Client], shop: dict[str, Customer]
) -> None:
    response = login("rep_east1").get(
        "/customers/?max_spend=-5", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert 'id="id_max_spend_error" class="errors" hx-swap-oob="true">' in html
    assert errors_of(html, "max_spend")


# --- Sorts and keyset paging ----------------------------------------------------------------


def test_points_sort_puts_customers_without_a_membership_last(
    login: Callable[[str], Client], shop: dict[str, Customer]
) -> None:
    order = names(login("rep_east1"), "?sort=points")
    assert order[0] == "赵大"
    assert order[-1] == "孙无"


@pytest.mark.parametrize("windows", [(1000,), (2, 3)])  # one window; probes then the fallback
@pytest.mark.parametrize("sort", sorted(table.SORTS))
def test_every_sort_pages_forwards_and_back_without_gaps_or_repeats(
    make_customer: Callable[..., Customer],
    users: dict[str, User],
    sort: str,
    windows: tuple[int, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(table, "WINDOWS", windows)
    make_customer("rep_east2", name="别人的")  # another rep's: the scope narrows the table
    customers = [make_customer("rep_east1", name=f"客{i:02d}") for i in range(9)]
    for i, c in enumerate(customers[:5]):  # five with purchases, four without (NULL segment)
        buy(c, f"{100 + 10 * (i % 3)}.00")
    rep = users["rep_east1"]
    view = TableView(sort=sort)
    everything = [r.customer.pk for r in table_page(rep, view, size=50).rows]
    assert sorted(everything) == sorted(c.pk for c in customers)
    assert page_through(rep, view, size=2) == (everything, everything)


@pytest.mark.parametrize("windows", [(1000,), (2, 3)])
@pytest.mark.parametrize("tier", ["basic", "standard"])
@pytest.mark.parametrize("sort", sorted(table.SORTS))
def test_a_tier_view_pages_through_that_tier_in_every_sort(
    make_customer: Callable[..., Customer],
    users: dict[str, User],
    sort: str,
    tier: str,
    windows: tuple[int, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given customers on two tiers, some without a membership row (the lowest tier)
    monkeypatch.setattr(table, "WINDOWS", windows)
    customers = [make_customer("rep_east1", name=f"级{i:02d}") for i in range(10)]
    for i, c in enumerate(customers[:7]):
        buy(c, f"{100 + 10 * (i % 4)}.00")
    Membership.objects.filter(customer__in=customers[1:7:2]).update(tier="standard")
    admin = users["admin"]
    view = TableView(sort=sort, filters=TableFilters(tier=tier))
    held = dict(Membership.objects.values_list("customer_id", "tier"))
    expected = {c.pk for c in customers if held.get(c.pk, "basic") == tier}
    everything = [r.customer.pk for r in table_page(admin, view, size=50).rows]
    assert set(everything) == expected and len(everything) == len(expected)
    assert everything == [
        r.customer.pk
        for r in table_page(admin, TableView(sort=sort), size=50).rows
        if r.customer.pk in expected
    ]  # the tier's customers in the plain order of the sort

    # the windows read one tier's keys
    bases = table.walk_base(sort, view.filters, table.scope_of(admin))
    assert {c for c in bases.valued.values_list("pk", flat=True)} <= expected

    # and paging one at a time, forwards then back, meets each of them once
    assert page_through(admin, view, size=1) == (everything, everything)


@pytest.mark.parametrize("windows", [(1000,), (2, 3)])  # one window; probes then the fallback
@pytest.mark.parametrize("who", ["admin", "rep_east1"])  # the whole table; a rep's narrowed one
@pytest.mark.parametrize("sort", ["points", "win_spend", "win_orders"])
def test_a_membership_sort_merges_the_tiers_into_one_order(
    make_customer: Callable[..., Customer],
    users: dict[str, User],
    sort: str,
    who: str,
    windows: tuple[int, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The membership has no index on a sort value alone: a sort over every tier reads one
    range per tier and merges them. The order must be the plain one: value, then id, both
    descending, the customers without a membership row last (newest first)."""
    # given members on all four tiers whose figures do not follow their tiers, equal values
    # on different tiers, and customers without a membership row
    monkeypatch.setattr(table, "WINDOWS", windows)
    make_customer("rep_east2", name="别人的")
    customers = [make_customer("rep_east1", name=f"合{i:02d}") for i in range(13)]
    codes = ["basic", "standard", "premium", "vip"]
    for i, c in enumerate(customers[:10]):
        buy(c, f"{100 + 37 * (i % 3)}.00")
        if i % 4 == 3:
            buy(c, "50.00")  # a second order: win_orders differs too
        Membership.objects.filter(pk=c.pk).update(tier=codes[(i * 3) % 4])
    viewer = users[who]
    field = table.SORTS[sort].value.split("__", 1)[1]
    seen = {c.pk for c in customers} | (
        set(Customer.objects.values_list("pk", flat=True)) if who == "admin" else set()
    )
    held = {m.pk: getattr(m, field) for m in Membership.objects.filter(pk__in=seen)}
    expected = sorted(held, key=lambda pk: (held[pk], pk), reverse=True)
    expected += sorted(seen - set(held), reverse=True)

    view = TableView(sort=sort)
    everything = [r.customer.pk for r in table_page(viewer, view, size=50).rows]
    assert everything == expected
    assert [r.customer.pk for r in table_page(viewer, view, size=3).rows] == expected[:3]
    assert page_through(viewer, view, size=2) == (everything, everything)


def test_a_cursor_of_another_sort_or_a_forged_one_starts_from_the_top(
    login: Callable[[str], Client], shop: dict[str, Customer]
) -> None:
    client = login("rep_east1")
    first = names(client, "?sort=spend")
    other = Cursor("points", 5, shop["big"].pk).encode()
    assert names(client, f"?sort=spend&cursor={other}") == first
    assert names(client, "?sort=spend&cursor=bm90LWpzb24") == first


def test_no_page_counts_the_whole_table(
    login: Callable[[str], Client], shop: dict[str, Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = login("admin")
    with CaptureQueriesContext(connection) as captured:
        client.get("/customers/")
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(*)" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 1001" in counts[0]
    monkeypatch.setattr(table, "COUNT_CAP", 2)
    response = client.get("/customers/")
    assert (response.context["count"], response.context["capped"]) == (2, True)


# --- Saved views ----------------------------------------------------------------------------


def test_saving_opening_and_defaulting_a_view(
    login: Callable[[str], Client], shop: dict[str, Customer], users: dict[str, User]
) -> None:
    client = login("rep_east1")
    response = client.post(
        "/customers/views/save/",
        {"name": "上海大客户", "query": "city=上海&sort=spend&cols=points", "default": "1"},
    )
    saved = SavedView.objects.get(owner=users["rep_east1"])
    assert response.status_code == 302 and response["Location"].endswith(f"?view={saved.pk}")
    assert saved.state["filters"] == {"city": "上海"} and saved.state["sort"] == "spend"
    opened = client.get(f"/customers/?view={saved.pk}")
    assert [r.name for r in opened.context["rows"]] == ["赵大", "钱小", "孙无"]
    assert [c.key for c in opened.context["columns"]] == ["name", "points"]
    assert 'value="上海"' in opened.content.decode()
    # Without parameters the default view opens; any parameter means "not the default".
    assert names(client) == ["赵大", "钱小", "孙无"]
    assert "李外" in names(client, "?sort=recent")
    # A parameter given with ?view= overrides that part of the view.
    assert names(client, f"?view={saved.pk}&sort=name")[0] == "钱小"
    assert AuditEvent.objects.filter(object_type="listviews.savedview", action="create").exists()


def test_shared_views_are_readable_by_others_and_writable_only_by_their_owner(
    login: Callable[[str], Client], shop: dict[str, Customer], users: dict[str, User]
) -> None:
    view = TableView(filters=TableFilters(city="上海"))
    mine = saved_view_create(actor=users["mgr_east"], name="华东", view=view, shared=True)
    private = saved_view_create(actor=users["mgr_east"], name="私人", view=view)
    rep = login("rep_east1")
    assert set(names(rep, f"?view={mine.pk}")) == {"赵大", "钱小", "孙无"}  # rep's own scope
    assert rep.get(f"/customers/?view={private.pk}").status_code == 404
    with pytest.raises(NotFound):
        saved_view_rename(actor=users["rep_east1"], view_id=mine.pk, name="改名")
    assert rep.post(f"/customers/views/{mine.pk}/delete/").status_code == 404
    mine.refresh_from_db()
    assert mine.name == "华东"
    with pytest.raises(PermissionDenied):
        saved_view_create(actor=users["rep_east1"], name="分享", view=view, shared=True)
    own = saved_view_create(actor=users["rep_east1"], name="我的", view=view)
    with pytest.raises(PermissionDenied):
        saved_view_share(actor=users["rep_east1"], view_id=own.pk, shared=True)
    assert not SavedView.objects.filter(owner=users["rep_east1"], shared=True).exists()


def test_rename_errors_show_next_to_the_name_and_keep_what_was_typed(
    login: Callable[[str], Client], users: dict[str, User]
) -> None:
    view = TableView()
    saved_view_create(actor=users["rep_east1"], name="甲", view=view)
    second = saved_view_create(actor=users["rep_east1"], name="乙", view=view)
    client = login("rep_east1")
    response = client.post("/customers/views/", {"id": second.pk, "action": "rename", "name": "甲"})
    assert response.status_code == 422
    html = response.content.decode()
    assert errors_of(html, f"name_{second.pk}")
    assert f'id="id_name_{second.pk}" value="甲"' in html
    second.refresh_from_db()
    assert second.name == "乙"
    with pytest.raises(ValidationFailed):
        saved_view_create(actor=users["rep_east1"], name="  ", view=view)


def test_deleting_a_view_asks_first(login: Callable[[str], Client], users: dict[str, User]) -> None:
    saved = saved_view_create(actor=users["rep_east1"], name="要删的", view=TableView())
    client = login("rep_east1")
    confirm = client.get(f"/customers/views/{saved.pk}/delete/")
    assert confirm.status_code == 200 and "要删的" in confirm.content.decode()
    assert SavedView.objects.filter(pk=saved.pk).exists()
    assert client.post(f"/customers/views/{saved.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=saved.pk).exists()


def test_one_default_view_per_user(login: Callable[[str], Client], users: dict[str, User]) -> None:
    first = saved_view_create(actor=users["rep_east1"], name="一", view=TableView(), default=True)
    second = saved_view_create(actor=users["rep_east1"], name="二", view=TableView())
    client = login("rep_east1")
    client.post("/customers/views/", {"id": second.pk, "action": "default"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


# --- Query counts ---------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "query",
    ["", "?tier=basic&city=上海&min_spend=0", "?sort=points&cols=tags&cols=service", "VIEW"],
)
def test_query_count_of_first_filtered_and_saved_view_pages_is_fixed(
    login: Callable[[str], Client],
    make_customer: Callable[..., Customer],
    users: dict[str, User],
    django_assert_max_num_queries: Callable,
    query: str,
) -> None:
    if query == "VIEW":
        view = TableView(filters=TableFilters(city="上海"), sort="last_purchase")
        saved = saved_view_create(actor=users["mgr_east"], name="视图", view=view)
        query = f"?view={saved.pk}"
    for i in range(3):
        c = make_customer("rep_east1", name=f"客{i}", city="上海", tags="VIP, 老客户")
        buy(c, "99.00")
    client = login("mgr_east")
    # session, user, programme, saved views, owners, capped count, tags, interactions, and
    # for the page two per segment (the rows of a window of keys, the window's end key); a
    # sort over an empty-able column has two segments; a membership sort over every tier walks
    # each of the four tiers' ranges of its (tier, value, id) index for keys (two queries
    # each) and then reads the rows of the merged first keys: seven queries more
    with django_assert_max_num_queries(20 if "sort=points" in query else 13):
        client.get("/customers/" + query)
    few = _queries(client, "/customers/" + query)
    for i in range(30):
        c = make_customer("rep_east2", name=f"户{i}", city="上海", tags="新客户")
        if i % 2:
            buy(c, "10.00")
    # More rows never mean more queries (a fuller first window even saves its end-key query).
    assert _queries(client, "/customers/" + query) <= few


def test_the_table_as_a_sales_rep_on_a_phone_width_has_every_column_label(
    login: Callable[[str], Client], shop: dict[str, Customer]
) -> None:
    html = login("rep_east1").get("/customers/").content.decode()
    assert 'class="table table--customers table--members"' in html
    assert html.count("data-label=") >= len(table.DEFAULT_COLUMNS) * 4


def test_cursor_round_trips_every_kind_of_key() -> None:
    samples = {
        "recent": dt.date(2025, 5, 1),
        "name": "zhangsan",
        "spend": Decimal("12.50"),
        "orders": 7,
        "last_purchase": timezone.now().replace(microsecond=0),
        "points": None,
    }
    for sort, value in samples.items():
        cursor = Cursor(sort, value, 42, forward=False)
        assert Cursor.decode(cursor.encode(), sort) == cursor


def test_a_row_shows_three_tags_and_counts_the_rest(
    login: Callable[[str], Client], make_customer: Callable[..., Customer]
) -> None:
    make_customer("rep_east1", name="多标签", tags="甲, 乙, 丙, 丁, 戊")
    row = rows_of(login("rep_east1"))[0]
    assert len(row.tags) == 3
    assert row.more_tags == 2
    assert ">+2</span>" in login("rep_east1").get("/customers/").content.decode()


@pytest.mark.parametrize("windows", [(1, 2), (2, 4, 8)])
def test_a_city_view_pages_through_the_city_index_in_the_plain_order(
    make_customer: Callable[..., Customer],
    users: dict[str, User],
    windows: tuple[int, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given customers of one city among others, registered on interleaved days
    monkeypatch.setattr(table, "WINDOWS", windows)
    today = business_today()
    for i in range(12):
        city = "西安" if i % 3 == 0 else "成都"
        c = make_customer("rep_east1", name=f"城{i:02d}", city=city)
        Customer.objects.filter(pk=c.pk).update(registered_on=today - dt.timedelta(days=i % 5))
    admin = users["admin"]
    view = TableView(filters=TableFilters(city="西安"))
    expected = list(
        Customer.objects.filter(city="西安")
        .order_by("-registered_on", "-id")
        .values_list("pk", flat=True)
    )

    # the windows read keys of that city only
    base = table.walk_base("recent", view.filters, table.scope_of(admin)).valued
    assert set(base.values_list("city", flat=True)) == {"西安"}
    seen: list[int] = []
    cursor: Cursor | None = None
    while True:
        page = table_page(admin, view, cursor, size=1)
        seen += [r.customer.pk for r in page.rows]
        if page.next is None:
            break
        cursor = Cursor.decode(page.next.encode(), "recent")
    assert seen == expected and len(expected) == 4
    # a sort without a city index reads the whole table's keys
    assert table.walk_base("spend", view.filters, table.scope_of(admin)).valued.count() == 12


@pytest.mark.parametrize(
    "url", ["/customers/?", "/customers/export/?format=csv&", "/customers/print.pdf?"]
)
def test_every_column_of_every_row_is_read_with_the_page_not_row_by_row(
    login: Callable[[str], Client],
    make_customer: Callable[..., Customer],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
) -> None:
    """The rows load only ``table.ROW_FIELDS`` of the card: a column (page, export, print)
    reading any other field would cost a query per row, and show here."""
    monkeypatch.setattr(table, "PARTICIPATION_SOURCES", [lambda ids: dict.fromkeys(ids, "春")])
    query = url + "&".join(f"cols={key}" for key in table.COLUMN_KEYS)
    client = login("mgr_east")

    def add(n: int) -> None:
        for i in range(n):
            c = make_customer(
                "rep_east1", name=f"客{i}", city="上海", tags="VIP", phones="13800001234"
            )
            buy(c, "99.00")
            interaction_log(
                actor=c.owner, customer_id=c.pk, data={"kind": "call", "summary": "回访"}
            )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(query)
            assert response.status_code == 200
            if response.streaming:
                b"".join(response.streaming_content)  # the export reads as it streams
        return len(captured.captured_queries)

    add(1)
    one = queries()
    add(12)
    assert queries() <= one


def test_no_dedicated_manager_finds_the_tiers_that_need_one_without_an_owner(
    login: Callable[[str], Client], shop: dict[str, Customer]
) -> None:
    """VIP级 gives a dedicated account manager (the default programme); 基础级 does not."""
    assert Membership.objects.get(customer=shop["big"]).tier == "vip"
    Customer.objects.filter(pk__in=[shop["big"].pk, shop["never"].pk]).update(owner=None)
    client = login("admin")

    assert names(client, "?manager_missing=on") == ["赵大"]  # 孙无 has none but needs none
    assert len(names(client, "?manager_missing=")) == 4
    Customer.objects.filter(pk=shop["big"].pk).update(owner=shop["small"].owner)
    assert names(client, "?manager_missing=on") == []
    view = TableView(filters=TableFilters(manager_missing=True))
    assert TableView.from_dict(view.as_dict()) == view and view.filters.narrows
