"""Customer endpoints: create, read, partial update with versions, archive, list and paging."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test.utils import override_settings

from tests.api.conftest import ApiClient, snapshot
from tiercard.accounts.models import User
from tiercard.api.customers import CUSTOMER_KEYS
from tiercard.customers.models import Customer
from tiercard.customers.selectors import SORTS
from tiercard.loyalty.services.checkout import purchase_record

pytestmark = pytest.mark.django_db


def test_create_returns_201_and_the_full_card(
    users: dict[str, User], api: Callable[..., ApiClient]
) -> None:
    response = api("rep_east1").post(
        "/customers",
        {
            "name": "周九",
            "phones": ["138 1234 5678", "010-12345678"],
            "emails": "zhou@Example.COM",
            "birthday": "1990年5月1日",
            "tags": ["茶客", "VIP"],
            "credit_limit": "5000",
            "city": "杭州",
        },
    )

    assert response.status_code == 201, response.content
    card = response.json()
    customer = Customer.objects.get(pk=card["id"])
    assert card["name"] == customer.name == "周九"
    assert card["owner"] == {"id": users["rep_east1"].pk, "name": "rep_east1"}
    assert card["team"] == {"id": users["rep_east1"].team_id, "name": "华东"}
    assert card["phone"] == "13812345678"
    assert card["email"] == "zhou@example.com"
    assert card["birthday"] == "1990-05-01"
    assert sorted(card["tags"]) == ["VIP", "茶客"]
    assert card["credit_limit"] == "5000.00"
    assert card["total_spend"] == "0.00"
    assert card["version"] == 1
    assert {p["kind"] for p in card["contact_points"]} == {"mobile", "phone", "email"}
    assert re.search(r"[+-]\d{2}:\d{2}$", card["created_at"])


def test_sales_cannot_create_for_someone_else(
    users: dict[str, User], api: Callable[..., ApiClient]
) -> None:
    response = api("rep_east1").post(
        "/customers", {"name": "周九", "owner_id": users["rep_south"].pk}
    )

    assert response.status_code == 422
    assert "owner_id" in response.json()["fields"]
    assert not Customer.objects.exists()


def test_patch_changes_only_what_is_sent_and_bumps_the_version(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["south"]
    client = api("rep_south")

    response = client.patch(f"/customers/{customer.pk}", {"city": "广州", "version": 1})

    assert response.status_code == 200, response.content
    card = response.json()
    assert card["city"] == "广州"
    assert card["version"] == 2
    assert card["phone"] == "13712345670"  # untouched
    assert card["email"] == "wangwu@example.com"


def test_stale_version_is_409_and_changes_nothing(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["south"]
    client = api("rep_south")
    first = client.patch(f"/customers/{customer.pk}", {"city": "广州", "version": 1})
    assert first.status_code == 200
    before = snapshot(customer.pk)

    response = client.patch(f"/customers/{customer.pk}", {"city": "深圳", "version": 1})

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert snapshot(customer.pk) == before


def test_patch_null_clears_a_field(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["south"]

    response = api("rep_south").patch(f"/customers/{customer.pk}", {"emails": None})

    assert response.status_code == 200
    assert response.json()["email"] == ""


def test_archive_and_restore(book: dict[str, Customer], api: Callable[..., ApiClient]) -> None:
    customer = book["east1"]
    client = api("mgr_east")

    archived = client.post(f"/customers/{customer.pk}/archive", {"reason": "停业"})
    default_list = {i["id"] for i in client.get("/customers").json()["items"]}
    archived_list = {
        i["id"] for i in client.get("/customers", {"status": "archived"}).json()["items"]
    }
    restored = client.post(f"/customers/{customer.pk}/restore")

    assert archived.status_code == 200
    assert archived.json()["status"] == "archived"
    assert customer.pk not in default_list
    assert archived_list == {customer.pk}
    assert restored.status_code == 200
    assert restored.json()["status"] == "active"


def test_archive_without_body(book: dict[str, Customer], api: Callable[..., ApiClient]) -> None:
    customer = book["east1"]

    response = api("admin").client.post(
        f"/api/v1/customers/{customer.pk}/archive", content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "archived"


# --- list: filters, sorting and paging ---------------------------------------------------------


@pytest.fixture
def many(users: dict[str, User], make_customer: Callable[..., Customer]) -> list[Customer]:
    """Twelve customers of rep_east1 with spends 0..110 and varied cities, tags and dates."""
    made = []
    for i in range(12):
        customer = make_customer(
            "rep_east1",
            name=f"客户{i:02d}",
            city="杭州" if i % 2 else "宁波",
            tags=["老客"] if i % 3 == 0 else [],
            kind="company" if i % 4 == 0 else "person",
            registered_on=(dt.date(2024, 1, 1) + dt.timedelta(days=i % 5)).isoformat(),
        )
        if i:
            purchase_record(
                actor=users["rep_east1"],
                customer_id=customer.pk,
                data={
                    "lines": [{"item_name": "茶", "unit_price": str(10 * i)}],
                    "occurred_at": f"2024-03-{i + 1:02d}T10:00:00+08:00",
                },
            )
        made.append(customer)
    return made


def _all_pages(client: ApiClient, params: dict[str, object]) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    for _ in range(50):
        page = client.get("/customers", {**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.content
        items += page.json()["items"]
        cursor = page.json()["next"]
        if not cursor:
            return items
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("sort", ["recent", "name", "spend", "last_purchase", "orders"])
def test_cursor_paging_visits_every_row_once_in_order(
    sort: str, many: list[Customer], api: Callable[..., ApiClient]
) -> None:
    client = api("rep_east1")

    paged = _all_pages(client, {"sort": sort, "limit": 5})
    whole = client.get("/customers", {"sort": sort, "limit": 100}).json()["items"]

    assert [i["id"] for i in paged] == [i["id"] for i in whole]
    assert len(paged) == len({i["id"] for i in paged}) == 12


def test_sort_orders(many: list[Customer], api: Callable[..., ApiClient]) -> None:
    client = api("rep_east1")

    spend = [
        Decimal(i["total_spend"])
        for i in client.get("/customers", {"sort": "spend"}).json()["items"]
    ]
    last = [
        i["last_purchase_at"]
        for i in client.get("/customers", {"sort": "last_purchase", "limit": 100}).json()["items"]
    ]

    assert spend == sorted(spend, reverse=True)
    assert last[-1] is None  # the customer without purchases comes last on every database
    assert last[:-1] == sorted(last[:-1], reverse=True)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"city": "杭州"}, {f"客户{i:02d}" for i in range(1, 12, 2)}),
        ({"tag": "老客"}, {"客户00", "客户03", "客户06", "客户09"}),
        ({"kind": "company"}, {"客户00", "客户04", "客户08"}),
        ({"min_spend": "50", "max_spend": "¥80"}, {"客户05", "客户06", "客户07", "客户08"}),
        ({"q": "客户1"}, {"客户10", "客户11"}),
    ],
)
def test_filters(
    params: dict[str, str], expected: set[str], many: list[Customer], api: Callable[..., ApiClient]
) -> None:
    items = api("rep_east1").get("/customers", {**params, "limit": 100}).json()["items"]

    assert {i["name"] for i in items} == expected


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_keyset_specs_match_the_selector_orderings(sort: str) -> None:
    spec = CUSTOMER_KEYS[sort]
    sign = "-" if spec.descending else ""

    assert SORTS[sort] == (sign + spec.field, sign + "id")


def test_team_filter(
    book: dict[str, Customer], users: dict[str, User], api: Callable[..., ApiClient]
) -> None:
    team_id = users["rep_south"].team_id
    items = api("admin").get("/customers", {"team_id": team_id}).json()["items"]

    assert [i["id"] for i in items] == [book["south"].pk]


def test_owner_filter(
    book: dict[str, Customer], users: dict[str, User], api: Callable[..., ApiClient]
) -> None:
    items = api("mgr_east").get("/customers", {"owner_id": users["rep_east2"].pk}).json()["items"]

    assert [i["id"] for i in items] == [book["east2"].pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_spend": "lots"}, "min_spend"),
        ({"status": "deleted"}, "status"),
        ({"sort": "random"}, "sort"),
        ({"kind": "robot"}, "kind"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": 10_001}, "offset"),
    ],
)
def test_bad_list_parameters_are_422(
    params: dict[str, object], field: str, book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    response = api("rep_east1", lang="en").get("/customers", params)

    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]


def test_cursor_of_another_sort_is_refused(
    many: list[Customer], api: Callable[..., ApiClient]
) -> None:
    client = api("rep_east1")
    cursor = client.get("/customers", {"sort": "spend", "limit": 2}).json()["next"]

    response = client.get("/customers", {"sort": "name", "cursor": cursor})

    assert response.status_code == 422
    assert "cursor" in response.json()["fields"]


def test_page_size_is_capped(many: list[Customer], api: Callable[..., ApiClient]) -> None:
    client = api("rep_east1")

    with override_settings(TIERCARD_API_MAX_PAGE_SIZE=5):
        page = client.get("/customers", {"limit": 1000}).json()

    assert len(page["items"]) == 5
    assert page["next"] is not None


def test_default_page_has_no_count_and_count_is_opt_in(
    many: list[Customer], api: Callable[..., ApiClient]
) -> None:
    client = api("rep_east1")

    plain = client.get("/customers", {"limit": 3}).json()
    counted = client.get("/customers", {"limit": 3, "with_count": "true"}).json()

    assert plain["count"] is None
    assert counted["count"] == 12
    assert len(counted["items"]) == 3


def test_offset_paging(many: list[Customer], api: Callable[..., ApiClient]) -> None:
    client = api("rep_east1")
    whole = [i["id"] for i in client.get("/customers", {"limit": 100}).json()["items"]]

    page = client.get("/customers", {"limit": 4, "offset": 4}).json()

    assert [i["id"] for i in page["items"]] == whole[4:8]


def test_list_query_count_is_bounded_and_independent_of_rows(
    users: dict[str, User],
    make_customer: Callable[..., Customer],
    api: Callable[..., ApiClient],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = api("mgr_east")
    client.get("/me")  # the token's first use also stamps last_used_at
    for i in range(3):
        make_customer("rep_east1", name=f"甲{i}", tags=["a", f"t{i}"], phones=f"1380000000{i}")
    with django_assert_max_num_queries(4):
        few = client.get("/customers", {"limit": 100})
    for i in range(30):
        make_customer("rep_east2", name=f"乙{i}", tags=["b", f"u{i}"], phones=f"1390000{i:04d}")

    with django_assert_max_num_queries(4) as captured:
        more = client.get("/customers", {"limit": 100})

    assert len(few.json()["items"]) == 3
    assert len(more.json()["items"]) == 33
    assert len(captured.captured_queries) <= 4  # type: ignore[attr-defined]
