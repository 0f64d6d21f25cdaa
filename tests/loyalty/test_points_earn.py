"""Earning points on purchases, taking them back on returns, and manual adjustments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.loyalty.models import EntryKind, Membership, PointsEntry, PointsLot
from tiercard.loyalty.services.points import points_adjust, points_reverse_return
from tiercard.loyalty.services.state import active_programme, membership_lock
from tiercard.sales.models import PurchaseReturn
from tiercard.tiers.earning import Expiry

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI)
TODAY = dt.date(2026, 6, 15)
frozen = time_machine.travel(NOW, tick=False)


def entries(customer_id: int) -> list[tuple[str, int, int, str]]:
    return [
        (e.kind, e.points, e.balance_after, e.key)
        for e in PointsEntry.objects.filter(customer_id=customer_id).order_by("id")
    ]


def give_back(customer, purchase, amount: str, points: int):
    """A return posted the way checkout does: the return row, then the reversal under the lock."""
    ret = PurchaseReturn.objects.create(purchase=purchase, amount=Decimal(amount))
    with transaction.atomic():
        active = active_programme()
        row = membership_lock(customer.pk, active)
        entry = points_reverse_return(
            row=row,
            active=active,
            purchase=purchase,
            purchase_return=ret,
            points=points,
            actor=None,
            today=TODAY,
        )
    return ret, entry


@frozen
def test_earn_posts_entry_and_lot_expiring_per_rules(book, earn, ledger_check):
    customer = book["east1"]

    purchase = earn(customer, "1234.56")

    entry = PointsEntry.objects.get(key=f"purchase:{purchase.pk}:earn")
    assert (entry.kind, entry.points, entry.balance_after) == (EntryKind.EARN, 1234, 1234)
    assert entry.purchase_id == purchase.pk and entry.ladder_version == 1
    lot = entry.lot
    assert (lot.points, lot.remaining, lot.earned_on) == (1234, 1234, TODAY)
    assert lot.expires_on == dt.date(2027, 12, 31)  # end of the year after
    assert Membership.objects.get(pk=customer.pk).points_balance == 1234
    ledger_check(customer.pk)


@frozen
def test_earn_applies_tier_multiplier_and_birthday_bonus(book, earn):
    purchase = earn(book["east1"], "100.99", multiplier="1.5", birthday=True)

    # floor(100.99 × 1 × 1.5 × 2) = floor(302.97)
    assert PointsEntry.objects.get(purchase=purchase).points == 302


@frozen
def test_purchase_earning_nothing_posts_nothing(book, earn):
    earn(book["east1"], "0.99")

    assert not PointsEntry.objects.exists() and not PointsLot.objects.exists()


@frozen
def test_backdated_purchase_past_its_expiry_is_credited_and_expired_at_once(
    book, earn, ledger_check
):
    customer = book["east1"]

    purchase = earn(customer, "500.00", at="2024-05-01 10:00")

    assert entries(customer.pk) == [
        ("earn", 500, 500, f"purchase:{purchase.pk}:earn"),
        ("expire", -500, 0, f"purchase:{purchase.pk}:expire"),
    ]
    lot = PointsLot.objects.get(customer_id=customer.pk)
    assert (lot.earned_on, lot.expires_on, lot.remaining) == (
        dt.date(2024, 5, 1),
        dt.date(2025, 12, 31),
        0,
    )
    ledger_check(customer.pk)


@frozen
def test_backdated_purchase_still_valid_keeps_its_earlier_expiry(book, earn):
    purchase = earn(book["east1"], "300.00", at="2025-03-01 09:00")

    lot = PointsLot.objects.get(entry__purchase=purchase)
    assert (lot.expires_on, lot.remaining) == (dt.date(2026, 12, 31), 300)


@frozen
def test_after_days_expiry_counts_from_the_purchase_day(book, earn, points_rules):
    points_rules(expiry=Expiry.AFTER_DAYS, expiry_after=30)

    purchase = earn(book["east1"], "100.00", at="2026-06-01 12:00")

    assert PointsLot.objects.get(entry__purchase=purchase).expires_on == dt.date(2026, 7, 1)


@frozen
def test_return_takes_from_its_purchase_lot_first_then_fifo(book, earn, ledger_check):
    customer = book["east1"]
    older = earn(customer, "100.00", at="2025-03-01 09:00")  # lot expires 2026-12-31
    bought = earn(customer, "200.00")  # lot expires 2027-12-31

    _ret, entry = give_back(customer, bought, "200.00", 250)

    assert (entry.kind, entry.points, entry.balance_after) == ("reversal", -250, 50)
    assert entry.reverses.key == f"purchase:{bought.pk}:earn"
    drawn = {a.lot.entry.purchase_id: a.points for a in entry.allocations.all()}
    assert drawn == {bought.pk: 200, older.pk: 50}
    ledger_check(customer.pk)


@frozen
def test_return_short_of_points_takes_what_there_is_and_owes_the_rest(
    users, book, earn, ledger_check
):
    customer = book["east1"]
    bought = earn(customer, "300.00")
    points_adjust(
        actor=users["mgr_east"],
        customer_id=customer.pk,
        points=-250,
        reason="兑换线下礼品",
        key="k1",
    )

    ret, entry = give_back(customer, bought, "300.00", 300)

    row = Membership.objects.get(pk=customer.pk)
    assert (entry.points, row.points_balance, row.points_owed) == (-50, 0, 250)
    assert entry.key == f"return:{ret.pk}"

    later = earn(customer, "400.00")  # settles the 250 owed first

    row.refresh_from_db()
    assert (row.points_balance, row.points_owed) == (150, 0)
    assert entries(customer.pk)[-2:] == [
        ("earn", 400, 400, f"purchase:{later.pk}:earn"),
        ("reversal", -250, 150, f"purchase:{later.pk}:settle"),
    ]
    ledger_check(customer.pk)


@frozen
def test_return_on_an_empty_balance_only_records_the_debt(users, book, earn):
    customer = book["east1"]
    bought = earn(customer, "100.00")
    points_adjust(
        actor=users["mgr_east"], customer_id=customer.pk, points=-100, reason="更正", key="k2"
    )

    _ret, entry = give_back(customer, bought, "100.00", 100)

    assert entry is None
    assert Membership.objects.get(pk=customer.pk).points_owed == 100


@frozen
def test_adjust_credits_a_lot_from_today_and_is_audited(users, book, ledger_check):
    customer = book["east1"]

    entry = points_adjust(
        actor=users["mgr_east"], customer_id=customer.pk, points=80, reason=" 补录积分 ", key="a-1"
    )

    assert (entry.kind, entry.points, entry.key, entry.note) == (
        "adjust",
        80,
        "adjust:a-1",
        "补录积分",
    )
    assert entry.lot.expires_on == dt.date(2027, 12, 31)
    audit = AuditEvent.objects.get(object_type="loyalty.pointsentry")
    assert audit.customer_id == customer.pk and audit.changes["points"] == 80
    ledger_check(customer.pk)


@frozen
def test_adjust_replay_returns_the_entry_and_a_changed_replay_is_refused(users, book):
    customer, mgr = book["east1"], users["mgr_east"]
    first = points_adjust(actor=mgr, customer_id=customer.pk, points=80, reason="补录", key="a-1")

    again = points_adjust(actor=mgr, customer_id=customer.pk, points=80, reason="补录", key="a-1")
    with pytest.raises(ValidationFailed) as exc:
        points_adjust(actor=mgr, customer_id=customer.pk, points=81, reason="补录", key="a-1")

    assert again.pk == first.pk and exc.value.code == "duplicate_key"
    assert PointsEntry.objects.count() == 1
    assert Membership.objects.get(pk=customer.pk).points_balance == 80


@frozen
def test_negative_adjust_draws_fifo_and_refuses_overdraft(users, book, earn, ledger_snapshot):
    customer, mgr = book["east1"], users["mgr_east"]
    older = earn(customer, "100.00", at="2025-03-01 09:00")
    earn(customer, "100.00")
    before = ledger_snapshot(customer.pk)

    with pytest.raises(Conflict) as exc:
        points_adjust(actor=mgr, customer_id=customer.pk, points=-201, reason="更正", key="n1")

    assert exc.value.code == "insufficient_points"
    assert ledger_snapshot(customer.pk) == before
    entry = points_adjust(actor=mgr, customer_id=customer.pk, points=-120, reason="更正", key="n2")
    drawn = sorted((a.lot.entry.purchase_id, a.points) for a in entry.allocations.all())
    assert drawn[0] == (older.pk, 100) and drawn[1][1] == 20


@pytest.mark.parametrize(
    ("actor", "points", "reason", "key", "error", "fields"),
    [
        ("rep_east1", 10, "x", "k", PermissionDenied, None),
        ("service", 10, "x", "k", PermissionDenied, None),
        ("mgr_east", 0, "x", "k", ValidationFailed, {"points"}),
        ("mgr_east", 10_000_001, "x", "k", ValidationFailed, {"points"}),
        ("mgr_east", 10, "  ", "k", ValidationFailed, {"reason"}),
        ("mgr_east", 10, "长" * 201, "k", ValidationFailed, {"reason"}),
        ("mgr_east", 10, "x", "", ValidationFailed, {"key"}),
        ("mgr_east", 10, "x", "has space", ValidationFailed, {"key"}),
        ("mgr_south", 10, "x", "k", NotFound, None),
    ],
)
def test_adjust_refusals_write_nothing(
    users, book, ledger_snapshot, actor, points, reason, key, error, fields
):
    customer = book["east1"]
    before = ledger_snapshot(customer.pk)

    with pytest.raises(error) as exc:
        points_adjust(
            actor=users[actor], customer_id=customer.pk, points=points, reason=reason, key=key
        )

    if fields:
        assert set(exc.value.fields) == fields
    assert ledger_snapshot(customer.pk) == before
