"""Arbitrary JSON never crashes the write endpoints: every answer is 2xx or a 4xx error body."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import ApiClient
from tiercard.customers.models import Customer
from tiercard.customers.services import ALL_KEYS
from tiercard.sales.services import LINE_KEYS, PURCHASE_KEYS

pytestmark = pytest.mark.django_db

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=120),
    st.sampled_from(["2024年13月40日", "¥1,234.50", "-0", "1e999", "13812345678", "a@b", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _bodies(keys: frozenset[str], extra: st.SearchStrategy[Any] | None = None) -> Any:
    known = st.dictionaries(st.sampled_from(sorted(keys)), values, max_size=6)
    unknown = st.dictionaries(st.text(max_size=10), values, max_size=1)
    merged = st.tuples(known, unknown).map(lambda kv: {**kv[1], **kv[0]})
    return merged if extra is None else st.one_of(merged, extra)


def _assert_clean(response: Any) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        body = response.json()
        assert set(body) <= {"code", "message", "fields"}, body
        assert isinstance(body["code"], str) and isinstance(body["message"], str)
        for messages in (body.get("fields") or {}).values():
            assert all(isinstance(m, str) and m for m in messages)


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=_bodies(ALL_KEYS | {"name", "version"}, st.lists(values, max_size=2)))
def test_customer_writes_never_crash(
    body: Any, book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    client = api("mgr_east")
    _assert_clean(client.post("/customers", body))
    _assert_clean(client.patch(f"/customers/{book['east1'].pk}", body))


lines = st.lists(_bodies(LINE_KEYS), max_size=3)


@FUZZ
@given(body=_bodies(PURCHASE_KEYS), line_list=st.one_of(lines, values))
def test_purchase_writes_never_crash(
    body: dict[str, Any], line_list: Any, book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    client = api("rep_east1")
    _assert_clean(
        client.post(f"/customers/{book['east1'].pk}/purchases", {**body, "lines": line_list})
    )


cursor_payloads = st.fixed_dictionaries(
    {"s": st.sampled_from(["customers:recent", "customers:spend", "customers:orders", "x"])},
    optional={"k": values, "id": values},
)


@FUZZ
@given(payload=cursor_payloads, sort=st.sampled_from(["recent", "spend", "orders", "name"]))
def test_forged_cursors_are_422_never_500(
    payload: dict[str, Any], sort: str, book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    raw = json.dumps(payload, default=str).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")

    response = api("admin").get("/customers", {"sort": sort, "cursor": cursor})

    _assert_clean(response)
    assert response.status_code in {200, 422}


HUGE = 10**20


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"/customers/{HUGE}", None),
        ("patch", f"/customers/{HUGE}", {"notes": "x"}),
        ("post", f"/customers/{HUGE}/archive", None),
        ("post", f"/customers/{HUGE}/reveal", None),
        (
            "post",
            f"/customers/{HUGE}/purchases",
            {"external_ref": "R-1", "lines": [{"item_name": "a", "unit_price": 1}]},
        ),
        ("post", f"/customers/{HUGE}/interactions", {"kind": "call", "summary": "a"}),
        ("get", f"/customers/{HUGE}/timeline", None),
        ("get", f"/purchases/{HUGE}", None),
        ("patch", f"/contacts/{HUGE}", {"name": "a"}),
        ("delete", f"/contacts/{HUGE}", None),
    ],
)
def test_ids_beyond_64_bits_are_404(
    method: str, path: str, body: Any, book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    client = api("admin")
    if method == "get":
        response = client.get(path)
    elif method == "delete":
        response = client.delete(path)
    else:
        response = getattr(client, method)(path, body or {})

    assert response.status_code == 404, response.content


@pytest.mark.parametrize("param", ["owner_id", "team_id"])
def test_id_filters_beyond_64_bits_are_422(
    param: str, book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    response = api("admin").get("/customers", {param: HUGE})

    assert response.status_code == 422
    assert param in response.json()["fields"]


@pytest.mark.parametrize("field", ["owner_id", "version"])
def test_id_fields_beyond_64_bits_are_422(
    field: str, book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    response = api("admin").patch(f"/customers/{book['east1'].pk}", {field: HUGE})

    assert response.status_code == 422
    assert field in response.json()["fields"]


@pytest.mark.parametrize(
    ("sort", "key", "pk"),
    [
        ("recent", "2024-01-01", HUGE),
        ("orders", HUGE, 1),
        ("orders", -HUGE, 1),
        ("spend", "1" * 40, 1),
        ("spend", "1e999999", 1),
        ("spend", "NaN", 1),
        ("last_purchase", "2024-01-01T00:00:00", 1),
        ("recent", None, 1),
        ("name", 5, 1),
        ("recent", "2024-01-01", 0),
        ("recent", "2024-01-01", True),
    ],
)
def test_out_of_range_cursor_values_are_422(
    sort: str, key: Any, pk: Any, book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    raw = json.dumps({"s": f"customers:{sort}", "k": key, "id": pk}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")

    response = api("admin").get("/customers", {"sort": sort, "cursor": cursor})

    assert response.status_code == 422, response.content
    assert "cursor" in response.json()["fields"]
