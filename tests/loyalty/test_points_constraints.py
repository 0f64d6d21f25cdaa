"""The database itself refuses a negative balance and impossible ledger rows: a write that goes
past the services (a script, a hand-made SQL fix) fails and changes nothing."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from tiercard.loyalty.models import EntryKind, Membership, PointsEntry, PointsLot
from tiercard.loyalty.services.checkout import purchase_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def earned(users, book) -> PointsEntry:
    """100.00 of tea: 100 points on one entry and its lot."""
    purchase_record(
        actor=users["rep_east1"],
        customer_id=book["east1"].pk,
        data={"lines": [{"item_name": "茶", "unit_price": "100.00"}]},
    )
    return PointsEntry.objects.get(customer=book["east1"])


def refused(write) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def state(entry: PointsEntry) -> tuple:
    lot = PointsLot.objects.get(entry=entry)
    member = Membership.objects.get(pk=entry.customer_id)
    return (
        member.points_balance,
        PointsEntry.objects.values_list("points", "balance_after").get(pk=entry.pk),
        (lot.points, lot.remaining),
        PointsEntry.objects.count(),
    )


def test_no_negative_balance_or_impossible_ledger_row_gets_in(earned: PointsEntry) -> None:
    before = state(earned)
    assert before == (100, (100, 100), (100, 100), 1)
    members = Membership.objects.filter(pk=earned.customer_id)
    entries = PointsEntry.objects.filter(pk=earned.pk)
    lots = PointsLot.objects.filter(entry=earned)

    refused(lambda: members.update(points_balance=F("points_balance") - 101))
    refused(lambda: entries.update(balance_after=-1))
    refused(lambda: entries.update(points=0))
    refused(lambda: lots.update(remaining=-1))
    refused(lambda: lots.update(remaining=F("points") + 1))

    def hand_made(points: int, balance_after: int) -> PointsEntry:
        return PointsEntry.objects.create(
            customer_id=earned.customer_id,
            kind=EntryKind.ADJUST,
            points=points,
            balance_after=balance_after,
            key="hand-made",
        )

    refused(lambda: hand_made(-150, -50))

    assert state(earned) == before
    hand_made(-50, 50)  # the same row with a balance the check allows goes in
    assert PointsEntry.objects.count() == 2
