"""The daily review beside live writers: a mark set while a review chunk runs is never lost."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from tests.loyalty.threads_support import in_threads
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import Membership, ReviewMark
from tiercard.loyalty.services import grading
from tiercard.loyalty.services.checkout import purchase_record, purchase_return
from tiercard.loyalty.services.grading import tiers_review

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_return_while_a_review_chunk_runs_keeps_its_mark(users, book, monkeypatch):
    """The return lands between the chunk's read and its deleting the marks. The returning
    customer keeps their tier (the chunk does not lock them); had the return committed there,
    its mark (already set: it is a candidate) would be deleted unseen and the drop in its
    figures never reviewed. The chunk holds the window row exclusively, so the return waits."""
    rep, customer = users["rep_east1"], book["east1"]
    purchase = purchase_record(
        actor=rep,
        customer_id=customer.pk,
        data={"lines": [{"item_name": "茶", "unit_price": "100.00"}]},
    ).purchase
    ReviewMark.objects.create(customer_id=customer.pk)  # e.g. a return's
    reached, returned = threading.Event(), threading.Event()
    clear = grading.review_marks_clear

    def clear_after_the_return(ids: list[int]) -> int:
        reached.set()
        returned.wait(timeout=1.5)  # the return cannot finish while the chunk holds the window
        return clear(ids)

    monkeypatch.setattr(grading, "review_marks_clear", clear_after_the_return)

    def act(i: int) -> object:
        if i == 0:
            return tiers_review(today=business_today())
        assert reached.wait(timeout=10)
        recorded = purchase_return(actor=rep, purchase_id=purchase.pk, data={"amount": "40.00"})
        returned.set()
        return recorded

    done, failed = in_threads(2, act, workers=2)

    assert not failed, failed
    assert done[0].candidates == 1
    assert Membership.objects.get(pk=customer.pk).win_spend == Decimal("60.00")
    assert ReviewMark.objects.filter(customer_id=customer.pk).exists()
