"""The OpenAPI document, and the error shape for routes, methods and crashes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from tests.api.conftest import BASE, ApiClient
from tiercard.customers.models import Customer

pytestmark = pytest.mark.django_db

KEY_OPERATIONS = {
    "/api/v1/me": {"get"},
    "/api/v1/customers": {"get", "post"},
    "/api/v1/customers/{customer_id}": {"get", "patch"},
    "/api/v1/customers/{customer_id}/archive": {"post"},
    "/api/v1/customers/{customer_id}/restore": {"post"},
    "/api/v1/customers/{customer_id}/reveal": {"post"},
    "/api/v1/customers/{customer_id}/contacts": {"get", "post"},
    "/api/v1/contacts/{contact_id}": {"patch", "delete"},
    "/api/v1/customers/{customer_id}/purchases": {"get", "post"},
    "/api/v1/purchases/{purchase_id}": {"get"},
    "/api/v1/customers/{customer_id}/interactions": {"get", "post"},
    "/api/v1/customers/{customer_id}/timeline": {"get"},
    "/api/v1/points/entries/{entry_id}/reverse": {"post"},
}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@pytest.fixture
def schema(db: None) -> dict[str, Any]:
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_schema_lists_the_key_operations(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    for path, methods in KEY_OPERATIONS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
    assert not any("{rest}" in p or "{path" in p for p in schema["paths"])


def test_schema_is_internally_consistent(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    for ref in _refs(schema):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in components, ref
    operation_ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_schema_describes_auth_and_the_error_shape(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BearerToken"].items()
    error = schema["components"]["schemas"]["ErrorOut"]
    assert {"code", "message"} <= set(error["required"])
    assert "fields" in error["properties"]
    for path, item in schema["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            for status in ("401", "422"):
                ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (path, method, status)
            assert op.get("security"), (path, method)


def test_money_is_documented_as_a_string(schema: dict[str, Any]) -> None:
    purchase = schema["components"]["schemas"]["PurchaseOut"]["properties"]
    assert purchase["total"]["type"] == "string"
    assert purchase["total"]["pattern"]


def test_docs_page_is_served(db: None) -> None:
    response = Client().get(f"{BASE}/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_unknown_route_is_404_in_the_error_shape(api: Callable[..., ApiClient]) -> None:
    for path in ("/nope", "/customers/abc", "/customers/1/nothing", "/purchases/"):
        response = api("admin").get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


def test_wrong_method_is_405_in_the_error_shape(api: Callable[..., ApiClient]) -> None:
    response = api("admin").delete("/me")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == "GET"


def test_unexpected_errors_are_500_without_a_traceback(
    book: dict[str, Customer], api: Callable[..., ApiClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(**_kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM vault")

    monkeypatch.setattr("tiercard.api.customers.customer_get", explode)

    response = api("admin", lang="en").get(f"/customers/{book['east1'].pk}")

    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "message": "An unexpected error occurred. It has been logged.",
    }
    assert b"secret" not in response.content
    assert b"Traceback" not in response.content


def test_responses_are_not_cached(book: dict[str, Customer], api: Callable[..., ApiClient]) -> None:
    response = api("admin").get(f"/customers/{book['east1'].pk}")

    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "张三".encode() in response.content  # UTF-8, not \\u escapes
