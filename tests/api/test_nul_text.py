"""Text holding the NUL character is refused at the API's door: 422 naming the field, nothing
written. PostgreSQL cannot store it (it was a 500 there); both databases answer the same."""

from __future__ import annotations

from typing import Any

import pytest

from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.sales.models import Purchase
from tiercard.servicedesk.models import ServiceTicket

pytestmark = pytest.mark.django_db


def _state() -> tuple[int, ...]:
    return (
        Customer.objects.count(),
        Interaction.objects.count(),
        ServiceTicket.objects.count(),
        Purchase.objects.count(),
        AuditEvent.objects.exclude(action="token").count(),
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/customers/{pk}/interactions", {"kind": "call", "summary": "a\x00b"}, "summary"),
        ("/customers/{pk}/service-tickets", {"kind": "complaint", "subject": "\x00"}, "subject"),
        ("/customers", {"name": "张\x00三"}, "name"),
        (
            "/customers/{pk}/purchases",
            {"lines": [{"item_name": "茶\x00", "unit_price": "10"}]},
            "lines.0.item_name",
        ),
    ],
)
def test_nul_in_a_body_is_422_on_its_field(
    api: Any, book: dict[str, Customer], path: str, body: dict[str, Any], field: str
) -> None:
    client = api("rep_east1")
    before = _state()

    response = client.post(path.format(pk=book["east1"].pk), body)

    assert response.status_code == 422, response.content
    assert response.json()["fields"] == {field: ["文本中不能含有 NUL 字符。"]}
    assert _state() == before


def test_nul_in_a_query_is_422_on_its_name(api: Any, book: dict[str, Customer]) -> None:
    response = api("rep_east1").get("/customers", {"q": "a\x00b"})

    assert response.status_code == 422, response.content
    assert list(response.json()["fields"]) == ["q"]
