"""Tier override requests: asked by one person, approved or rejected by another (四眼原则);
refusals write nothing; two approvers at once decide once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.loyalty.threads_support import in_threads
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import (
    ChangeReason,
    Membership,
    OverrideRequest,
    RequestStatus,
    TierChange,
)
from tiercard.loyalty.selectors.override_requests import customer_requests, waiting_requests
from tiercard.loyalty.services.override_requests import (
    override_approve,
    override_reject,
    override_request,
    override_withdraw,
)
from tiercard.loyalty.services.state import active_programme

pytestmark = pytest.mark.django_db


def _until(days: int = 90) -> dt.date:
    return business_today() + dt.timedelta(days=days)


def _ask(users, customer, who="rep_east1", tier="vip", **kw):
    return override_request(
        actor=users[who],
        customer_id=customer.pk,
        tier_code=tier,
        reason=kw.pop("reason", "年度战略客户"),
        until=kw.pop("until", _until()),
    )


def _state():
    return (
        list(OverrideRequest.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        TierChange.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_rep_asks_and_the_team_manager_approves(users, book):
    made = _ask(users, book["east1"])
    assert made.status == RequestStatus.PENDING and made.requested_by == users["rep_east1"]
    assert list(waiting_requests(viewer=users["mgr_east"])) == [made]
    assert list(waiting_requests(viewer=users["mgr_south"])) == []
    assert Membership.objects.filter(customer=book["east1"], tier="vip").count() == 0

    done = override_approve(actor=users["mgr_east"], request_id=made.pk, note="同意")

    assert (done.status, done.decided_by, done.note) == (
        RequestStatus.APPROVED,
        users["mgr_east"],
        "同意",
    )
    row = Membership.objects.get(customer=book["east1"])
    assert (row.tier, row.lock_until, row.override_reason) == ("vip", _until(), "年度战略客户")
    assert row.override_by == users["rep_east1"]
    assert row.override_approved_by == users["mgr_east"]
    change = TierChange.objects.get(customer=book["east1"], reason=ChangeReason.MANUAL)
    assert change.actor == users["mgr_east"] and change.to_tier == "vip"
    kinds = set(AuditEvent.objects.values_list("object_type", flat=True))
    assert {"loyalty.overriderequest", "loyalty.membership"} <= kinds
    assert list(waiting_requests(viewer=users["mgr_east"])) == []


def test_nobody_approves_their_own_request(users, book):
    made = _ask(users, book["east1"], who="mgr_east")
    before = _state()
    with pytest.raises(PermissionDenied) as refused:
        override_approve(actor=users["mgr_east"], request_id=made.pk)
    assert refused.value.code == "own_request"
    with pytest.raises(PermissionDenied):
        override_reject(actor=users["mgr_east"], request_id=made.pk, note="不行")
    assert _state() == before
    override_approve(actor=users["admin"], request_id=made.pk)
    assert Membership.objects.get(customer=book["east1"]).override_approved_by == users["admin"]


def test_a_request_nobody_else_may_approve_is_refused_up_front(users, book):
    users["mgr_south"].is_active = False
    users["mgr_south"].save()
    before = _state()
    with pytest.raises(Conflict) as refused:
        _ask(users, book["south"], who="admin")  # only the admin could approve it
    assert refused.value.code == "no_approver"
    assert _state() == before
    assert _ask(users, book["south"], who="rep_south").status == RequestStatus.PENDING


def test_one_request_waits_at_a_time(users, book):
    _ask(users, book["east1"])
    before = _state()
    with pytest.raises(Conflict) as refused:
        _ask(users, book["east1"], who="mgr_east", tier="premium")
    assert refused.value.code == "override_pending"
    assert _state() == before


@pytest.mark.parametrize(
    ("who", "error"),
    [("rep_east2", NotFound), ("service", PermissionDenied), ("marketing", PermissionDenied)],
)
def test_who_may_not_ask_writes_nothing(users, book, who, error):
    before = _state()
    with pytest.raises(error):
        _ask(users, book["east1"], who=who)
    assert _state() == before


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"tier": "gold"}, None),
        ({"reason": "  "}, "reason"),
        ({"reason": "长" * 201}, "reason"),
        ({"until": business_today()}, "until"),
        ({"until": business_today() + dt.timedelta(days=4000)}, "until"),
    ],
)
def test_bad_requests_are_refused_on_their_field(users, book, kw, field):
    before = _state()
    with pytest.raises(ValidationFailed) as refused:
        _ask(users, book["east1"], **kw)
    if field:
        assert field in refused.value.fields
    else:
        assert refused.value.code == "unknown_tier"
    assert _state() == before


def test_who_may_not_decide_writes_nothing(users, book):
    made = _ask(users, book["east1"])
    before = _state()
    with pytest.raises(PermissionDenied):
        override_approve(actor=users["rep_east1"], request_id=made.pk)
    with pytest.raises(NotFound):
        override_approve(actor=users["mgr_south"], request_id=made.pk)
    with pytest.raises(NotFound):
        override_reject(actor=users["rep_east2"], request_id=made.pk, note="x")
    with pytest.raises(PermissionDenied):
        override_withdraw(actor=users["mgr_east"], request_id=made.pk)
    with pytest.raises(ValidationFailed) as refused:
        override_reject(actor=users["mgr_east"], request_id=made.pk, note=" ")
    assert "note" in refused.value.fields
    assert _state() == before


def test_rejected_and_withdrawn_requests_are_final_and_a_new_one_may_follow(users, book):
    first = _ask(users, book["east1"])
    override_reject(actor=users["mgr_east"], request_id=first.pk, note="消费不足")
    before = _state()
    with pytest.raises(Conflict) as refused:
        override_approve(actor=users["admin"], request_id=first.pk)
    assert refused.value.code == "override_decided"
    assert _state() == before
    assert Membership.objects.filter(customer=book["east1"], lock_until__isnull=False).count() == 0

    second = _ask(users, book["east1"], tier="premium")
    override_withdraw(actor=users["rep_east1"], request_id=second.pk)
    assert OverrideRequest.objects.get(pk=second.pk).status == RequestStatus.WITHDRAWN
    third = _ask(users, book["east1"], tier="premium")
    listed = list(customer_requests(viewer=users["rep_east1"], customer_id=book["east1"].pk))
    assert listed == [third, second, first]
    assert list(customer_requests(viewer=users["rep_south"], customer_id=book["east1"].pk)) == []


def test_an_end_date_passed_while_waiting_is_refused_at_approval(users, book):
    made = _ask(users, book["east1"], until=_until(2))
    before = _state()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    with time_machine.travel(later), pytest.raises(Conflict) as refused:
        override_approve(actor=users["mgr_east"], request_id=made.pk)
    assert refused.value.code == "override_expired"
    assert _state() == before


def test_a_request_of_someone_gone_is_not_approved(users, book):
    made = _ask(users, book["east1"])
    users["rep_east1"].is_active = False
    users["rep_east1"].save()
    before = _state()
    with pytest.raises(Conflict) as refused:
        override_approve(actor=users["mgr_east"], request_id=made.pk)
    assert refused.value.code == "requester_inactive"
    assert _state() == before
    override_reject(actor=users["mgr_east"], request_id=made.pk, note="申请人已离职")


@pytest.mark.django_db(transaction=True)
def test_approvers_deciding_at_once_decide_once(users, book):
    active_programme()  # a flushed database lost the migration's programme: reinstalled
    made = _ask(users, book["east1"])
    deciders = ["mgr_east", "admin"] * 5

    def decide(i: int) -> str:
        who = users[deciders[i]]
        if i % 2:
            return override_reject(actor=who, request_id=made.pk, note="不同意").status
        return override_approve(actor=who, request_id=made.pk).status

    done, failed = in_threads(len(deciders), decide, workers=len(deciders))

    assert len(done) == 1
    assert all(isinstance(e, Conflict) and e.code == "override_decided" for e in failed), failed
    final = OverrideRequest.objects.get(pk=made.pk)
    assert final.status == done[0]
    overridden = Membership.objects.filter(customer=book["east1"], lock_until__isnull=False)
    assert overridden.count() == (1 if final.status == RequestStatus.APPROVED else 0)
    assert TierChange.objects.filter(reason=ChangeReason.MANUAL).count() == overridden.count()


def test_a_merged_card_takes_no_request_and_its_waiting_one_is_closed(users, book):
    from tiercard.dedupe.merge import customers_merge

    made = _ask(users, book["east1"])
    customers_merge(actor=users["admin"], survivor_id=book["east2"].pk, merged_id=book["east1"].pk)
    assert OverrideRequest.objects.get(pk=made.pk).status == RequestStatus.WITHDRAWN
    before = _state()
    with pytest.raises(Conflict) as refused:
        override_approve(actor=users["mgr_east"], request_id=made.pk)
    assert refused.value.code == "override_decided"
    with pytest.raises(Conflict) as asked:
        _ask(users, book["east1"], who="mgr_east", tier="premium")
    assert asked.value.code == "customer_merged"
    assert _state() == before
