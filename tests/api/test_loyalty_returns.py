"""Returns through the API: recorded once, points and growth value taken back, scoped."""

from __future__ import annotations

import pytest

from tests.api.loyalty_support import loyalty_state
from tiercard.loyalty.models import Membership, PointsEntry
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.sales.models import Purchase, PurchaseReturn

pytestmark = pytest.mark.django_db


def bought(users, customer, price="200.00") -> Purchase:
    data = {"lines": [{"item_name": "茶", "unit_price": price}]}
    return purchase_record(actor=users["admin"], customer_id=customer.pk, data=data).purchase


def test_a_return_answers_201_and_takes_back_points(users, book, api):
    customer = book["east1"]
    purchase = bought(users, customer)
    client = api("rep_east1")
    body = {"amount": "50.00", "reason": "破损", "external_ref": "RT-1"}

    response = client.post(f"/purchases/{purchase.pk}/returns", body)

    assert response.status_code == 201, response.content
    item = PurchaseReturn.objects.get()
    assert response.json() == {
        "id": item.pk,
        "purchase_id": purchase.pk,
        "amount": "50.00",
        "occurred_at": response.json()["occurred_at"],
        "reason": "破损",
        "external_ref": "RT-1",
        "created_at": response.json()["created_at"],
    }
    assert response.json()["occurred_at"].endswith("+08:00")
    row = Membership.objects.get(pk=customer.pk)
    assert (row.points_balance, row.win_spend) == (150, 150)
    assert PointsEntry.objects.get(key=f"return:{item.pk}").points == -50

    again = client.post(f"/purchases/{purchase.pk}/returns", body)
    assert again.status_code == 200 and again.json() == response.json()
    assert PurchaseReturn.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": "500.00", "external_ref": "RT-9"}, 409, "return_exceeds_purchase"),
        ({"amount": "-5", "external_ref": "RT-9"}, 422, "validation_error"),
        ({"amount": "abc", "external_ref": "RT-9"}, 422, "validation_error"),
        ({}, 422, "validation_error"),
        (
            {"amount": "5", "occurred_at": "2000-01-01T10:00", "external_ref": "RT-9"},
            422,
            "validation_error",
        ),
        ({"amount": "5"}, 422, "reference_required"),
        ({"amount": "9", "external_ref": "RT-0"}, 422, "duplicate_external_ref"),
    ],
)
def test_refused_returns_change_nothing(users, book, api, body, status, code):
    purchase = bought(users, book["east1"])
    client = api("rep_east1")
    client.post(f"/purchases/{purchase.pk}/returns", {"amount": "1", "external_ref": "RT-0"})
    before = loyalty_state()

    response = client.post(f"/purchases/{purchase.pk}/returns", body)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert loyalty_state() == before


@pytest.mark.parametrize("who", ["rep_east2", "rep_south", "mgr_south"])
def test_returning_another_reps_purchase_is_not_found(users, book, api, who):
    purchase = bought(users, book["east1"])
    client = api(who)
    before = loyalty_state()

    response = client.post(
        f"/purchases/{purchase.pk}/returns", {"amount": "10", "external_ref": "RT-1"}
    )

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "未找到。"}
    assert loyalty_state() == before


def test_the_idempotency_key_header_serves_as_the_returns_reference(users, book, api):
    purchase = bought(users, book["east1"])
    client = api("rep_east1")
    path = f"/purchases/{purchase.pk}/returns"

    first = client.post(path, {"amount": "20"}, **{"Idempotency-Key": "RH-1"})
    replay = client.post(path, {"amount": "20"}, **{"Idempotency-Key": "RH-1"})
    differ = client.post(
        path, {"amount": "20", "external_ref": "RH-2"}, **{"Idempotency-Key": "RH-1"}
    )

    assert (first.status_code, replay.status_code) == (201, 200), first.content
    assert first.json()["external_ref"] == "RH-1"
    assert replay.json()["id"] == first.json()["id"]
    assert differ.status_code == 422 and "external_ref" in differ.json()["fields"]
    assert PurchaseReturn.objects.count() == 1
    assert Membership.objects.get(pk=book["east1"].pk).points_balance == 180
