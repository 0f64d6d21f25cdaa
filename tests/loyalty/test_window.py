"""Window figures: the rebuild writes only rows whose figures are wrong; the nightly roll starts
the grace of exactly the rows it left below their tier."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db.models import F

from tests.loyalty.test_checkout import SHANGHAI, buy, figures
from tests.loyalty.tiers_support import activate
from tests.loyalty.writes_support import RowWrites
from tiercard.loyalty.models import ChangeReason, Membership, ReviewMark, TierChange
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.services.window import window_rebuild, window_roll
from tiercard.loyalty.tasks import run_daily
from tiercard.tiers.policy import DowngradePolicy
from tiercard.tiers.programme import default_programme

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


def rolled_world(users, book) -> None:
    """east1 holds standard on two purchases, one of them leaving the window on 2026-06-22;
    east2 holds standard on two purchases, one leaving, and is already below since May;
    south holds standard on purchases that all stay in."""
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False):
        for rep, customer in (
            (users["rep_east1"], book["east1"]),
            (users["rep_east2"], book["east2"]),
        ):
            buy(rep, customer, "1500.00", at="2025-06-20T09:00")  # leaves the window
            buy(rep, customer, "1000.00", at="2026-01-05T09:00")
        buy(users["rep_south"], book["south"], "1500.00", at="2026-01-05T09:00")
        buy(users["rep_south"], book["south"], "1000.00", at="2026-01-06T09:00")
    assert set(Membership.objects.values_list("tier", flat=True)) == {"standard"}
    Membership.objects.filter(pk=book["east2"].pk).update(below_since=dt.date(2026, 5, 1))


def test_the_roll_starts_the_grace_of_the_rows_it_left_below_and_marks_nothing(users, book):
    rolled_world(users, book)
    active = active_programme()

    with time_machine.travel(dt.datetime(2026, 6, 22, 0, 5, tzinfo=SHANGHAI), tick=False):
        rolled = window_roll(active, dt.date(2026, 6, 22))  # window starts 2025-06-23

    assert (rolled.rows, rolled.fell_below) == (2, 1)
    assert not ReviewMark.objects.exists()
    below = dict(Membership.objects.values_list("pk", "below_since"))
    assert below == {
        book["east1"].pk: dt.date(2026, 6, 22),  # fell below tonight
        book["east2"].pk: dt.date(2026, 5, 1),  # already below: its grace keeps its start
        book["south"].pk: None,  # not rolled
    }
    assert set(Membership.objects.values_list("win_spend", "win_orders")) == {
        (Decimal("1000.00"), 1),
        (Decimal("2500.00"), 2),
    }
    assert set(Membership.objects.values_list("tier", flat=True)) == {"standard"}


def test_without_grace_the_nights_review_downgrades_whom_the_roll_left_below(users, book):
    rolled_world(users, book)
    activate(dataclasses.replace(default_programme(), policy=DowngradePolicy(0, 0)))
    today = dt.date(2026, 6, 22)

    with time_machine.travel(dt.datetime(2026, 6, 22, 0, 5, tzinfo=SHANGHAI), tick=False):
        result = run_daily(today=today)

    assert (result["window_rolled"], result["fell_below"], result["downgraded"]) == (2, 1, 2)
    tiers = dict(Membership.objects.values_list("pk", "tier"))
    assert tiers == {
        book["east1"].pk: "basic",
        book["east2"].pk: "basic",
        book["south"].pk: "standard",
    }
    changes = TierChange.objects.filter(reason=ChangeReason.REVIEW_DOWNGRADE)
    assert set(changes.values_list("customer_id", "effective_on")) == {
        (book["east1"].pk, today),
        (book["east2"].pk, today),
    }
