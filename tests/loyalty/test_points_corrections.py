"""Undoing a manual adjustment: a reversal entry naming it, once, the ledger append-only;
refusals write nothing."""

from __future__ import annotations

import pytest

from tests.loyalty.threads_support import in_threads
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.loyalty.models import EntryKind, Membership, PointsEntry, PointsLot
from tiercard.loyalty.services.points import points_adjust
from tiercard.loyalty.services.points_corrections import points_adjust_reverse
from tiercard.loyalty.services.points_redeem import points_redeem

pytestmark = pytest.mark.django_db


def _adjust(users, customer, points: int, key: str) -> PointsEntry:
    return points_adjust(
        actor=users["mgr_east"], customer_id=customer.pk, points=points, reason="录错", key=key
    )


def test_reversing_an_addition_takes_its_own_lot_back_and_keeps_the_original(
    users, book, ledger_check
):
    customer = book["east1"]
    earlier = _adjust(users, customer, 100, "a")
    wrong = _adjust(users, customer, 500, "b")
    before = PointsEntry.objects.filter(pk=wrong.pk).values().get()

    undone = points_adjust_reverse(actor=users["mgr_east"], entry_id=wrong.pk, reason="多加了")

    # An adjustment naming the original: reports count it with the adjustments, not as a return.
    assert (undone.kind, undone.points, undone.reverses_id) == (EntryKind.ADJUST, -500, wrong.pk)
    assert (undone.balance_after, undone.note) == (100, "多加了")
    assert PointsEntry.objects.filter(pk=wrong.pk).values().get() == before  # untouched
    lots = dict(PointsLot.objects.values_list("entry_id", "remaining"))
    assert lots == {earlier.pk: 100, wrong.pk: 0}  # its own lot, not the older one
    assert AuditEvent.objects.filter(object_id=str(undone.pk), note="多加了").exists()
    ledger_check(customer.pk)


def test_reversing_a_removal_gives_the_points_back_as_a_new_lot(users, book, ledger_check):
    customer = book["east1"]
    _adjust(users, customer, 300, "a")
    removal = _adjust(users, customer, -200, "b")

    undone = points_adjust_reverse(actor=users["admin"], entry_id=removal.pk, reason="扣错了")

    assert (undone.points, undone.balance_after) == (200, 300)
    assert PointsLot.objects.get(entry=undone).remaining == 200
    ledger_check(customer.pk)


def _state(customer_id: int) -> tuple:
    return (
        list(PointsEntry.objects.order_by("pk").values_list("pk", "points", "balance_after")),
        list(PointsLot.objects.order_by("pk").values_list("pk", "remaining")),
        Membership.objects.get(pk=customer_id).points_balance,
        AuditEvent.objects.count(),
    )


def test_refusals_write_nothing(users, book, make_reward):
    customer = book["east1"]
    make_reward("tea", 400)
    gift = _adjust(users, customer, 500, "a")
    points_redeem(
        actor=users["rep_east1"], customer_id=customer.pk, reward_code="tea", quantity=1, key="r"
    )
    redeemed = PointsEntry.objects.get(kind=EntryKind.REDEEM)
    small = _adjust(users, customer, 50, "c")
    points_adjust_reverse(actor=users["mgr_east"], entry_id=small.pk, reason="错")
    before = _state(customer.pk)

    cases = [
        (users["mgr_east"], gift.pk, "用掉了", Conflict, "points_spent"),  # 400 of 500 spent
        (users["mgr_east"], small.pk, "再来", Conflict, "already_reversed"),
        (users["mgr_east"], redeemed.pk, "兑换", Conflict, "not_an_adjustment"),
        (users["mgr_east"], gift.pk, "   ", ValidationFailed, "validation_error"),
        (users["rep_east1"], gift.pk, "我来", PermissionDenied, "permission_denied"),
        (users["mgr_south"], gift.pk, "外区", NotFound, "not_found"),
        (users["admin"], 10**12, "没有", NotFound, "not_found"),
    ]
    for actor, entry_id, reason, error, code in cases:
        with pytest.raises(error) as refused:
            points_adjust_reverse(actor=actor, entry_id=entry_id, reason=reason)
        assert refused.value.code == code, (reason, refused.value.code)
    undo = PointsEntry.objects.get(reverses=small)
    cases_more = [
        (users["mgr_east"], undo.pk, "撤销撤销", Conflict, "not_an_adjustment"),  # a correction
    ]
    for actor, entry_id, reason, error, code in cases_more:
        with pytest.raises(error) as refused:
            points_adjust_reverse(actor=actor, entry_id=entry_id, reason=reason)
        assert refused.value.code == code
    with pytest.raises(NotFound):  # on another card's page
        points_adjust_reverse(
            actor=users["admin"], entry_id=gift.pk, reason="别的卡", customer_id=book["east2"].pk
        )
    assert _state(customer.pk) == before


def test_a_merges_transfer_is_not_an_adjustment_to_reverse(users, make_customer):
    """Transfers are ``adjust`` entries too; reversing one would make points out of nothing."""
    from tiercard.dedupe.merge import customers_merge

    a = make_customer("rep_east1", name="张伟", phones="13800001111")
    b = make_customer("rep_east1", name="张伟", phones="13800002222")
    _adjust(users, b, 300, "b")
    customers_merge(actor=users["mgr_east"], survivor_id=a.pk, merged_id=b.pk)
    transfers = PointsEntry.objects.filter(kind=EntryKind.ADJUST).exclude(key__startswith="adjust:")
    assert transfers.count() == 2  # out of the merged card, into the survivor
    before = _state(a.pk)

    for entry in transfers:
        with pytest.raises(Conflict) as refused:
            points_adjust_reverse(actor=users["admin"], entry_id=entry.pk, reason="误操作")
        assert refused.value.code == "not_an_adjustment"
    assert _state(a.pk) == before


def test_an_addition_whose_points_expired_is_not_reversed_from_other_points(
    users, book, points_rules
):
    import datetime as dt

    import time_machine

    from tiercard.loyalty.services.points_expire import points_expire
    from tiercard.tiers.earning import Expiry

    customer = book["east1"]
    points_rules(expiry=Expiry.AFTER_DAYS, expiry_after=1)
    old = _adjust(users, customer, 100, "old")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=5)
    with time_machine.travel(later, tick=False):
        from tiercard.core.timeutils import business_today

        points_expire(today=business_today())
        _adjust(users, customer, 100, "new")
        before = _state(customer.pk)
        with pytest.raises(Conflict) as refused:
            points_adjust_reverse(actor=users["mgr_east"], entry_id=old.pk, reason="发错")
    assert refused.value.code == "points_spent"  # expired: the new 100 are not taken instead
    assert _state(customer.pk) == before


@pytest.mark.django_db(transaction=True)
def test_two_managers_reversing_at_once_reverse_once(users, book, ledger_check):
    from tiercard.loyalty.services.state import active_programme

    active_programme()  # a flushed database lost the migration's programme: reinstalled
    customer = book["east1"]
    wrong = _adjust(users, customer, 500, "b")

    done, failed = in_threads(
        10,
        lambda i: points_adjust_reverse(
            actor=users["mgr_east" if i % 2 else "admin"], entry_id=wrong.pk, reason="并发"
        ),
        workers=10,
    )

    assert len(done) == 1
    assert all(isinstance(e, Conflict) and e.code == "already_reversed" for e in failed), failed
    assert Membership.objects.get(pk=customer.pk).points_balance == 0
    ledger_check(customer.pk)
