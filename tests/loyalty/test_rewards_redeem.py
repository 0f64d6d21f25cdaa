"""Redeeming points for rewards: FIFO allocation, every refusal, replays, cancellation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from tests.loyalty.points_support import TODAY, give
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.services import customer_archive
from tiercard.loyalty.models import (
    Membership,
    PointsEntry,
    PointsLot,
    Redemption,
    RedemptionStatus,
    Reward,
)
from tiercard.loyalty.services.rewards import points_redeem, redemption_cancel

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("business_day")]


def redeem(users, customer, code="tea", quantity=1, key="r1", actor="rep_east1"):
    return points_redeem(
        actor=users[actor], customer_id=customer.pk, reward_code=code, quantity=quantity, key=key
    )


def test_redeem_draws_lots_first_expiring_first(users, book, earn, make_reward, ledger_check):
    customer = book["east1"]
    make_reward("tea", 30)
    newer = earn(customer, "200.00")  # expires 2027-12-31
    older = earn(customer, "100.00", at="2025-03-01 09:00")  # expires 2026-12-31, posted later

    redemption = redeem(users, customer, quantity=5)

    assert (redemption.points, redemption.quantity, redemption.status) == (150, 5, "issued")
    entry = redemption.entry
    assert (entry.kind, entry.points, entry.balance_after, entry.key) == (
        "redeem",
        -150,
        150,
        "redeem:r1",
    )
    drawn = [(a.lot.entry.purchase_id, a.points) for a in entry.allocations.order_by("id")]
    assert drawn == [(older.pk, 100), (newer.pk, 50)]
    assert Membership.objects.get(pk=customer.pk).points_balance == 150
    assert redemption.coupon_code == ""
    audit = AuditEvent.objects.get(object_type="loyalty.redemption")
    assert audit.changes == {"reward": "tea", "quantity": 5, "points": 150}
    ledger_check(customer.pk)


def test_redeem_skips_lots_past_their_last_day(users, book, make_reward, points_rules):
    customer = book["east1"]
    make_reward("tea", 30)
    give(users, customer, 100, key="g1")
    # An overdue lot the nightly job has not reached yet: in the balance, not spendable.
    lot = PointsLot.objects.get(customer_id=customer.pk)
    PointsLot.objects.filter(pk=lot.pk).update(expires_on=TODAY - dt.timedelta(days=1))
    give(users, customer, 40, key="g2")

    redeem(users, customer, quantity=1)
    with pytest.raises(Conflict) as exc:
        redeem(users, customer, quantity=1, key="r2")

    assert exc.value.code == "insufficient_points"
    lot.refresh_from_db()
    assert lot.remaining == 100  # untouched
    assert Membership.objects.get(pk=customer.pk).points_balance == 110


def test_coupon_rewards_get_an_unambiguous_code(users, book, make_reward):
    customer = book["east1"]
    make_reward("coupon50", 50, kind="coupon")
    give(users, customer, 100)

    redemption = redeem(users, customer, code="coupon50")

    assert re.fullmatch(
        r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", redemption.coupon_code
    )


def test_stock_is_taken_and_unlimited_stays_unlimited(users, book, make_reward):
    customer = book["east1"]
    make_reward("cup", 10, stock=3)
    make_reward("tea", 10)
    give(users, customer, 100)

    redeem(users, customer, code="cup", quantity=2, key="a")
    redeem(users, customer, code="tea", quantity=2, key="b")

    assert dict(Reward.objects.values_list("code", "stock")) == {"cup": 1, "tea": None}


def test_replay_returns_the_same_redemption_and_a_changed_replay_is_refused(
    users, book, make_reward, ledger_snapshot
):
    customer = book["east1"]
    make_reward("tea", 30, stock=10)
    give(users, customer, 100)
    first = redeem(users, customer, quantity=2)
    after_first = ledger_snapshot(customer.pk)

    again = redeem(users, customer, quantity=2)
    with pytest.raises(ValidationFailed) as exc:
        redeem(users, customer, quantity=3)

    assert again.pk == first.pk and exc.value.code == "duplicate_key"
    assert ledger_snapshot(customer.pk) == after_first


@pytest.fixture
def offers(users, book, make_reward):
    """A customer with 100 points and one reward per way of refusing a redemption."""
    make_reward("tea", 30, stock=10)
    make_reward("old", 10, valid_until="2026-06-14")
    make_reward("soon", 10, valid_from="2026-06-16")
    make_reward("off", 10, active=False)
    make_reward("gone", 10, stock=0)
    make_reward("vip", 10, min_tier="vip")
    make_reward("dear", 101, stock=5)
    give(users, book["east1"], 100)
    redeem(users, book["east1"], code="tea", quantity=1, key="used")


@pytest.mark.parametrize(
    ("actor", "code", "quantity", "key", "error", "error_code"),
    [
        ("rep_east1", "nope", 1, "k", NotFound, "reward_not_found"),
        ("rep_east1", "old", 1, "k", Conflict, "reward_expired"),
        ("rep_east1", "soon", 1, "k", Conflict, "reward_not_started"),
        ("rep_east1", "off", 1, "k", Conflict, "reward_inactive"),
        ("rep_east1", "gone", 1, "k", Conflict, "out_of_stock"),
        ("rep_east1", "vip", 1, "k", Conflict, "tier_too_low"),
        ("rep_east1", "dear", 1, "k", Conflict, "insufficient_points"),
        ("rep_east1", "tea", 3, "k", Conflict, "insufficient_points"),  # 90 > 70
        ("rep_east1", "tea", 0, "k", ValidationFailed, "bad_quantity"),
        ("rep_east1", "tea", -1, "k", ValidationFailed, "bad_quantity"),
        ("rep_east1", "tea", 101, "k", ValidationFailed, "bad_quantity"),
        ("rep_east1", "tea", 2, "used", ValidationFailed, "duplicate_key"),
        ("rep_east1", "tea", 1, "", ValidationFailed, "validation_error"),
        ("marketing", "tea", 1, "k", PermissionDenied, "permission_denied"),
        ("rep_east2", "tea", 1, "k", NotFound, "not_found"),  # another rep's customer
        ("mgr_south", "tea", 1, "k", NotFound, "not_found"),
    ],
)
def test_refused_redemptions_write_nothing(
    users, book, offers, ledger_snapshot, actor, code, quantity, key, error, error_code
):
    customer = book["east1"]
    before = ledger_snapshot(customer.pk)

    with pytest.raises(error) as exc:
        redeem(users, customer, code=code, quantity=quantity, key=key, actor=actor)

    assert exc.value.code == error_code
    assert ledger_snapshot(customer.pk) == before


def test_insufficient_points_has_a_clear_message(users, book, offers):
    with translation.override("en"), pytest.raises(Conflict) as exc:
        redeem(users, book["east1"], code="dear", key="k")
    with translation.override("zh-hans"), pytest.raises(Conflict) as zh:
        redeem(users, book["east1"], code="dear", key="k")

    assert str(exc.value.message) == "Not enough points: 70 available, 101 needed."
    assert "70" in str(zh.value.message) and "101" in str(zh.value.message)
    assert exc.value.params == {"available": 70, "needed": 101}


def test_tier_high_enough_may_redeem(users, book, make_reward):
    customer = book["east1"]
    make_reward("gold", 10, min_tier="premium")
    give(users, customer, 50)
    Membership.objects.filter(pk=customer.pk).update(tier="vip")

    assert redeem(users, customer, code="gold").points == 10


def test_cancel_returns_points_to_a_lot_with_the_latest_drawn_expiry(
    users, book, earn, make_reward, ledger_check
):
    customer = book["east1"]
    make_reward("cup", 10, stock=5)
    earn(customer, "30.00", at="2025-03-01 09:00")  # 30, expires 2026-12-31
    earn(customer, "50.00")  # 50, expires 2027-12-31
    redemption = redeem(users, customer, code="cup", quantity=4)  # 30 + 10

    entry = redemption_cancel(
        actor=users["mgr_east"], redemption_id=redemption.pk, reason="客户取消", key="c1"
    )

    assert (entry.kind, entry.points, entry.balance_after) == ("reversal", 40, 80)
    assert entry.reverses_id == redemption.entry_id and entry.key == "cancel:c1"
    assert (entry.lot.points, entry.lot.expires_on) == (40, dt.date(2027, 12, 31))
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.CANCELLED
    assert Reward.objects.get(code="cup").stock == 5
    ledger_check(customer.pk)

    replay = redemption_cancel(
        actor=users["mgr_east"], redemption_id=redemption.pk, reason="客户取消", key="c1"
    )
    with pytest.raises(Conflict) as exc:
        redemption_cancel(
            actor=users["mgr_east"], redemption_id=redemption.pk, reason="再次", key="c2"
        )
    assert replay.pk == entry.pk and exc.value.code == "already_cancelled"
    assert PointsEntry.objects.filter(points__gt=0, reverses__isnull=False).count() == 1
    assert Reward.objects.get(code="cup").stock == 5


def test_cancel_refusals(users, book, make_reward, ledger_snapshot):
    customer = book["east1"]
    make_reward("tea", 10)
    give(users, customer, 50)
    redemption = redeem(users, customer)
    before = ledger_snapshot(customer.pk)

    for actor, error in (("rep_east1", PermissionDenied), ("mgr_south", NotFound)):
        with pytest.raises(error):
            redemption_cancel(actor=users[actor], redemption_id=redemption.pk, reason="x", key="c")
    with pytest.raises(ValidationFailed):
        redemption_cancel(actor=users["admin"], redemption_id=redemption.pk, reason="", key="c")

    assert ledger_snapshot(customer.pk) == before
    assert Redemption.objects.get().status == RedemptionStatus.ISSUED


def test_archived_card_cannot_redeem(users, book, offers, ledger_snapshot):
    customer = book["east1"]
    customer_archive(actor=users["mgr_east"], customer_id=customer.pk, reason="closed")
    before = ledger_snapshot(customer.pk)

    with pytest.raises(Conflict) as exc:
        redeem(users, customer, key="k")

    assert exc.value.code == "customer_archived"
    assert ledger_snapshot(customer.pk) == before
