"""Window figures: the rebuild writes only rows whose figures are wrong; the nightly roll marks
exactly the rows it wrote."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db.models import F

from tests.loyalty.test_checkout import SHANGHAI, buy, figures
from tests.loyalty.writes_support import RowWrites
from tiercard.loyalty.models import Membership, ReviewMark
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.services.window import window_rebuild, window_roll

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def all_figures() -> dict[int, dict[str, object]]:
    return {pk: figures(pk) for pk in Membership.objects.values_list("pk", flat=True)}


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_a_rebuild_writes_only_the_rows_whose_figures_are_wrong(users, book):
    buy(users["rep_east1"], book["east1"], "300.00")
    buy(users["rep_east2"], book["east2"], "500.00", at="2025-01-10T09:00")  # before the window
    buy(users["rep_east2"], book["east2"], "80.00")
    active = active_programme()
    window_rebuild(active, TODAY)  # the customer without purchases gets a zero row
    right = all_figures()
    assert len(right) == 3 and right[book["south"].pk]["win_orders"] == 0

    with RowWrites("loyalty_membership") as quiet:
        window_rebuild(active, TODAY)
    assert quiet.count == 0
    assert all_figures() == right

    Membership.objects.filter(pk=book["east1"].pk).update(win_spend=F("win_spend") + 1)
    Membership.objects.filter(pk=book["east2"].pk).update(last_purchase_on=None, growth_total=7)
    Membership.objects.filter(pk=book["south"].pk).update(
        win_orders=2, win_max_order=Decimal("9.00"), last_purchase_on=TODAY
    )
    with RowWrites("loyalty_membership") as mending:
        window_rebuild(active, TODAY)

    assert mending.count == 3
    assert all_figures() == right
    assert right[book["east2"].pk]["last_purchase_on"] == TODAY
    assert right[book["east2"].pk]["growth_total"] == 580


def test_the_roll_marks_the_rows_it_wrote_once_each(users, book):
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False):
        buy(users["rep_east1"], book["east1"], "800.00", at="2025-06-20T09:00")
        buy(users["rep_east2"], book["east2"], "200.00", at="2025-06-21T09:00")
        buy(users["rep_south"], book["south"], "100.00", at="2026-01-05T09:00")  # stays in
    ReviewMark.objects.create(customer_id=book["east2"].pk)  # already marked: kept, not doubled
    active = active_programme()

    with time_machine.travel(dt.datetime(2026, 6, 22, 0, 5, tzinfo=SHANGHAI), tick=False):
        changed = window_roll(active, dt.date(2026, 6, 22))  # window starts 2025-06-23

    assert changed == 2
    marked = set(ReviewMark.objects.values_list("customer_id", flat=True))
    assert marked == {book["east1"].pk, book["east2"].pk}
    rolled = Membership.objects.filter(pk__in=marked).values_list("win_spend", "win_orders")
    assert set(rolled) == {(Decimal("0.00"), 0)}
    assert Membership.objects.get(pk=book["south"].pk).win_spend == Decimal("100.00")
