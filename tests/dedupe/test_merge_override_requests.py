"""Tier override requests in a merge: one waiting on the merged card is closed naming the
survivor (an approval would be refused anyway), the survivor's own stays waiting, the undo
reopens it; a merge and an approval at once wait for each other."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dedupe.conftest import Twins
from tests.loyalty.threads_support import in_threads
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict
from tiercard.core.timeutils import business_today
from tiercard.dedupe.merge import customers_merge
from tiercard.dedupe.models import MergeRecord
from tiercard.dedupe.unmerge import customers_unmerge
from tiercard.loyalty.models import Membership, OverrideRequest, RequestStatus
from tiercard.loyalty.services.override_requests import override_approve, override_request
from tiercard.loyalty.services.state import active_programme

pytestmark = pytest.mark.django_db


def _ask(users: dict[str, User], customer_id: int, tier: str = "vip") -> OverrideRequest:
    return override_request(
        actor=users["rep_east1"],
        customer_id=customer_id,
        tier_code=tier,
        reason="年度战略客户",
        until=business_today() + dt.timedelta(days=90),
    )


def _row(pk: int) -> tuple[object, ...]:
    found = OverrideRequest.objects.get(pk=pk)
    return (found.customer_id, found.status, found.decided_by_id, found.note)


def test_the_merged_cards_request_is_closed_and_the_undo_reopens_it(
    twins: Twins, users: dict[str, User]
) -> None:
    s, m = twins.survivor.pk, twins.merged.pk
    theirs = _ask(users, m).pk
    mine = _ask(users, s, tier="premium").pk

    record = customers_merge(actor=users["mgr_east"], survivor_id=s, merged_id=m)

    assert _row(theirs) == (
        m,
        RequestStatus.WITHDRAWN,
        users["mgr_east"].pk,
        f"该卡已合并至 #{s}，请在该卡上重新申请。",
    )
    assert _row(mine) == (s, RequestStatus.PENDING, None, "")
    assert MergeRecord.objects.get(pk=record.pk).moved["override_requests_closed"] == [theirs]
    closed = AuditEvent.objects.get(
        object_type="loyalty.overriderequest", object_id=str(theirs), action="update"
    )
    assert closed.changes == {"status": ["pending", "withdrawn"]}
    with pytest.raises(Conflict) as refused:
        override_approve(actor=users["mgr_east"], request_id=theirs)
    assert refused.value.code == "override_decided"

    customers_unmerge(actor=users["mgr_east"], merge_id=record.pk)

    assert _row(theirs) == (m, RequestStatus.PENDING, None, "")
    assert _row(mine) == (s, RequestStatus.PENDING, None, "")
    approved = override_approve(actor=users["mgr_east"], request_id=theirs)
    assert approved.status == RequestStatus.APPROVED
    assert Membership.objects.get(customer_id=m).tier == "vip"


def test_a_request_that_slipped_in_beside_a_merge_is_still_refused_at_approval(
    twins: Twins, users: dict[str, User]
) -> None:
    """Asked between the merge's reads (the request does not lock the card): the approval
    re-checks the card under the membership lock."""
    customers_merge(
        actor=users["mgr_east"], survivor_id=twins.survivor.pk, merged_id=twins.merged.pk
    )
    late = OverrideRequest.objects.create(
        customer_id=twins.merged.pk,
        tier="vip",
        until=business_today() + dt.timedelta(days=30),
        reason="并发",
        ladder_version=active_programme().version,
        requested_by=users["rep_east1"],
    )
    before = list(Membership.objects.order_by("pk").values())

    with pytest.raises(Conflict) as refused:
        override_approve(actor=users["mgr_east"], request_id=late.pk)

    assert refused.value.code == "customer_merged"
    assert list(Membership.objects.order_by("pk").values()) == before
    assert _row(late.pk)[1] == RequestStatus.PENDING


@pytest.mark.django_db(transaction=True)
def test_a_merge_and_an_approval_at_once_end_in_one_consistent_state(
    twins: Twins, users: dict[str, User]
) -> None:
    active_programme()  # a flushed database lost the migration's programme: reinstalled
    s, m = twins.survivor.pk, twins.merged.pk
    asked = _ask(users, m).pk

    def act(i: int) -> str:
        if i == 0:
            customers_merge(actor=users["mgr_east"], survivor_id=s, merged_id=m)
            return "merged"
        return override_approve(actor=users["admin"], request_id=asked).status

    done, failed = in_threads(2, act, workers=2)

    final = OverrideRequest.objects.get(pk=asked)
    assert "merged" in done  # the merge never fails for the approval
    assert Membership.objects.get(customer_id=m) is not None
    if final.status == RequestStatus.APPROVED:  # the approval went first
        assert failed == []
    else:  # the merge went first and closed the request
        assert final.status == RequestStatus.WITHDRAWN
        assert len(failed) == 1 and isinstance(failed[0], Conflict)
        assert failed[0].code == "override_decided"


def test_the_undo_leaves_a_closed_request_closed_when_another_waits_by_then(
    twins: Twins, users: dict[str, User]
) -> None:
    s, m = twins.survivor.pk, twins.merged.pk
    closed = _ask(users, m).pk
    record = customers_merge(actor=users["mgr_east"], survivor_id=s, merged_id=m)
    stray = OverrideRequest.objects.create(  # slipped in beside the merge (see above)
        customer_id=m,
        tier="premium",
        until=business_today() + dt.timedelta(days=30),
        reason="并发",
        ladder_version=active_programme().version,
        requested_by=users["rep_east1"],
    )

    customers_unmerge(actor=users["mgr_east"], merge_id=record.pk)

    assert _row(closed)[1] == RequestStatus.WITHDRAWN
    assert _row(stray.pk)[1] == RequestStatus.PENDING
