"""The demo book holds a few deliberate duplicates, found by the duplicate scan."""

from __future__ import annotations

import pytest

from tiercard.customers.models import Customer
from tiercard.dedupe.models import DuplicatePair, PairStatus
from tiercard.demo.load import load_demo
from tiercard.demo.twins import plant_twins

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def test_twins_are_planted_once_and_queued_as_duplicates(users: dict) -> None:
    load_demo(customers=500, purchases=500, seed=3, as_of=AS_OF)

    added = plant_twins(users["admin"])

    assert added == 2 and Customer.objects.count() == 502
    pairs = list(DuplicatePair.objects.filter(status=PairStatus.OPEN))
    assert len(pairs) == 2
    twins = set(Customer.objects.order_by("-pk").values_list("pk", flat=True)[:2])
    for pair in pairs:  # each pair joins a planted card to the card it copies, same phone
        ids = {pair.customer_a_id, pair.customer_b_id}
        assert len(ids & twins) == 1
        phones = set(Customer.objects.filter(pk__in=ids).values_list("primary_phone", flat=True))
        assert len(phones) == 1
    assert plant_twins(users["admin"]) == 0 and Customer.objects.count() == 502


def test_a_small_book_gets_no_twins(users: dict) -> None:
    load_demo(customers=60, purchases=60, seed=3, as_of=AS_OF)
    assert plant_twins(users["admin"]) == 0
    assert Customer.objects.count() == 60
