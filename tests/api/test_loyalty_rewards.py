"""The reward catalogue through the API: what is on offer, and administrators editing it."""

from __future__ import annotations

import pytest

from tests.api.loyalty_support import loyalty_state
from tiercard.loyalty.models import Reward
from tiercard.loyalty.services.rewards import reward_create

pytestmark = pytest.mark.django_db

NEW = {"code": "tea", "name_zh": "茶叶礼盒", "name_en": "Tea box", "points_cost": 300}


def make(users, **data):
    return reward_create(actor=users["admin"], data={**NEW, **data})


def test_admin_creates_a_reward(users, api):
    response = api("admin").post("/rewards", {**NEW, "stock": 10, "valid_until": "2030-12-31"})

    assert response.status_code == 201, response.content
    body = response.json()
    reward = Reward.objects.get()
    assert body == {
        "id": reward.pk,
        "code": "tea",
        "name_zh": "茶叶礼盒",
        "name_en": "Tea box",
        "kind": "gift",
        "points_cost": 300,
        "stock": 10,
        "in_stock": True,
        "valid_from": None,
        "valid_until": "2030-12-31",
        "min_tier": "",
        "active": True,
        "description": "",
        "created_at": body["created_at"],
    }


@pytest.mark.parametrize(
    ("who", "body", "status", "code", "fields"),
    [
        ("admin", {**NEW, "min_tier": "gold"}, 422, "validation_error", ["min_tier"]),
        ("admin", {**NEW, "points_cost": -5}, 422, "validation_error", ["points_cost"]),
        ("admin", {**NEW, "code": "Bad Code"}, 422, "validation_error", ["code"]),
        ("admin", {"code": "x"}, 422, "validation_error", ["name_en", "name_zh", "points_cost"]),
        ("admin", {**NEW, "colour": "red"}, 422, "validation_error", ["colour"]),
        ("mgr_east", NEW, 403, "permission_denied", None),
        ("rep_east1", NEW, 403, "permission_denied", None),
    ],
)
def test_refused_creates_change_nothing(users, api, who, body, status, code, fields):
    client = api(who)
    before = loyalty_state()

    response = client.post("/rewards", body)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    if fields is not None:
        assert sorted(response.json()["fields"]) == fields
    assert loyalty_state() == before


def test_catalogue_lists_what_is_on_offer_today(users, api, django_assert_max_num_queries):
    make(users, code="b", points_cost=50, stock=0)
    make(users, code="a", points_cost=20)
    make(users, code="old", valid_until="2020-01-01")
    make(users, code="off", active=False)
    client = api("rep_east1")
    client.get("/me")

    with django_assert_max_num_queries(2):
        response = client.get("/rewards")

    items = response.json()["items"]
    assert [(r["code"], r["points_cost"], r["in_stock"]) for r in items] == [
        ("a", 20, True),
        ("b", 50, False),
    ]


def test_admin_patches_a_reward_by_code(users, api):
    make(users)

    response = api("admin").patch("/rewards/tea", {"points_cost": 250, "active": False})

    assert response.status_code == 200, response.content
    assert (response.json()["points_cost"], response.json()["active"]) == (250, False)
    assert Reward.objects.get().points_cost == 250


@pytest.mark.parametrize(
    ("who", "path", "body", "status", "code"),
    [
        ("admin", "/rewards/nope", {"points_cost": 5}, 404, "reward_not_found"),
        (
            "admin",
            "/rewards/tea",
            {"valid_from": "2030-01-02", "valid_until": "2030-01-01"},
            422,
            "validation_error",
        ),
        ("admin", "/rewards/tea", {"code": "new"}, 422, "validation_error"),
        ("mgr_east", "/rewards/tea", {"points_cost": 5}, 403, "permission_denied"),
    ],
)
def test_refused_patches_change_nothing(users, api, who, path, body, status, code):
    make(users)
    client = api(who)
    before = loyalty_state()

    response = client.patch(path, body)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert loyalty_state() == before
