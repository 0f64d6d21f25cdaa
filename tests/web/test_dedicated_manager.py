"""Removing a VIP's dedicated account manager is refused, the error beside the owner field."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.api.conftest import snapshot
from tests.loyalty.tiers_support import vip_member
from tests.web.conftest import errors_of
from tests.web.test_customer_forms import edit_data
from tiercard.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(book: dict[str, Customer]) -> Customer:
    return vip_member(book["east1"])


HTMX = {"HX-Request": "true"}


def test_the_web_shows_the_refusal_beside_the_owner_field(
    vip: Customer, login: Callable[[str], Client]
) -> None:
    client = login("admin")
    before = snapshot(vip.pk)

    quick = client.post(f"/customers/{vip.pk}/owner/", {"owner_id": ""}, headers=HTMX)
    edit = client.post(f"/customers/{vip.pk}/edit/", edit_data(vip, owner_id=""))

    refusal = "VIP级客户应有专属客户经理：请改为交给其他客户经理。"
    assert refusal in errors_of(quick.content, "owner_id")
    assert refusal in errors_of(edit.content, "owner_id")
    assert snapshot(vip.pk) == before
