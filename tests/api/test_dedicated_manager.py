"""Removing the dedicated account manager a VIP's tier promises is refused, 422 manager_required."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import ApiClient, snapshot
from tests.loyalty.tiers_support import vip_member
from tiercard.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(book: dict[str, Customer]) -> Customer:
    return vip_member(book["east1"])


def test_the_api_answers_422_manager_required_on_both_endpoints(
    vip: Customer, api: Callable[..., ApiClient]
) -> None:
    client = api("admin", lang="en")
    before = snapshot(vip.pk)

    put = client._send("put", f"/customers/{vip.pk}/owner", {"owner_id": None})
    patch = client.patch(f"/customers/{vip.pk}", {"owner_id": None})

    for response in (put, patch):
        assert response.status_code == 422, response.content
        assert response.json()["code"] == "manager_required"
        assert response.json()["fields"] == {
            "owner_id": [
                "VIP customers have a dedicated account manager: hand the customer to "
                "someone else instead."
            ]
        }
    assert snapshot(vip.pk) == before
