"""The tier's discount at checkout: ``tier_discount`` takes the held tier's percent off the
subtotal as the order discount, priced at the tier the customer walked in with; figures and
points follow the discounted total; bad combinations are refused with nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tiercard.core.errors import ValidationFailed
from tiercard.loyalty.models import Membership, PointsEntry, TierChange
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.sales.models import Purchase

pytestmark = pytest.mark.django_db


def record(users, customer, price: str, **extra):
    data = {"lines": [{"item_name": "龙井茶", "unit_price": price}], **extra}
    return purchase_record(actor=users["rep_east1"], customer_id=customer.pk, data=data)


def standard(users, customer) -> None:
    """标准级 (2% discount): 2,000 over two orders."""
    record(users, customer, "1000.00")
    record(users, customer, "1000.00")
    assert Membership.objects.get(pk=customer.pk).tier == "standard"


def written() -> tuple[int, int, int]:
    return Purchase.objects.count(), PointsEntry.objects.count(), TierChange.objects.count()


def test_the_held_tiers_percent_comes_off_the_subtotal(users, book):
    customer = book["east1"]
    standard(users, customer)
    before = Membership.objects.get(pk=customer.pk)

    purchase = record(users, customer, "333.33", tier_discount=True).purchase

    # 2% of 333.33 = 6.6666: to the cent, half up.
    assert (purchase.subtotal, purchase.discount, purchase.total) == (
        Decimal("333.33"),
        Decimal("6.67"),
        Decimal("326.66"),
    )
    after = Membership.objects.get(pk=customer.pk)
    assert after.win_spend - before.win_spend == Decimal("326.66")  # the discounted total
    assert PointsEntry.objects.filter(purchase=purchase).get().points == 391  # 326 × 1.2


def test_the_purchase_that_upgrades_is_priced_at_the_tier_walked_in_with(users, book):
    customer = book["east1"]
    record(users, customer, "1000.00")  # 基础级: no discount

    purchase = record(users, customer, "1500.00", tier_discount=True).purchase

    assert purchase.discount == Decimal("0.00") and purchase.total == Decimal("1500.00")
    assert Membership.objects.get(pk=customer.pk).tier == "standard"


def test_a_replay_after_the_upgrade_is_the_same_purchase(users, book):
    customer = book["east1"]
    record(users, customer, "1000.00")
    first = record(users, customer, "1500.00", tier_discount=True, external_ref="r-1")
    before = written()

    # Retried once the first recording had made the customer 标准级 (2%): same goods, same
    # list prices, the same reference: the stored purchase, not a refusal.
    again = record(users, customer, "1500.00", tier_discount=True, external_ref="r-1")

    assert (again.created, again.purchase.pk) == (False, first.purchase.pk)
    assert written() == before
    with pytest.raises(ValidationFailed) as caught:
        record(users, customer, "1400.00", tier_discount=True, external_ref="r-1")
    assert "external_ref" in caught.value.fields
    assert written() == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"tier_discount": True, "discount": "5"}, "discount"),
        ({"tier_discount": "yes"}, "tier_discount"),
        ({"tier_discount": 1}, "tier_discount"),
    ],
)
def test_bad_combinations_are_refused_and_nothing_is_written(users, book, extra, field):
    customer = book["east1"]
    standard(users, customer)
    before = written()
    figures = Membership.objects.filter(pk=customer.pk).values().get()

    with pytest.raises(ValidationFailed) as caught:
        record(users, customer, "100.00", **extra)

    assert field in caught.value.fields
    assert written() == before
    assert Membership.objects.filter(pk=customer.pk).values().get() == figures


def test_without_the_flag_nothing_is_taken_off(users, book):
    customer = book["east1"]
    standard(users, customer)
    purchase = record(users, customer, "100.00", tier_discount=False).purchase
    assert purchase.discount == Decimal("0.00") and purchase.total == Decimal("100.00")


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ({"discount": "30"}, {"tier_discount": True}),  # by hand first, then the tier's
        ({"tier_discount": True}, {}),  # the tier's first, then none
    ],
)
def test_a_reference_replays_only_a_purchase_priced_the_same_way(users, book, first, again):
    customer = book["east1"]
    standard(users, customer)
    record(users, customer, "1500.00", external_ref="r-2", **first)
    before = written()

    with pytest.raises(ValidationFailed) as caught:
        record(users, customer, "1500.00", external_ref="r-2", **again)

    assert "external_ref" in caught.value.fields
    assert written() == before


def test_a_tier_code_the_ladder_lacks_gets_the_lowest_tiers_benefits():
    from tiercard.tiers.programme import default_programme

    programme = default_programme()
    assert programme.benefits_of("gone") == programme.benefits_of("basic")
    assert programme.benefits_of("vip").discount_percent == Decimal("10.0")
