"""Manual overrides: a reason, an approver, an expiry; refused cleanly otherwise."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.loyalty.tiers_support import member
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import ChangeReason, Membership, ReviewMark, TierChange
from tiercard.loyalty.services.grading import tiers_review
from tiercard.loyalty.services.overrides import tier_override, tier_override_clear

pytestmark = pytest.mark.django_db


def state():
    return (
        list(Membership.objects.order_by("pk").values()),
        TierChange.objects.count(),
        AuditEvent.objects.filter(object_type="loyalty.membership").count(),
    )


def test_an_override_sets_and_locks_the_tier_with_history_and_audit(users, book):
    today = business_today()
    until = today + dt.timedelta(days=90)
    row = tier_override(
        actor=users["mgr_east"],
        customer_id=book["east1"].pk,
        tier_code="vip",
        reason="年度战略客户",
        approver_id=users["mgr_east"].pk,
        until=until,
    )
    row = Membership.objects.get(pk=row.pk)
    assert (row.tier, row.lock_until, row.override_reason) == ("vip", until, "年度战略客户")
    assert row.override_by == users["mgr_east"] and row.override_approved_by == users["mgr_east"]
    change = TierChange.objects.get()
    assert (change.from_tier, change.to_tier, change.reason) == (
        "basic",
        "vip",
        ChangeReason.MANUAL,
    )
    assert change.actor == users["mgr_east"] and change.note == "年度战略客户"
    event = AuditEvent.objects.get(object_type="loyalty.membership")
    assert event.customer_id == book["east1"].pk and event.changes["tier"] == ["basic", "vip"]

    tiers_review(today=today, full=True)  # locked: the review leaves it
    assert Membership.objects.get(pk=row.pk).tier == "vip"
    tier_override_clear(actor=users["admin"], customer_id=book["east1"].pk, reason="到期前取消")
    row = Membership.objects.get(pk=row.pk)
    assert row.lock_until is None and row.override_by is None
    assert ReviewMark.objects.filter(customer_id=row.pk).exists()
    tiers_review(today=today)
    assert Membership.objects.get(pk=row.pk).tier == "vip"  # protection/grace still apply
    assert Membership.objects.get(pk=row.pk).below_since == today


def args(users, book, **changes):
    base = {
        "actor": users["mgr_east"],
        "customer_id": book["east1"].pk,
        "tier_code": "vip",
        "reason": "理由",
        "approver_id": users["mgr_east"].pk,  # set directly: approved by the one who sets it
        "until": business_today() + dt.timedelta(days=30),
    }
    base.update(changes)
    return base


@pytest.mark.parametrize(
    ("changes", "error", "code"),
    [
        ({"actor": "rep_east1"}, PermissionDenied, "override_not_allowed"),
        ({"actor": "mgr_south"}, NotFound, "not_found"),
        ({"tier_code": "gold"}, ValidationFailed, "unknown_tier"),
        ({"reason": "  "}, ValidationFailed, "reason_required"),
        ({"approver_id": "rep_east2"}, ValidationFailed, "approval_needs_request"),
        ({"approver_id": "admin"}, ValidationFailed, "approval_needs_request"),
        ({"until": 0}, ValidationFailed, "until_not_future"),
        ({"until": 365 * 3 + 5}, ValidationFailed, "until_too_far"),
    ],
)
def test_bad_overrides_are_refused_and_write_nothing(users, book, changes, error, code):
    member(book["east1"], "standard", spend="2500.00", orders=2)
    if "actor" in changes:
        changes["actor"] = users[changes["actor"]]
    if "approver_id" in changes:
        changes["approver_id"] = users[changes["approver_id"]].pk
    if "until" in changes:
        changes["until"] = business_today() + dt.timedelta(days=changes["until"])
    before = state()
    with pytest.raises(error) as caught:
        tier_override(**args(users, book, **changes))
    assert caught.value.code == code
    assert state() == before


def test_clearing_needs_an_override_and_a_reason(users, book):
    member(book["east1"], "standard")
    before = state()
    with pytest.raises(ValidationFailed) as caught:
        tier_override_clear(actor=users["admin"], customer_id=book["east1"].pk, reason="x")
    assert caught.value.code == "no_override"
    with pytest.raises(ValidationFailed) as caught:
        tier_override_clear(actor=users["admin"], customer_id=book["east1"].pk, reason="")
    assert caught.value.code == "reason_required"
    assert state() == before


def test_no_override_is_set_on_a_merged_card(users, book):
    from tiercard.core.errors import Conflict
    from tiercard.dedupe.merge import customers_merge

    customers_merge(actor=users["admin"], survivor_id=book["east2"].pk, merged_id=book["east1"].pk)
    before = state()
    with pytest.raises(Conflict) as refused:
        tier_override(**args(users, book))
    assert refused.value.code == "customer_merged"
    assert state() == before
