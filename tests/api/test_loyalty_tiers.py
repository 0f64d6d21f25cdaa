"""Tiers through the API: status with why/progress/keep, history, tier on a date, overrides."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.api.loyalty_support import loyalty_state
from tiercard.loyalty.models import ReviewMark, TierChange
from tiercard.loyalty.services.checkout import purchase_record

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI)
frozen = time_machine.travel(NOW)


def buy(users, customer, price: str, ref: str, at: str | None = None):
    data = {"external_ref": ref, "lines": [{"item_name": "茶", "unit_price": price}]}
    if at:
        data["occurred_at"] = at
    return purchase_record(actor=users["admin"], customer_id=customer.pk, data=data)


@frozen
def test_tier_status_explains_the_held_tier_and_the_way_up(users, book, api):
    customer = book["east1"]
    buy(users, customer, "1500.00", "P1", at="2026-03-01T10:00")
    buy(users, customer, "1000.00", "P2", at="2026-06-10T10:00")  # standard: 2500 over 2 orders

    response = api("rep_east1").get(f"/customers/{customer.pk}/tier")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tier"] == {
        "code": "standard",
        "name_zh": "标准级",
        "name_en": "Standard",
        "colour": "#4A90D9",
        "rank": 20,
    }
    assert body["qualified"]["code"] == "standard"
    assert body["metrics"] == {
        "spend": "2500.00",
        "order_count": 2,
        "growth_value": 2500,
        "max_order": "1500.00",
        "days_since_last_purchase": 5,
    }
    assert body["why"]["tier"] == "standard" and body["why"]["met"] is True
    assert body["why"]["conditions"] == [
        {"metric": "spend", "op": ">=", "threshold": "2000.00", "actual": "2500.00", "met": True},
        {"metric": "order_count", "op": ">=", "threshold": 2, "actual": 2, "met": True},
    ]
    assert body["why"]["rule"]["kind"] == "all"
    assert [c["kind"] for c in body["why"]["rule"]["children"]] == ["leaf", "leaf"]
    progress = body["progress"]
    assert progress["target"]["code"] == "premium" and progress["met"] is False
    assert progress["todo"] == [
        {
            "metric": "spend",
            "op": ">=",
            "threshold": "8000.00",
            "actual": "2500.00",
            "met": False,
            "gap": "5500.00",
        },
        {"metric": "order_count", "op": ">=", "threshold": 4, "actual": 2, "met": False, "gap": 2},
    ]
    assert len(progress["conditions"]) == 3  # spend, orders, recency (met: gap 0)
    # The March purchase leaves the 12-month window on 2027-03-01: 1000 alone is too little.
    assert body["keep"]["qualifies"] is True
    assert body["keep"]["holds_until"] == "2027-02-28"
    assert body["lock"] is None
    assert body["benefits"]["discount_percent"] == "2.0"
    assert body["benefits"]["quotas"] == []


def test_tier_status_of_a_customer_without_activity(users, book, api):
    body = api("admin").get(f"/customers/{book['east1'].pk}/tier").json()

    assert (body["tier"]["code"], body["since"], body["why"]["rule"]) == ("basic", None, None)
    assert body["keep"] == {"qualifies": True, "holds_until": None, "downgrade_on": None}
    assert body["progress"]["target"]["code"] == "standard"


@pytest.mark.parametrize("who", ["rep_east2", "rep_south", "mgr_south"])
def test_tier_reads_of_another_reps_customer_are_not_found(users, book, api, who):
    customer = book["east1"]
    buy(users, customer, "3000.00", "P1")
    buy(users, customer, "3000.00", "P2")
    client = api(who)

    for path, params in (
        ("tier", None),
        ("tier/history", None),
        ("tier/on", {"date": "2026-01-01"}),
    ):
        response = client.get(f"/customers/{customer.pk}/{path}", params)
        assert response.status_code == 404, path
        assert response.json() == {"code": "not_found", "message": "未找到。"}


def test_tier_history_pages_newest_first_in_fixed_queries(
    users, book, api, django_assert_max_num_queries
):
    customer = book["east1"]
    client = api("mgr_east")
    client.get("/me")
    counts = []
    for n in (1, 12):
        for i in range(n - TierChange.objects.count()):
            TierChange.objects.create(
                customer=customer,
                effective_on=dt.date(2026, 1, 1) + dt.timedelta(days=i),
                from_tier="basic",
                to_tier="standard",
                reason="upgrade",
                ladder_version=1,
                actor=users["admin"],
            )
        with django_assert_max_num_queries(3) as captured:
            response = client.get(f"/customers/{customer.pk}/tier/history", {"limit": 50})
        assert len(response.json()["items"]) == n
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    first = client.get(f"/customers/{customer.pk}/tier/history", {"limit": 5}).json()
    second = client.get(
        f"/customers/{customer.pk}/tier/history", {"limit": 50, "cursor": first["next"]}
    ).json()
    ids = [c["id"] for c in first["items"] + second["items"]]
    assert ids == list(TierChange.objects.order_by("-at", "-id").values_list("id", flat=True))
    assert first["items"][0]["actor"]["id"] == users["admin"].pk


def test_tier_on_a_date_follows_the_history(users, book, api):
    customer = book["east1"]
    TierChange.objects.create(
        customer=customer,
        effective_on=dt.date(2026, 3, 1),
        from_tier="basic",
        to_tier="premium",
        reason="upgrade",
        ladder_version=1,
    )
    client = api("rep_east1")

    before = client.get(f"/customers/{customer.pk}/tier/on", {"date": "2026-02-28"})
    after = client.get(f"/customers/{customer.pk}/tier/on", {"date": "2026-03-01"})
    bad = client.get(f"/customers/{customer.pk}/tier/on", {"date": "2026-02-30"})

    assert before.json() == {"customer_id": customer.pk, "date": "2026-02-28", "tier": "basic"}
    assert after.json()["tier"] == "premium"
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error" and list(bad.json()["fields"]) == ["date"]


@frozen
def test_manager_overrides_the_tier_and_clears_it(users, book, api):
    customer = book["east1"]
    client = api("mgr_east")
    body = {"tier": "vip", "reason": "战略客户", "until": "2026-12-31"}

    response = client.post(
        f"/customers/{customer.pk}/tier/override", body | {"approver_id": users["mgr_east"].pk}
    )

    assert response.status_code == 200, response.content
    status = response.json()
    assert status["tier"]["code"] == "vip"
    assert status["lock"] == {
        "until": "2026-12-31",
        "reason": "战略客户",
        "by": "mgr_east",
        "approved_by": "mgr_east",
    }
    assert status["benefits"]["dedicated_manager"] is True
    change = TierChange.objects.get()
    assert (change.from_tier, change.to_tier, change.reason) == ("basic", "vip", "manual")

    cleared = client.delete(f"/customers/{customer.pk}/tier/override?reason=到期")
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["lock"] is None
    assert ReviewMark.objects.filter(customer_id=customer.pk).exists()


@frozen
@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("mgr_east", {"tier": "gold"}, 422, "unknown_tier"),
        ("mgr_east", {"reason": " "}, 422, "reason_required"),
        ("mgr_east", {"until": "2026-06-01"}, 422, "until_not_future"),
        ("mgr_east", {"approver_id": None}, 422, "bad_approver"),
        ("mgr_east", {"until": "next year"}, 422, "validation_error"),
        ("rep_east1", {}, 403, "override_not_allowed"),
        ("mgr_south", {}, 404, "not_found"),
    ],
)
def test_refused_overrides_change_nothing(users, book, api, who, body, status, code):
    customer = book["east1"]
    client = api(who)
    good = {
        "tier": "vip",
        "reason": "战略客户",
        "until": "2026-12-31",
        "approver_id": users["mgr_east"].pk,
    }
    before = loyalty_state()

    response = client.post(f"/customers/{customer.pk}/tier/override", good | body)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert loyalty_state() == before


@frozen
@pytest.mark.parametrize(
    ("who", "query", "status", "code"),
    [
        ("mgr_east", "?reason=x", 422, "no_override"),
        ("mgr_east", "", 422, "reason_required"),
        ("rep_east1", "?reason=x", 403, "override_not_allowed"),
        ("rep_south", "?reason=x", 404, "not_found"),
    ],
)
def test_refused_clears_change_nothing(users, book, api, who, query, status, code):
    customer = book["east1"]
    client = api(who)
    before = loyalty_state()

    response = client.delete(f"/customers/{customer.pk}/tier/override{query}")

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert loyalty_state() == before
