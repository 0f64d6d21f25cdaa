"""The loyalty records in the Django admin: browsable by administrators, never editable there."""

from __future__ import annotations

import pytest
from django.test import Client

from tiercard.loyalty.models import TierLadder
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.rewards import points_redeem, reward_create

pytestmark = pytest.mark.django_db

MODELS = [
    "loyalty/tierladder",
    "loyalty/membership",
    "loyalty/reviewmark",
    "loyalty/tierchange",
    "loyalty/growthentry",
    "loyalty/pointsentry",
    "loyalty/pointslot",
    "loyalty/reward",
    "loyalty/redemption",
    "loyalty/benefituse",
    "outbox/outboxmessage",
]


@pytest.fixture
def staff(users: dict) -> dict:
    for user in users.values():
        user.is_staff = True
        user.is_superuser = user.role == "admin"
        user.save()
    return users


@pytest.fixture
def history(staff: dict, book: dict) -> None:
    for i in range(2):
        data = {"external_ref": f"p-{i}", "lines": [{"item_name": "茶", "unit_price": "1000"}]}
        purchase_record(actor=staff["rep_east1"], customer_id=book["east1"].pk, data=data)
    reward_create(
        actor=staff["admin"],
        data={
            "code": "tea",
            "name_zh": "茶",
            "name_en": "Tea",
            "kind": "gift",
            "points_cost": "100",
        },
    )
    points_redeem(
        actor=staff["rep_east1"],
        customer_id=book["east1"].pk,
        reward_code="tea",
        quantity=1,
        key="r",
    )


def test_every_loyalty_list_opens_read_only_for_the_administrator(
    staff: dict, history: None
) -> None:
    client = Client()
    client.force_login(staff["admin"])
    for model in MODELS:
        response = client.get(f"/admin/{model}/")
        assert response.status_code == 200, model
        assert f"/admin/{model}/add/" not in response.content.decode(), model
    assert "张三" in client.get("/admin/loyalty/tierchange/").content.decode()
    detail = client.get("/admin/loyalty/tierladder/1/change/").content.decode()
    assert "标准级" in detail and 'name="_save"' not in detail


def test_copy_into_a_new_draft_is_an_admin_action(staff: dict) -> None:
    client = Client()
    client.force_login(staff["admin"])
    response = client.post(
        "/admin/loyalty/tierladder/",
        {"action": "copy_into_draft", "_selected_action": ["1"]},
    )
    assert response.status_code == 302
    draft = TierLadder.objects.get(version=2)
    assert not draft.is_active and draft.rules == TierLadder.objects.get(version=1).rules
    assert draft.created_by == staff["admin"]


@pytest.mark.parametrize("who", ["mgr_east", "rep_east1"])
def test_other_roles_do_not_get_in(staff: dict, who: str) -> None:
    client = Client()
    client.force_login(staff[who])
    for model in MODELS:
        response = client.get(f"/admin/{model}/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.post(
        "/admin/loyalty/tierladder/", {"action": "copy_into_draft", "_selected_action": ["1"]}
    )
    assert TierLadder.objects.count() == 1
