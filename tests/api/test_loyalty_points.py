"""Points through the API: summary, ledger pages, redemptions, adjustments, forecast, liability."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.api.loyalty_support import give, loyalty_state
from tiercard.loyalty.models import PointsEntry, Redemption
from tiercard.loyalty.services.rewards import reward_create

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def tea(users, **data):
    data = {"code": "tea", "name_zh": "茶叶礼盒", "name_en": "Tea box", "points_cost": 30, **data}
    return reward_create(actor=users["admin"], data=data)


# --- summary -----------------------------------------------------------------------------------


def test_points_summary_with_expiring_horizons(users, book, api, django_assert_max_num_queries):
    customer = book["east1"]
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False):
        give(users, customer, 1000)  # expires 2027-12-31
    client = api("rep_east1")
    client.get("/me")

    with time_machine.travel(dt.datetime(2027, 11, 15, 10, tzinfo=SHANGHAI)):
        give(users, customer, -100, key="minus")
        with django_assert_max_num_queries(7):
            response = client.get(f"/customers/{customer.pk}/points")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "customer_id": customer.pk,
        "balance": 900,
        "owed": 0,
        "overdue": 0,
        "usable": 900,
        "expiring": [
            {"days": 30, "points": 0},
            {"days": 60, "points": 900},
            {"days": 90, "points": 900},
        ],
        "next_expiry": "2027-12-31",
        "next_expiry_points": 900,
        "earned": 0,
        "reversed": 0,
        "redeemed": 0,
        "expired": 0,
        "adjusted": 900,
    }


@pytest.mark.parametrize("who", ["rep_east2", "rep_south", "mgr_south"])
def test_points_of_another_reps_customer_are_not_found(users, book, api, who):
    give(users, book["east1"], 50)

    for path in ("points", "points/entries"):
        response = api(who).get(f"/customers/{book['east1'].pk}/{path}")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "未找到。"}


# --- ledger ------------------------------------------------------------------------------------


def test_points_entries_page_newest_first_by_keyset(
    users, book, api, django_assert_max_num_queries
):
    customer = book["east1"]
    for i in range(5):
        give(users, customer, 10 + i, key=f"g{i}")
    client = api("rep_east1")
    client.get("/me")

    with django_assert_max_num_queries(3):
        first = client.get(f"/customers/{customer.pk}/points/entries", {"limit": 2})
    body = first.json()
    assert [e["points"] for e in body["items"]] == [14, 13]
    assert [e["balance_after"] for e in body["items"]] == [60, 46]
    item = body["items"][0]
    assert item["kind"] == "adjust"
    assert item["note"] == "赠送"
    assert item["actor"] == {"id": users["admin"].pk, "name": str(users["admin"])}
    assert item["occurred_at"].endswith("+08:00")
    seen = [e["id"] for e in body["items"]]
    cursor = body["next"]
    while cursor:
        page = client.get(
            f"/customers/{customer.pk}/points/entries", {"limit": 2, "cursor": cursor}
        ).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next"]
    assert seen == list(
        PointsEntry.objects.filter(customer=customer).order_by("-id").values_list("id", flat=True)
    )


def test_points_entries_cost_the_same_queries_for_2_or_40_rows(
    users, book, api, django_assert_max_num_queries
):
    customer = book["east1"]
    client = api("rep_east1")
    client.get("/me")
    counts = []
    for n in (2, 40):
        for i in range(n - PointsEntry.objects.count()):
            give(users, customer, 1, key=f"n{n}-{i}")
        with django_assert_max_num_queries(3) as captured:
            response = client.get(f"/customers/{customer.pk}/points/entries", {"limit": 50})
        assert len(response.json()["items"]) == n
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_a_cursor_of_another_customers_ledger_is_refused(users, book, api):
    give(users, book["east1"], 1, key="a")
    give(users, book["east1"], 1, key="b")
    client = api("admin")
    token = client.get(f"/customers/{book['east1'].pk}/points/entries", {"limit": 1}).json()

    response = client.get(
        f"/customers/{book['east2'].pk}/points/entries", {"cursor": token["next"]}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == ["cursor"]


# --- redemptions -------------------------------------------------------------------------------


def test_redeem_answers_201_with_the_redemption(users, book, api):
    customer = book["east1"]
    tea(users, stock=5)
    give(users, customer, 100)

    response = api("rep_east1").post(
        f"/customers/{customer.pk}/points/redemptions",
        {"reward_code": "tea", "quantity": 2, "key": "r1"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    redemption = Redemption.objects.get()
    assert body == {
        "id": redemption.pk,
        "customer_id": customer.pk,
        "reward": {"code": "tea", "name_zh": "茶叶礼盒", "name_en": "Tea box", "kind": "gift"},
        "quantity": 2,
        "points": 60,
        "balance_after": 40,
        "coupon_code": "",
        "status": "issued",
        "created_at": body["created_at"],
    }
    again = api("rep_east1").post(
        f"/customers/{customer.pk}/points/redemptions",
        {"reward_code": "tea", "quantity": 2, "key": "r1"},
    )
    assert again.status_code == 201 and again.json() == body
    assert Redemption.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"reward_code": "tea", "quantity": 4, "key": "k"}, 409, "insufficient_points"),
        ({"reward_code": "old", "quantity": 1, "key": "k"}, 409, "reward_expired"),
        ({"reward_code": "tea", "quantity": -1, "key": "k"}, 422, "bad_quantity"),
        ({"reward_code": "tea", "quantity": 0, "key": "k"}, 422, "bad_quantity"),
        ({"reward_code": "nope", "quantity": 1, "key": "k"}, 404, "reward_not_found"),
        ({"reward_code": "tea", "quantity": "x", "key": "k"}, 422, "validation_error"),
        ({"reward_code": "tea", "quantity": 1}, 422, "validation_error"),
        ({"reward_code": "tea", "quantity": 1, "key": "k", "x": 1}, 422, "validation_error"),
        ({"reward_code": "tea", "quantity": 2, "key": "used"}, 422, "duplicate_key"),
    ],
)
def test_refused_redemptions_change_nothing(users, book, api, body, status, code):
    customer = book["east1"]
    tea(users)
    tea(users, code="old", valid_until="2020-01-01")
    give(users, customer, 100)
    api("rep_east1").post(
        f"/customers/{customer.pk}/points/redemptions",
        {"reward_code": "tea", "quantity": 1, "key": "used"},
    )
    client = api("rep_east1", lang="en")
    before = loyalty_state()

    response = client.post(f"/customers/{customer.pk}/points/redemptions", body)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    if code == "insufficient_points":
        assert response.json()["message"] == "Not enough points: 70 available, 120 needed."
    assert loyalty_state() == before


def test_redeeming_for_another_reps_customer_is_not_found_and_changes_nothing(users, book, api):
    customer = book["east1"]
    tea(users)
    give(users, customer, 100)
    client = api("rep_east2")
    before = loyalty_state()

    response = client.post(
        f"/customers/{customer.pk}/points/redemptions",
        {"reward_code": "tea", "quantity": 1, "key": "k"},
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert loyalty_state() == before


# --- adjustments -------------------------------------------------------------------------------


def test_manager_adjusts_points_with_a_reason(users, book, api):
    customer = book["east1"]

    response = api("mgr_east").post(
        f"/customers/{customer.pk}/points/adjustments",
        {"points": 250, "reason": "活动补偿", "key": "a1"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("kind", "points", "balance_after", "note")} == {
        "kind": "adjust",
        "points": 250,
        "balance_after": 250,
        "note": "活动补偿",
    }
    assert body["actor"]["id"] == users["mgr_east"].pk


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("mgr_east", {"points": -500, "reason": "扣减", "key": "a"}, 409, "insufficient_points"),
        ("mgr_east", {"points": 0, "reason": "无", "key": "a"}, 422, "validation_error"),
        ("mgr_east", {"points": 5, "reason": "", "key": "a"}, 422, "validation_error"),
        ("rep_east1", {"points": 5, "reason": "送", "key": "a"}, 403, "permission_denied"),
        ("mgr_south", {"points": 5, "reason": "送", "key": "a"}, 404, "not_found"),
    ],
)
def test_refused_adjustments_change_nothing(users, book, api, who, body, status, code):
    customer = book["east1"]
    give(users, customer, 100)
    client = api(who)
    before = loyalty_state()

    response = client.post(f"/customers/{customer.pk}/points/adjustments", body)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert loyalty_state() == before


def test_a_manager_reverses_an_adjustment_once_and_others_may_not(users, book, api):
    customer = book["east1"]
    manager = api("mgr_east")
    made = manager.post(
        f"/customers/{customer.pk}/points/adjustments",
        {"points": 250, "reason": "活动补偿", "key": "a1"},
    ).json()
    path = f"/points/entries/{made['id']}/reverse"
    rep, other_team = api("rep_east1"), api("mgr_south")  # issuing a token is audited
    before = loyalty_state()

    by_rep = rep.post(path, {"reason": "我来"})
    by_other_team = other_team.post(path, {"reason": "外区"})
    no_reason = manager.post(path, {})
    assert (by_rep.status_code, by_other_team.status_code, no_reason.status_code) == (403, 404, 422)
    assert loyalty_state() == before

    response = manager.post(path, {"reason": "重复补偿"})
    again = manager.post(path, {"reason": "重复补偿"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["points"], body["balance_after"]) == ("adjust", -250, 0)
    assert (body["reverses_id"], body["note"]) == (made["id"], "重复补偿")
    assert again.status_code == 409 and again.json()["code"] == "already_reversed"


# --- forecast and liability --------------------------------------------------------------------


def test_forecast_and_liability_cover_only_the_callers_customers(
    users, book, api, django_assert_max_num_queries
):
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False):
        give(users, book["east1"], 1000, key="a")
        give(users, book["south"], 500, key="b")
    client = api("rep_east1")
    client.get("/me")

    with time_machine.travel(dt.datetime(2027, 11, 15, 10, tzinfo=SHANGHAI)):
        with django_assert_max_num_queries(3):
            forecast = client.get("/points/forecast")
        with django_assert_max_num_queries(5):
            liability = client.get("/points/liability")
        everyone = api("admin").get("/points/liability").json()

    assert forecast.json() == {
        "today": "2027-11-15",
        "horizons": [
            {"days": 30, "points": 0, "customers": 0},
            {"days": 60, "points": 1000, "customers": 1},
            {"days": 90, "points": 1000, "customers": 1},
        ],
    }
    assert liability.json() == {
        "today": "2027-11-15",
        "points": 1000,
        "value": "10.00",
        "point_value": "0.01",
        "customers": 1,
        "owed": 0,
    }
    assert (everyone["points"], everyone["value"], everyone["customers"]) == (1500, "15.00", 2)
