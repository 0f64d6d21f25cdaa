"""Warnings ahead of the fall: a customer whose figures will stop meeting the tier, when the grace
is too short to warn after the fall, is warned ``warning_days`` before the planned downgrade —
on the date the card shows, once, and the warning is withdrawn when a purchase defers it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from contextlib import contextmanager

import pytest
import time_machine
from django.db import connection

from tests.loyalty.test_checkout import SHANGHAI, buy
from tests.loyalty.tiers_support import activate
from tiercard.loyalty.models import Membership
from tiercard.loyalty.selectors.tiers import tier_status
from tiercard.loyalty.services.forecast import forecast_warn
from tiercard.loyalty.services.grading import tiers_review
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.services.window import window_roll
from tiercard.outbox.models import MessageKind, OutboxMessage
from tiercard.tiers.policy import DowngradePolicy, Landing
from tiercard.tiers.programme import default_programme
from tiercard.tiers.window import add_months

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def use_policy(grace=0, warning_days=14, protected=0, landing=Landing.ONE_STEP, version=2):
    activate(
        dataclasses.replace(
            default_programme(),
            policy=DowngradePolicy(protected, grace, landing),
            warning_days=warning_days,
        ),
        version=version,
    )


@contextmanager
def on(day: dt.date, hour: int = 10):
    with time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)):
        yield


def warnings() -> dict[int, list[str]]:
    """Planned dates warned about, per customer."""
    found: dict[int, list[str]] = {}
    for message in OutboxMessage.objects.filter(kind=MessageKind.DOWNGRADE_WARNING).order_by("pk"):
        found.setdefault(message.customer_id, []).append(message.payload["planned_on"])
    return found


def warned_for(customer) -> dt.date | None:
    return Membership.objects.get(pk=customer.pk).warned_for


REP = {"east1": "rep_east1", "east2": "rep_east2", "south": "rep_south"}


def standard_on_two(users, book, key: str, leaving_at: str) -> None:
    """Standard (2,000 and two orders) on 1,500 bought at ``leaving_at`` and 1,000 in January."""
    with on(TODAY):
        buy(users[REP[key]], book[key], "1500.00", at=leaving_at)
        buy(users[REP[key]], book[key], "1000.00", at="2026-01-05T09:00")


def test_without_grace_the_customer_is_warned_before_the_purchase_leaves(users, book):
    use_policy(grace=0, warning_days=14)
    # Bought 2025-06-20: in the window up to 2026-06-19, out of it from 2026-06-20 on.
    standard_on_two(users, book, "east1", "2025-06-20T09:00")
    with on(TODAY):
        buy(users["rep_south"], book["south"], "1500.00", at="2025-06-20T09:00")
        buy(users["rep_south"], book["south"], "1000.00", at="2026-01-05T09:00")
        buy(users["rep_south"], book["south"], "1000.00", at="2026-02-05T09:00")  # keeps 2,000

    with on(TODAY):
        report = tiers_review(today=TODAY)
        keep = tier_status(users["admin"], book["east1"].pk, TODAY).keep

    assert keep.downgrade_on == dt.date(2026, 6, 20)
    assert (report.warned, report.warned_ahead) == (1, 1)
    assert warnings() == {book["east1"].pk: ["2026-06-20"]}
    message = OutboxMessage.objects.get(kind=MessageKind.DOWNGRADE_WARNING)
    assert message.key == f"downgrade_warning:{book['east1'].pk}:2026-06-20"
    assert message.payload["tier"] == "standard" and message.payload["to_tier"] == "basic"
    assert warned_for(book["east1"]) == dt.date(2026, 6, 20) and warned_for(book["south"]) is None
    # Nothing is written again: the same night, or the following nights before the fall.
    with on(TODAY):
        assert forecast_warn(TODAY) == (0, 0)
    for day in (TODAY + dt.timedelta(days=1), dt.date(2026, 6, 19)):
        with on(day):
            window_roll(active_programme(), day)
            assert tiers_review(today=day).warned == 0
    # The fall: the roll leaves the customer below, the night's review downgrades without a
    # second warning.
    fall = dt.date(2026, 6, 20)
    with on(fall):
        window_roll(active_programme(), fall)
        report = tiers_review(today=fall)
    assert (report.downgraded, report.warned) == (1, 0)
    assert Membership.objects.get(pk=book["east1"].pk).tier == "basic"
    assert len(warnings()[book["east1"].pk]) == 1


def test_outside_the_horizon_no_warning_until_it_comes_within(users, book):
    use_policy(grace=0, warning_days=14)
    standard_on_two(users, book, "east1", "2025-07-10T09:00")  # leaves on 2026-07-10
    with on(TODAY):
        assert tiers_review(today=TODAY).warned == 0
    assert warnings() == {}
    day = dt.date(2026, 6, 26)  # 14 days before 2026-07-10
    with on(day):
        window_roll(active_programme(), day)
        assert tiers_review(today=day).warned_ahead == 1
    assert warnings() == {book["east1"].pk: ["2026-07-10"]}


def test_a_purchase_that_defers_the_fall_withdraws_the_plan(users, book):
    use_policy(grace=0, warning_days=14)
    standard_on_two(users, book, "east1", "2025-06-20T09:00")
    standard_on_two(users, book, "east2", "2025-06-20T09:00")
    with on(TODAY):
        tiers_review(today=TODAY)
    assert warned_for(book["east1"]) == warned_for(book["east2"]) == dt.date(2026, 6, 20)

    # east1: 1,000 more keeps 2,000 and two orders after the old purchase leaves; east2: 100
    # more does not. The night's forecast withdraws east1's plan and keeps east2's (no second
    # message for the same date).
    with on(TODAY):
        buy(users["rep_east1"], book["east1"], "1000.00")
        buy(users["rep_east2"], book["east2"], "100.00")
        assert forecast_warn(TODAY) == (0, 1)
    assert warned_for(book["east1"]) is None
    assert warned_for(book["east2"]) == dt.date(2026, 6, 20)
    assert warnings() == {book["east1"].pk: ["2026-06-20"], book["east2"].pk: ["2026-06-20"]}


def test_a_grace_shorter_than_the_warning_is_warned_ahead_on_the_same_date(users, book):
    use_policy(grace=1, warning_days=60)
    standard_on_two(users, book, "east1", "2025-06-20T09:00")  # falls on 2026-06-20
    planned = add_months(dt.date(2026, 6, 20), 1)  # 2026-07-20: 35 days from today
    with on(TODAY):
        report = tiers_review(today=TODAY)
        keep = tier_status(users["admin"], book["east1"].pk, TODAY).keep
    assert keep.downgrade_on == planned
    assert report.warned_ahead == 1
    assert warnings() == {book["east1"].pk: [planned.isoformat()]}
    # Once below, the review's own warning plans the same date: no second message.
    fall = dt.date(2026, 6, 20)
    with on(fall):
        window_roll(active_programme(), fall)
        report = tiers_review(today=fall)
    row = Membership.objects.get(pk=book["east1"].pk)
    assert (row.below_since, row.warned_for, report.warned) == (fall, planned, 0)


def test_a_long_enough_grace_needs_no_forecast(users, book):
    use_policy(grace=1, warning_days=14)
    standard_on_two(users, book, "east1", "2025-06-20T09:00")
    with on(TODAY):
        assert tiers_review(today=TODAY).warned == 0
    assert warnings() == {}


def test_a_lock_or_protection_past_the_horizon_holds_the_warning(users, book):
    use_policy(grace=0, warning_days=14, protected=3)
    standard_on_two(users, book, "east1", "2025-06-20T09:00")  # upgraded today: protected
    with on(TODAY):
        assert tiers_review(today=TODAY).warned == 0
    use_policy(grace=0, warning_days=14, protected=0, version=3)
    Membership.objects.filter(pk=book["east1"].pk).update(lock_until=dt.date(2026, 7, 31))
    with on(TODAY):
        assert tiers_review(today=TODAY).warned == 0
    # A lock ending within the horizon: the downgrade is planned for the day after it.
    Membership.objects.filter(pk=book["east1"].pk).update(lock_until=dt.date(2026, 6, 24))
    with on(TODAY):
        assert tiers_review(today=TODAY).warned == 1
    assert warnings() == {book["east1"].pk: ["2026-06-25"]}


def test_recency_and_the_largest_order_are_projected(users, book):
    use_policy(grace=0, warning_days=14)
    # Premium needs a purchase within 180 days: the last one, 2026-01-05 (+ 181 days) lapses
    # on 2026-07-05, within 14 days of 2026-06-22.
    with on(TODAY):
        for at in ("2026-01-02T09:00", "2026-01-03T09:00", "2026-01-04T09:00"):
            buy(users["rep_east1"], book["east1"], "2000.00", at=at)
        buy(users["rep_east1"], book["east1"], "2500.00", at="2026-01-05T09:00")
        # VIP on one order of 12,000 leaving on 2026-06-23 (a smaller one stays): falls then.
        buy(users["rep_east2"], book["east2"], "12000.00", at="2025-06-23T09:00")
        buy(users["rep_east2"], book["east2"], "500.00", at="2026-03-01T09:00")
        # VIP on two such orders, one of them staying: keeps VIP.
        buy(users["rep_south"], book["south"], "12000.00", at="2025-06-23T09:00")
        buy(users["rep_south"], book["south"], "11000.00", at="2026-03-01T09:00")
    assert set(Membership.objects.values_list("tier", flat=True)) == {"premium", "vip"}
    day = dt.date(2026, 6, 22)
    with on(day):
        window_roll(active_programme(), day)
        tiers_review(today=day)
        keeps = {
            c: tier_status(users["admin"], book[c].pk, day).keep.downgrade_on
            for c in ("east1", "east2", "south")
        }
    assert keeps == {
        "east1": dt.date(2026, 7, 5),
        "east2": dt.date(2026, 6, 23),
        "south": dt.date(2027, 3, 1),
    }
    assert warnings() == {
        book["east1"].pk: ["2026-07-05"],
        book["east2"].pk: ["2026-06-23"],
    }


@pytest.mark.parametrize(
    ("seed", "grace", "warning_days"), [(1, 0, 14), (2, 0, 45), (3, 1, 60), (4, 2, 90)]
)
def test_the_forecast_warns_exactly_whom_the_card_plans_to_downgrade_in_time(
    users, seed, grace, warning_days
):
    """Random purchases over the last thirteen months and random locks: after the night's
    review, a customer still meeting their tier holds a warning exactly when the card's
    ``downgrade_on`` falls within the warning days, and for that date."""
    import random

    from tests.loyalty.tiers_support import customers

    use_policy(grace=grace, warning_days=warning_days)
    rng = random.Random(seed)
    people = customers(users["admin"], 16)
    with on(TODAY):
        for person in people:
            for _ in range(rng.randint(1, 6)):
                # Half of them near the window's far end: they leave within the horizon.
                back = rng.choice([rng.randint(0, 300), rng.randint(365 - 2 * warning_days, 366)])
                day = TODAY - dt.timedelta(days=back)
                amount = rng.choice(["600.00", "1200.00", "2500.00", "4000.00"] * 4 + ["10500.00"])
                buy(users["admin"], person, amount, at=f"{day.isoformat()}T09:00")
    for person in people[::4]:
        lock = TODAY + dt.timedelta(days=rng.randint(1, 40))
        Membership.objects.filter(pk=person.pk).update(lock_until=lock)

    with on(TODAY):
        tiers_review(today=TODAY)
        keeps = {p.pk: tier_status(users["admin"], p.pk, TODAY).keep for p in people}
    horizon = TODAY + dt.timedelta(days=warning_days)
    rows = {m.pk: m for m in Membership.objects.filter(pk__in=keeps)}
    ahead = {
        pk: keep.downgrade_on.isoformat()
        for pk, keep in keeps.items()
        if keep.qualifies and keep.downgrade_on is not None and keep.downgrade_on <= horizon
    }
    sent = {pk: dates[-1] for pk, dates in warnings().items() if rows[pk].below_since is None}
    assert sent == ahead
    assert {pk: rows[pk].warned_for.isoformat() for pk in ahead} == ahead
    assert ahead  # every world has a customer to warn (else this proves nothing)


def test_landing_on_the_qualified_tier_names_the_projected_one(users, book):
    use_policy(grace=0, warning_days=14, landing=Landing.QUALIFIED)
    # VIP on one order of 12,000 leaving on 2026-06-20; what stays (2,500 over two orders)
    # qualifies for 标准级: the warning names 标准级, not the tier below VIP (高级).
    with on(TODAY):
        buy(users["rep_east1"], book["east1"], "12000.00", at="2025-06-20T09:00")
        buy(users["rep_east1"], book["east1"], "1500.00", at="2026-01-05T09:00")
        buy(users["rep_east1"], book["east1"], "1000.00", at="2026-02-05T09:00")
    assert Membership.objects.get(pk=book["east1"].pk).tier == "vip"

    with on(TODAY):
        assert tiers_review(today=TODAY).warned_ahead == 1

    message = OutboxMessage.objects.get(kind=MessageKind.DOWNGRADE_WARNING)
    assert (message.payload["to_tier"], message.payload["planned_on"]) == ("standard", "2026-06-20")


def test_a_row_written_after_its_projection_is_left_for_the_next_night(users, book, monkeypatch):
    """The projection is read before the window row is taken: a purchase can commit between.
    Here it upgrades the customer, who must not be warned about the tier they left."""
    from tiercard.loyalty.services import forecast
    from tiercard.tiers.policy import latest_warned_fall

    use_policy(grace=0, warning_days=14)
    standard_on_two(users, book, "east1", "2025-06-20T09:00")
    with on(TODAY):
        active = active_programme()
        assert forecast._project(active, TODAY, latest_warned_fall(TODAY, 14, 0)) == 1
        with connection.cursor() as cur:
            cur.execute("SELECT customer_id FROM tc_forecast_falls")
            assert [row[0] for row in cur.fetchall()] == [book["east1"].pk]
        for _ in range(2):  # 8,500 over four orders: 高级 now
            buy(users["rep_east1"], book["east1"], "3000.00")
        # The night's own projection is the one made before the purchases.
        monkeypatch.setattr(forecast, "_project", lambda *args: None)

        assert forecast_warn(TODAY) == (0, 0)

    assert warnings() == {}
    row = Membership.objects.get(pk=book["east1"].pk)
    assert (row.tier, row.warned_for) == ("premium", None)


def test_a_warning_ahead_is_not_undone_by_the_review_of_its_row(users, book):
    from tiercard.loyalty.models import ReviewMark

    use_policy(grace=0, warning_days=14)
    standard_on_two(users, book, "east1", "2025-06-20T09:00")
    with on(TODAY):
        tiers_review(today=TODAY)
    ReviewMark.objects.create(customer_id=book["east1"].pk)  # e.g. a return's mark

    with on(TODAY):
        report = tiers_review(today=TODAY)

    assert (report.candidates, report.recovered, report.warned) == (1, 0, 0)
    assert warned_for(book["east1"]) == dt.date(2026, 6, 20)
