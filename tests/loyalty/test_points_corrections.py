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

    assert (undone.kind, undone.points, undone.reverses_id) == (EntryKind.REVERSAL, -500, wrong.pk)
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
        (users["mgr_east"], gift.pk, "用掉了", Conflict, "insufficient_points"),  # 100 left of 500
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
    with pytest.raises(NotFound):  # on another card's page
        points_adjust_reverse(
            actor=users["admin"], entry_id=gift.pk, reason="别的卡", customer_id=book["east2"].pk
        )
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
