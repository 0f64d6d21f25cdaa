"""Recording and reading purchases: money on the wire, idempotency, paging."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from decimal import Decimal

import pytest

from tests.api.conftest import ApiClient, snapshot
from tiercard.customers.models import Customer
from tiercard.sales.models import Purchase

pytestmark = pytest.mark.django_db

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$")


_REFS = itertools.count(1)


def _purchase(ref: str = "", price: str = "128.00", qty: str = "2") -> dict[str, object]:
    """A purchase body; without ``ref`` it gets a fresh reference (the API requires one)."""
    body: dict[str, object] = {
        "external_ref": ref or f"T-{next(_REFS)}",
        "lines": [
            {"item_name": "龙井茶", "sku": "TEA-1", "quantity": qty, "unit_price": price},
            {"item_name": "茶具", "unit_price": 50, "discount": "5.5"},
        ],
        "discount": "10",
        "payment_method": "alipay",
    }
    return body


def _unreferenced(**kwargs: str) -> dict[str, object]:
    """A purchase body with no ``external_ref``."""
    return {k: v for k, v in _purchase(**kwargs).items() if k != "external_ref"}


def test_record_purchase_returns_201_with_money_as_strings(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]

    response = api("rep_east1").post(f"/customers/{customer.pk}/purchases", _purchase())

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subtotal"] == "300.50"  # 2 x 128.00 + 50 - 5.50
    assert body["discount"] == "10.00"
    assert body["total"] == "290.50"
    assert [line["amount"] for line in body["lines"]] == ["256.00", "44.50"]
    assert body["lines"][0]["quantity"] == "2"
    assert body["lines"][1]["unit_price"] == "50.00"
    assert ISO_WITH_OFFSET.match(body["occurred_at"]), body["occurred_at"]
    assert body["occurred_at"].endswith("+08:00")
    customer.refresh_from_db()
    assert customer.order_count == 1
    assert customer.total_spend == Decimal("290.50")
    card = api("rep_east1").get(f"/customers/{customer.pk}").json()
    assert card["total_spend"] == "290.50"
    assert card["order_count"] == 1


def test_json_decimals_do_not_pass_through_float(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    raw = (
        '{"external_ref": "J-1", "lines": [{"item_name": "糖", "quantity": 3, "unit_price": 0.10}]}'
    )

    response = api("rep_east1").post(f"/customers/{customer.pk}/purchases", raw)

    assert response.status_code == 201, response.content
    assert response.json()["total"] == "0.30"
    assert Purchase.objects.get().total == Decimal("0.30")


def test_replay_with_same_external_ref_returns_200_and_one_purchase(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    path = f"/customers/{customer.pk}/purchases"

    first = client.post(path, _purchase("POS-0001"))
    after_first = snapshot(customer.pk)
    second = client.post(path, _purchase("POS-0001"))
    third = client.post(path, _purchase("POS-0001"))

    assert first.status_code == 201
    assert second.status_code == 200
    assert third.status_code == 200
    assert second.json() == first.json() == third.json()
    assert Purchase.objects.count() == 1
    assert snapshot(customer.pk) == after_first  # totals and audit untouched by replays


def test_idempotency_key_header_serves_as_external_ref(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    path = f"/customers/{customer.pk}/purchases"

    first = client.post(path, _unreferenced(), **{"Idempotency-Key": "k-123"})
    replay = client.post(path, _unreferenced(), **{"Idempotency-Key": "k-123"})
    other = client.post(path, _unreferenced(price="1.00"), **{"Idempotency-Key": "k-123"})

    assert first.status_code == 201
    assert first.json()["external_ref"] == "k-123"
    assert replay.status_code == 200
    assert replay.json()["id"] == first.json()["id"]
    assert other.status_code == 422
    assert "external_ref" in other.json()["fields"]
    assert Purchase.objects.count() == 1
    customer.refresh_from_db()
    assert customer.order_count == 1


def test_idempotency_key_conflicting_with_body_ref_is_422(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]

    response = api("rep_east1").post(
        f"/customers/{customer.pk}/purchases", _purchase("A-1"), **{"Idempotency-Key": "B-2"}
    )

    assert response.status_code == 422
    assert "external_ref" in response.json()["fields"]
    assert not Purchase.objects.exists()


def test_without_a_reference_the_purchase_is_refused_and_nothing_written(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1", lang="en")
    body = _unreferenced()
    before = snapshot(customer.pk)

    for headers in ({}, {"Idempotency-Key": "  "}):
        response = client.post(f"/customers/{customer.pk}/purchases", body, **headers)

        assert response.status_code == 422, response.content
        assert response.json()["code"] == "reference_required"
        assert response.json()["fields"] == {
            "external_ref": ["An Idempotency-Key header or external_ref is required."]
        }
    assert snapshot(customer.pk) == before
    assert Purchase.objects.count() == 0


def test_service_role_may_record_marketing_may_not(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["south"]
    service = api("service")
    marketing = api("marketing")

    assert service.post(f"/customers/{customer.pk}/purchases", _purchase()).status_code == 201
    before = snapshot(customer.pk)
    refused = marketing.post(f"/customers/{customer.pk}/purchases", _purchase())

    assert refused.status_code == 403
    assert snapshot(customer.pk) == before


def test_purchase_list_pages_newest_first_with_a_cursor(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    base = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
    for i in range(5):
        body = {**_purchase(f"P{i}"), "occurred_at": (base + dt.timedelta(days=i)).isoformat()}
        assert client.post(f"/customers/{customer.pk}/purchases", body).status_code == 201

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/customers/{customer.pk}/purchases", params).json()
        seen += [p["external_ref"] for p in page["items"]]
        pages += 1
        cursor = page["next"]
        if not cursor:
            break

    assert seen == ["P4", "P3", "P2", "P1", "P0"]
    assert pages == 3


def test_purchase_detail(book: dict[str, Customer], api: Callable[..., ApiClient]) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    created = client.post(f"/customers/{customer.pk}/purchases", _purchase("D-1")).json()

    response = client.get(f"/purchases/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created
    assert client.get(f"/purchases/{created['id'] + 100}").status_code == 404


def test_purchase_and_interaction_lists_cost_a_fixed_number_of_queries(
    book: dict[str, Customer],
    api: Callable[..., ApiClient],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    client.get("/me")  # the token's first use stamps last_used_at

    def grow(n: int, start: int) -> None:
        for i in range(start, start + n):
            client.post(f"/customers/{customer.pk}/purchases", _purchase(f"Q{i}"))
            client.post(
                f"/customers/{customer.pk}/interactions", {"kind": "note", "summary": f"{i}"}
            )

    grow(2, 0)
    counts = []
    for size in (2, 12):
        if size > 2:
            grow(10, 2)
        for path in ("purchases", "interactions", "timeline"):
            # The timeline reads seven sources (11); the lists far fewer.
            with django_assert_max_num_queries(11) as captured:
                response = client.get(f"/customers/{customer.pk}/{path}", {"limit": 50})
            assert response.status_code == 200
            counts.append((path, len(captured.captured_queries)))  # type: ignore[attr-defined]
        with django_assert_max_num_queries(6):
            assert client.get(f"/customers/{customer.pk}").status_code == 200

    assert counts[:3] == counts[3:], counts  # 2 rows or 12: the same number of queries


def test_the_tier_discount_over_the_api_and_its_refusal(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    for ref in ("t-1", "t-2"):  # 标准级 (2%) on two orders of 1,000
        body = {"external_ref": ref, "lines": [{"item_name": "茶", "unit_price": "1000"}]}
        assert client.post(f"/customers/{customer.pk}/purchases", body).status_code == 201
    line = [{"item_name": "茶", "unit_price": "250"}]

    taken = client.post(
        f"/customers/{customer.pk}/purchases",
        {"external_ref": "t-3", "lines": line, "tier_discount": True},
    )
    before = snapshot(customer.pk)
    both = {"external_ref": "t-4", "lines": line, "tier_discount": True, "discount": "1"}
    refused = client.post(f"/customers/{customer.pk}/purchases", both)

    assert taken.status_code == 201, taken.content
    assert (taken.json()["discount"], taken.json()["total"]) == ("5.00", "245.00")
    assert taken.json()["tier_discount_percent"] == "2.0"
    assert refused.status_code == 422
    assert "discount" in refused.json()["fields"]
    assert snapshot(customer.pk) == before
