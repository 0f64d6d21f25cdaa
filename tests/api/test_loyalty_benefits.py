"""Benefits through the API: what a tier gives, and using a quota until it is exhausted."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.api.loyalty_support import loyalty_state
from tests.loyalty.tiers_support import member
from tiercard.loyalty.models import BenefitUse

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
frozen = time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI))


@frozen
def test_benefits_of_a_vip(users, book, api, django_assert_max_num_queries):
    customer = book["east1"]
    member(customer, "vip")
    client = api("rep_east1")
    client.get("/me")
    client.post(f"/customers/{customer.pk}/benefits/uses", {"code": "free_delivery", "key": "a"})

    with django_assert_max_num_queries(4):
        response = client.get(f"/customers/{customer.pk}/benefits")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {
        "customer_id": customer.pk,
        "tier": "vip",
        "tier_name_zh": "VIP级",
        "tier_name_en": "VIP",
        "ladder_version": body["ladder_version"],
        "discount_percent": "10.0",
        "points_multiplier": "2",
        "birthday_gift": "定制生日礼品",
        "dedicated_manager": True,
        "has_owner": True,
        "response_hours": 4,
        "follow_up_days": 14,
        "priority_booking": True,
        "quotas": [
            {
                "code": "free_delivery",
                "name_zh": "免费配送",
                "name_en": "Free delivery",
                "limit": 2,
                "period": "month",
                "period_start": "2026-06-01",
                "period_end": "2026-06-30",
                "used": 1,
                "remaining": 1,
            },
            {
                "code": "vip_lounge",
                "name_zh": "贵宾室预约",
                "name_en": "VIP lounge booking",
                "limit": 4,
                "period": "quarter",
                "period_start": "2026-04-01",
                "period_end": "2026-06-30",
                "used": 0,
                "remaining": 4,
            },
        ],
    }


@frozen
def test_a_use_answers_201_and_a_replay_the_same(users, book, api):
    customer = book["east1"]
    member(customer, "vip")
    client = api("service")
    path = f"/customers/{customer.pk}/benefits/uses"

    response = client.post(path, {"code": "free_delivery", "key": "d1", "note": "送货上门"})
    again = client.post(path, {"code": "free_delivery", "key": "d1", "note": "送货上门"})

    assert response.status_code == 201, response.content
    use = BenefitUse.objects.get()
    assert response.json() == {
        "id": use.pk,
        "customer_id": customer.pk,
        "code": "free_delivery",
        "tier": "vip",
        "ladder_version": use.ladder_version,
        "period_start": "2026-06-01",
        "note": "送货上门",
        "at": response.json()["at"],
        "actor": {"id": users["service"].pk, "name": str(users["service"])},
        "cancels": None,
    }
    assert again.status_code == 201 and again.json() == response.json()


@frozen
def test_the_third_use_of_two_a_month_is_409_naming_the_limit(users, book, api):
    customer = book["east1"]
    member(customer, "vip")
    client = api("rep_east1", lang="en")
    path = f"/customers/{customer.pk}/benefits/uses"
    for key in ("a", "b"):
        assert client.post(path, {"code": "free_delivery", "key": key}).status_code == 201
    before = loyalty_state()

    response = client.post(path, {"code": "free_delivery", "key": "c"})

    assert response.status_code == 409
    assert response.json() == {
        "code": "quota_exhausted",
        "message": "Free delivery is used up: 2 per month, all used this month.",
    }
    assert loyalty_state() == before


@frozen
@pytest.mark.parametrize(
    ("tier", "body", "status", "code"),
    [
        ("basic", {"code": "free_delivery", "key": "k"}, 409, "benefit_not_in_tier"),
        ("vip", {"code": "spa", "key": "k"}, 422, "unknown_benefit"),
        ("vip", {"code": "free_delivery"}, 422, "validation_error"),
        ("vip", {"code": "free_delivery", "key": "k", "extra": 1}, 422, "validation_error"),
        ("vip", {"code": "vip_lounge", "key": "used"}, 422, "duplicate_key"),
    ],
)
def test_refused_uses_change_nothing(users, book, api, tier, body, status, code):
    customer = book["east1"]
    member(customer, tier)
    client = api("rep_east1")
    if tier == "vip":
        client.post(
            f"/customers/{customer.pk}/benefits/uses", {"code": "free_delivery", "key": "used"}
        )
    before = loyalty_state()

    response = client.post(f"/customers/{customer.pk}/benefits/uses", body)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert loyalty_state() == before


@pytest.mark.parametrize("who", ["rep_east2", "rep_south", "mgr_south"])
def test_another_reps_customer_is_not_found_and_nothing_changes(users, book, api, who):
    customer = book["east1"]
    member(customer, "vip")
    client = api(who)
    before = loyalty_state()

    read = client.get(f"/customers/{customer.pk}/benefits")
    write = client.post(
        f"/customers/{customer.pk}/benefits/uses", {"code": "free_delivery", "key": "k"}
    )

    assert (read.status_code, write.status_code) == (404, 404)
    assert read.json() == write.json() == {"code": "not_found", "message": "未找到。"}
    assert loyalty_state() == before
