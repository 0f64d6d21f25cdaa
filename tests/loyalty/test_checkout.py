"""Purchases and returns move window figures, growth value, points and tier in one transaction.

The incremental figures the checkout keeps must always equal a set-based rebuild from the
purchases and growth entries: the strongest check that no path forgets a column.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.loyalty.writes_support import RowWrites
from tiercard.core.errors import Conflict, NotFound, ValidationFailed
from tiercard.loyalty.models import GrowthEntry, Membership, PointsEntry, ReviewMark, TierChange
from tiercard.loyalty.services.checkout import purchase_record, purchase_return
from tiercard.loyalty.services.checkout_rules import FIGURES  # the columns a purchase moves
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.services.window import window_rebuild, window_roll
from tiercard.sales.models import Purchase, PurchaseReturn

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def buy(actor, customer, amount: str, *, at: str | None = None, ref: str = ""):
    data = {"lines": [{"item_name": "茶叶", "unit_price": amount}], "external_ref": ref}
    if at:
        data["occurred_at"] = at
    return purchase_record(actor=actor, customer_id=customer.pk, data=data).purchase


def figures(customer_id: int) -> dict[str, object]:
    row = Membership.objects.get(pk=customer_id)
    return {name: getattr(row, name) for name in FIGURES}


def assert_rebuild_agrees(today: dt.date) -> None:
    """Every membership's stored figures equal a set-based rebuild from the source rows."""
    before = {m.pk: figures(m.pk) for m in Membership.objects.all()}
    window_rebuild(active_programme(), today)
    after = {m.pk: figures(m.pk) for m in Membership.objects.all()}
    assert before == after


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_purchase_moves_figures_growth_and_points(users, book):
    rep, customer = users["rep_east1"], book["east1"]

    purchase = buy(rep, customer, "1200.50")

    row = Membership.objects.get(pk=customer.pk)
    assert (row.win_spend, row.win_orders, row.win_max_order) == (
        Decimal("1200.50"),
        1,
        Decimal("1200.50"),
    )
    assert (row.win_growth, row.growth_total) == (1200, 1200)
    assert row.last_purchase_on == dt.date(2026, 6, 15)
    growth = GrowthEntry.objects.get(purchase=purchase)
    assert (growth.amount, growth.key) == (1200, f"purchase:{purchase.pk}:growth")
    earn = PointsEntry.objects.get(key=f"purchase:{purchase.pk}:earn")
    assert earn.points == 1200 and row.points_balance == 1200 and earn.balance_after == 1200
    assert row.tier == "basic"
    assert_rebuild_agrees(dt.date(2026, 6, 15))


def membership_writes(queries: list[dict[str, str]]) -> list[str]:
    """The statements among ``queries`` that write a membership row."""
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().replace('"', "").startswith("UPDATE LOYALTY_MEMBERSHIP ")
    ]


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
@pytest.mark.parametrize("amount", ["300.00", "6000.00"])  # a plain purchase; one that upgrades
def test_a_purchase_writes_the_membership_row_once(users, book, amount):
    """Figures, tier and points balance travel in one UPDATE: on PostgreSQL every row version
    takes an entry in each of the row's indexes, so a second UPDATE cost as much again."""
    rep, customer = users["rep_east1"], book["east1"]
    buy(rep, customer, "100.00")  # the membership row exists: only its UPDATE remains

    with CaptureQueriesContext(connection) as seen:
        purchase = buy(rep, customer, amount)

    writes = membership_writes(seen.captured_queries)
    assert len(writes) == 1, writes
    assert "points_balance" in writes[0]
    row = Membership.objects.get(pk=customer.pk)
    earn = PointsEntry.objects.get(key=f"purchase:{purchase.pk}:earn")
    assert row.points_balance == earn.balance_after == 100 + earn.points
    assert sum(PointsEntry.objects.filter(customer=customer).values_list("points", flat=True)) == (
        row.points_balance
    )
    assert row.win_spend == Decimal("100.00") + Decimal(amount)


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
@pytest.mark.parametrize(("amount", "tier"), [("300.00", "basic"), ("6000.00", "standard")])
def test_a_purchase_writes_the_card_row_once_upgrade_or_not(users, book, amount, tier):
    """An upgrade's tier copy travels in the card's totals UPDATE: the membership trigger that
    copies it then finds nothing to change (a second card row version cost as much again)."""
    rep, customer = users["rep_east1"], book["east1"]
    buy(rep, customer, "100.00")

    with RowWrites("customers_customer") as card:
        buy(rep, customer, amount)

    assert card.count == 1
    assert Membership.objects.get(pk=customer.pk).tier == tier
    customer.refresh_from_db()
    assert customer.tier == ("" if tier == "basic" else tier)  # "" is the lowest tier
    assert (customer.order_count, customer.total_spend) == (2, Decimal("100.00") + Decimal(amount))


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_crossing_purchase_upgrades_at_once_and_earns_at_the_new_multiplier(users, book):
    rep, customer = users["rep_east1"], book["east1"]
    buy(rep, customer, "1000.00")

    crossing = buy(rep, customer, "1000.00")  # spend 2000, 2 orders: 标准级

    row = Membership.objects.get(pk=customer.pk)
    assert row.tier == "standard"
    change = TierChange.objects.get(customer=customer)
    assert (change.from_tier, change.to_tier, change.reason) == (
        "basic",
        "standard",
        "auto_upgrade",
    )
    assert change.purchase_id == crossing.pk and change.metrics["spend"] == "2000.00"
    earn = PointsEntry.objects.get(key=f"purchase:{crossing.pk}:earn")
    assert earn.points == 1200  # 1000 × 1 point/¥ × 1.2 (标准级 multiplier)


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_returns_take_back_growth_and_points_pro_rata_and_add_up(users, book):
    rep, customer = users["rep_east1"], book["east1"]
    purchase = buy(rep, customer, "100.00")  # 100 growth, 100 points

    for amount in ("33.33", "33.33", "33.34"):
        purchase_return(actor=rep, purchase_id=purchase.pk, data={"amount": amount})

    row = Membership.objects.get(pk=customer.pk)
    assert (row.win_spend, row.win_orders, row.win_max_order) == (
        Decimal("0.00"),
        0,
        Decimal("0.00"),
    )
    assert (row.win_growth, row.growth_total, row.points_balance) == (0, 0, 0)
    taken = [e.amount for e in GrowthEntry.objects.filter(kind="return").order_by("id")]
    assert taken == [-33, -33, -34]
    assert row.last_purchase_on is None  # the only purchase is fully returned
    assert ReviewMark.objects.filter(customer_id=customer.pk).exists()
    customer.refresh_from_db()
    assert customer.total_spend == Decimal("0.00") and customer.order_count == 0
    assert_rebuild_agrees(dt.date(2026, 6, 15))


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_return_beyond_what_is_left_is_refused_and_writes_nothing(users, book):
    rep, customer = users["rep_east1"], book["east1"]
    purchase = buy(rep, customer, "100.00")
    purchase_return(actor=rep, purchase_id=purchase.pk, data={"amount": "60.00"})
    before = (figures(customer.pk), PointsEntry.objects.count(), PurchaseReturn.objects.count())

    with pytest.raises(Conflict) as caught:
        purchase_return(actor=rep, purchase_id=purchase.pk, data={"amount": "40.01"})

    assert caught.value.code == "return_exceeds_purchase"
    assert (
        figures(customer.pk),
        PointsEntry.objects.count(),
        PurchaseReturn.objects.count(),
    ) == before


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
@pytest.mark.parametrize("amount", ["-5", "0", "abc", "1.234"])
def test_bad_return_amounts_are_field_errors(users, book, amount):
    rep, customer = users["rep_east1"], book["east1"]
    purchase = buy(rep, customer, "100.00")

    with pytest.raises(ValidationFailed) as caught:
        purchase_return(actor=rep, purchase_id=purchase.pk, data={"amount": amount})

    assert "amount" in caught.value.fields
    assert PurchaseReturn.objects.count() == 0
    assert Purchase.objects.get(pk=purchase.pk).returned_amount == Decimal("0.00")


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_returning_another_reps_purchase_is_not_found(users, book):
    purchase = buy(users["rep_east1"], book["east1"], "100.00")

    with pytest.raises(NotFound):
        purchase_return(actor=users["rep_south"], purchase_id=purchase.pk, data={"amount": "1"})

    assert PurchaseReturn.objects.count() == 0


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_return_replay_by_reference_changes_nothing(users, book):
    rep, customer = users["rep_east1"], book["east1"]
    purchase = buy(rep, customer, "100.00")
    data = {"amount": "10.00", "external_ref": "RMA-1"}
    first = purchase_return(actor=rep, purchase_id=purchase.pk, data=data)

    again = purchase_return(actor=rep, purchase_id=purchase.pk, data=data)

    assert again.created is False and again.purchase_return.pk == first.purchase_return.pk
    assert Purchase.objects.get(pk=purchase.pk).returned_amount == Decimal("10.00")
    assert Membership.objects.get(pk=customer.pk).points_balance == 90


def test_backdated_purchase_outside_the_window_counts_for_life_not_for_the_tier(users, book):
    rep, customer = users["rep_east1"], book["east1"]
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False):
        buy(rep, customer, "500.00", at="2025-03-01T09:00")  # before 2025-06-16: outside
        buy(rep, customer, "300.00", at="2025-07-01T09:00")  # inside the 12 months

        row = Membership.objects.get(pk=customer.pk)
        assert (row.win_spend, row.win_orders, row.win_max_order) == (
            Decimal("300.00"),
            1,
            Decimal("300.00"),
        )
        assert (row.win_growth, row.growth_total) == (300, 800)
        assert row.last_purchase_on == dt.date(2025, 7, 1)
        assert_rebuild_agrees(dt.date(2026, 6, 15))


def test_nightly_roll_drops_the_days_leaving_the_window(users, book):
    rep, customer = users["rep_east1"], book["east1"]
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False):
        buy(rep, customer, "800.00", at="2025-06-20T09:00")
        buy(rep, customer, "200.00", at="2025-06-25T09:00")
        buy(rep, customer, "100.00", at="2026-01-05T09:00")
        buy(users["rep_east2"], book["east2"], "500.00", at="2026-01-05T09:00")  # stays in
    active = active_programme()

    with time_machine.travel(dt.datetime(2026, 6, 21, 0, 5, tzinfo=SHANGHAI), tick=False):
        rolled = window_roll(active, dt.date(2026, 6, 21))  # window starts 2025-06-22

        row = Membership.objects.get(pk=customer.pk)
        assert (rolled.rows, rolled.fell_below) == (1, 0)
        assert (row.win_spend, row.win_orders, row.win_max_order) == (
            Decimal("300.00"),
            2,
            Decimal("200.00"),
        )
        assert row.win_growth == 300 and row.growth_total == 1100
        assert window_roll(active, dt.date(2026, 6, 21)).rows == 0  # re-run: nothing to do
        assert_rebuild_agrees(dt.date(2026, 6, 21))


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_birthday_month_doubles_points(users, make_customer):
    rep = users["rep_east1"]
    customer = make_customer(name="寿星", birthday=dt.date(1990, 6, 3))

    purchase = buy(rep, customer, "100.00")

    assert PointsEntry.objects.get(key=f"purchase:{purchase.pk}:earn").points == 200


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_invalid_purchase_writes_no_membership_growth_or_points(users, book):
    rep, customer = users["rep_east1"], book["east1"]

    with pytest.raises(ValidationFailed):
        purchase_record(
            actor=rep,
            customer_id=customer.pk,
            data={"lines": [{"item_name": "x", "unit_price": "-1"}]},
        )

    assert not Membership.objects.filter(pk=customer.pk).exists()
    assert GrowthEntry.objects.count() == 0 and PointsEntry.objects.count() == 0


def test_late_return_of_a_purchase_outside_the_window_leaves_the_window_alone(users, book):
    rep, customer = users["rep_east1"], book["east1"]
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False):
        old = buy(rep, customer, "400.00", at="2025-01-10T09:00")  # outside the window
        buy(rep, customer, "100.00")
        before = figures(customer.pk)

        purchase_return(actor=rep, purchase_id=old.pk, data={"amount": "400.00"})

        after = figures(customer.pk)
        assert after["win_spend"] == before["win_spend"] == Decimal("100.00")
        assert after["win_growth"] == before["win_growth"] == 100
        assert after["growth_total"] == 100 and after["last_purchase_on"] == dt.date(2026, 6, 15)
        assert Membership.objects.get(pk=customer.pk).points_balance == 100
        assert_rebuild_agrees(dt.date(2026, 6, 15))


def test_calendar_year_window_starts_again_on_new_years_day(users, book):
    from tiercard.loyalty.services.ladders import ladder_apply, ladder_draft_create
    from tiercard.tiers.programme import default_programme, dump_programme

    rep, admin, customer = users["rep_east1"], users["admin"], book["east1"]
    rules = dump_programme(default_programme())
    rules["window"] = {"kind": "calendar", "period": "year"}
    with time_machine.travel(dt.datetime(2026, 12, 30, 10, tzinfo=SHANGHAI), tick=False):
        draft = ladder_draft_create(actor=admin, rules=rules, note="calendar year")
        ladder_apply(actor=admin, version=draft.version, today=dt.date(2026, 12, 30))
        buy(rep, customer, "1500.00", at="2026-02-01T09:00")
        buy(rep, customer, "600.00")
        assert figures(customer.pk)["win_spend"] == Decimal("2100.00")
        assert Membership.objects.get(pk=customer.pk).tier == "standard"

    with time_machine.travel(dt.datetime(2027, 1, 1, 0, 5, tzinfo=SHANGHAI), tick=False):
        window_roll(active_programme(), dt.date(2027, 1, 1))

        row = Membership.objects.get(pk=customer.pk)
        assert (row.win_spend, row.win_orders, row.win_growth) == (Decimal("0.00"), 0, 0)
        assert row.growth_total == 2100
        # Standard no longer met: its grace starts with the new year (no review mark needed).
        assert row.below_since == dt.date(2027, 1, 1) and row.tier == "standard"
        assert not ReviewMark.objects.filter(customer_id=customer.pk).exists()
        assert row.tier == "standard"  # the review decides, under the ladder's policy
        assert_rebuild_agrees(dt.date(2027, 1, 1))


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin"])
def test_rebuild_dates_purchases_in_the_business_time_zone(users, book, settings, zone):
    # Shanghai has a fixed offset (SQLite date arithmetic); Berlin has summer time (the
    # per-row conversion). Just after local midnight it is still the day before in UTC.
    settings.TIERCARD_TIME_ZONE = zone
    rep, customer = users["rep_east1"], book["east1"]
    local = dt.datetime(2026, 7, 2, 0, 30, tzinfo=ZoneInfo(zone))
    with time_machine.travel(local + dt.timedelta(hours=1), tick=False):
        buy(rep, customer, "50.00", at="2026-07-02T00:30")
        assert figures(customer.pk)["last_purchase_on"] == dt.date(2026, 7, 2)
        assert_rebuild_agrees(dt.date(2026, 7, 2))
