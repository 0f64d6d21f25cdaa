"""Bad input: 422 ``validation_error`` naming the field, in Chinese by default and in English
with ``Accept-Language: en``, and nothing written."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import ApiClient, has_cjk, snapshot
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.sales.models import Purchase

pytestmark = pytest.mark.django_db

REF = {"external_ref": "V-1"}
TEA = {"item_name": "龙井茶", "quantity": "1", "unit_price": "128.00"}

# (case, method, path template, body, field named, English message contains)
CASES: list[tuple[str, str, str, dict[str, Any], str, str]] = [
    (
        "invalid phone",
        "post",
        "/customers",
        {"name": "周九", "phones": ["12345"]},
        "phones",
        "is not a valid phone number",
    ),
    (
        "invalid email",
        "post",
        "/customers",
        {"name": "周九", "emails": "zhou@@example"},
        "emails",
        "is not a valid email address",
    ),
    (
        "impossible date",
        "post",
        "/customers",
        {"name": "周九", "birthday": "2024年13月40日"},
        "birthday",
        "is not a valid date",
    ),
    (
        "name of 101 characters",
        "post",
        "/customers",
        {"name": "张" * 101},
        "name",
        "at most 100 characters",
    ),
    (
        "unknown field",
        "post",
        "/customers",
        {"name": "周九", "vip_level": 3},
        "vip_level",
        "Unknown field",
    ),
    (
        "over-long text on update",
        "patch",
        "/customers/{id}",
        {"city": "城" * 31},
        "city",
        "at most 30 characters",
    ),
    (
        "invalid phone on update",
        "patch",
        "/customers/{id}",
        {"phones": "138-1234"},
        "phones",
        "is not a valid phone number",
    ),
    (
        "negative credit limit",
        "patch",
        "/customers/{id}",
        {"credit_limit": "-100"},
        "credit_limit",
        "cannot be negative",
    ),
    (
        "negative unit price",
        "post",
        "/customers/{id}/purchases",
        {**REF, "lines": [{**TEA, "unit_price": "-5"}]},
        "lines.0.unit_price",
        "cannot be negative",
    ),
    (
        "non-numeric amount",
        "post",
        "/customers/{id}/purchases",
        {**REF, "lines": [{**TEA, "unit_price": "一百元"}]},
        "lines.0.unit_price",
        "is not an amount of money",
    ),
    (
        "amount of the wrong JSON type",
        "post",
        "/customers/{id}/purchases",
        {**REF, "lines": [{**TEA, "unit_price": True}]},
        "lines.0.unit_price",
        "Enter an amount",
    ),
    (
        "negative order discount",
        "post",
        "/customers/{id}/purchases",
        {**REF, "discount": -1, "lines": [TEA]},
        "discount",
        "cannot be negative",
    ),
    (
        "unknown field on a purchase line",
        "post",
        "/customers/{id}/purchases",
        {**REF, "lines": [{**TEA, "colour": "red"}]},
        "lines.0.colour",
        "Unknown field",
    ),
    (
        "purchase time that is not a time",
        "post",
        "/customers/{id}/purchases",
        {**REF, "occurred_at": "2024年13月40日", "lines": [TEA]},
        "occurred_at",
        "is not a valid date and time",
    ),
    (
        "interaction without summary",
        "post",
        "/customers/{id}/interactions",
        {"kind": "call"},
        "summary",
        "",
    ),
    (
        "interaction with a bad kind",
        "post",
        "/customers/{id}/interactions",
        {"kind": "telepathy", "summary": "聊了聊"},
        "kind",
        "",
    ),
    (
        "contact with invalid mobile",
        "post",
        "/customers/{id}/contacts",
        {"name": "钱八", "mobile": "10086x"},
        "mobile",
        "is not a valid phone number",
    ),
    (
        "owner id that is not a number",
        "post",
        "/customers",
        {"name": "周九", "owner_id": "someone"},
        "owner_id",
        "whole number",
    ),
]


def _without_echo(message: str) -> str:
    """The message less the rejected value it quotes (“2024年13月40日”)."""
    return re.sub(r"“[^”]*”", "", message)


def _send(client: ApiClient, method: str, path: str, body: dict[str, Any]) -> Any:
    return client.patch(path, body) if method == "patch" else client.post(path, body)


@pytest.mark.parametrize(("lang", "case"), [(lang, c) for c in CASES for lang in ("zh", "en")])
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    lang: str,
    case: tuple[str, str, str, dict[str, Any], str, str],
    book: dict[str, Customer],
    api: Callable[..., ApiClient],
) -> None:
    name, method, template, body, field, english = case
    customer = book["east1"]
    client = api("rep_east1", lang="en" if lang == "en" else None)
    before = snapshot(customer.pk)
    customers_before = Customer.objects.count()

    response = _send(client, method, template.format(id=customer.pk), body)

    assert response.status_code == 422, (name, response.content)
    payload = response.json()
    assert payload["code"] == "validation_error", name
    assert field in payload["fields"], (name, payload)
    messages = payload["fields"][field]
    assert messages, name
    if lang == "zh":
        assert has_cjk(payload["message"]), (name, payload)
        assert all(has_cjk(m) for m in messages), (name, messages)
        assert response["Content-Language"] == "zh-hans"
    else:
        assert payload["message"] == "Some fields are invalid."
        assert not any(has_cjk(_without_echo(m)) for m in messages), (name, messages)
        assert english in " ".join(messages), (name, messages)
        assert response["Content-Language"] == "en"
    assert snapshot(customer.pk) == before, name
    assert Customer.objects.count() == customers_before, name


def test_over_long_name_is_not_truncated_silently(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    response = api("rep_east1").post("/customers", {"name": "张" * 101})

    assert response.status_code == 422
    assert not Customer.objects.filter(name__startswith="张" * 100).exists()


def test_duplicate_external_ref_for_a_different_purchase(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    client = api("rep_east1")
    first = client.post(
        f"/customers/{customer.pk}/purchases", {"external_ref": "POS-1", "lines": [TEA]}
    )
    assert first.status_code == 201
    before = snapshot(customer.pk)

    for lang, header in (("zh", {}), ("en", {"Accept-Language": "en"})):
        response = client.post(
            f"/customers/{customer.pk}/purchases",
            {"external_ref": "POS-1", "lines": [{**TEA, "unit_price": "999.00"}]},
            **header,
        )
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "duplicate_external_ref"
        assert list(body["fields"]) == ["external_ref"]
        message = body["fields"]["external_ref"][0]
        assert has_cjk(message) if lang == "zh" else "already used" in message

    assert snapshot(customer.pk) == before
    assert Purchase.objects.count() == 1


def test_all_field_errors_are_reported_at_once(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    response = api("rep_east1", lang="en").post(
        "/customers", {"name": "周九", "phones": "123", "emails": "x@", "birthday": "明天"}
    )

    assert response.status_code == 422
    assert {"phones", "emails", "birthday"} <= set(response.json()["fields"])


def test_schema_and_business_errors_do_not_leak_pydantic_wording(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    response = api("rep_east1", lang="en").post("/customers", {"name": 12, "tags": {"a": 1}})

    assert response.status_code == 422
    fields = response.json()["fields"]
    assert fields["name"] == ["Enter text."]
    assert fields["tags"] == ["Enter text or a list of texts."]


def test_body_that_is_not_json_is_400(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    client = api("rep_east1")
    audit_before = AuditEvent.objects.count()

    response = client.post("/customers", "{not json")

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert Customer.objects.count() == len(book)
    assert AuditEvent.objects.count() == audit_before


def test_body_that_is_not_an_object_is_422(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    response = api("rep_east1").post("/customers", ["周九"])

    assert response.status_code == 422
    assert "body" in response.json()["fields"]
