"""Quota benefits: using them, their limits per period, and what a customer's tier gives them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from tests.loyalty.tiers_support import member
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.models import Customer
from tiercard.loyalty.models import BenefitCounter, BenefitUse, Membership
from tiercard.loyalty.selectors.benefits import benefits_of_customer
from tiercard.loyalty.services.benefits import benefit_use

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI)
TODAY = dt.date(2026, 6, 15)
frozen = time_machine.travel(NOW, tick=False)


def use(users, customer, code="free_delivery", key="k1", actor="rep_east1", note=""):
    return benefit_use(actor=users[actor], customer_id=customer.pk, code=code, key=key, note=note)


def state() -> dict[str, Any]:
    """Everything a use touches, for "nothing changed" assertions."""
    return {
        "uses": list(BenefitUse.objects.order_by("id").values_list("id", "code")),
        "counters": list(
            BenefitCounter.objects.order_by("id").values_list("code", "period_start", "used")
        ),
        "members": list(Membership.objects.order_by("pk").values_list("pk", "tier")),
        "audit": AuditEvent.objects.count(),
    }


@frozen
def test_a_use_counts_against_this_months_quota_and_is_audited(users, book):
    customer = book["east1"]
    member(customer, "vip")

    first = use(users, customer, key="k1", note=" 送到公司 ")

    assert (first.code, first.tier, first.period_start, first.note) == (
        "free_delivery",
        "vip",
        dt.date(2026, 6, 1),
        "送到公司",
    )
    assert first.actor == users["rep_east1"]
    counter = BenefitCounter.objects.get(customer=customer, code="free_delivery")
    assert (counter.period_start, counter.used) == (dt.date(2026, 6, 1), 1)
    event = AuditEvent.objects.get(object_type="loyalty.benefituse", object_id=str(first.pk))
    assert event.customer_id == customer.pk
    assert event.changes == {"benefit": "free_delivery", "period_start": "2026-06-01", "limit": 2}


@frozen
def test_third_use_of_a_two_a_month_quota_is_refused_and_writes_nothing(users, book):
    customer = book["east1"]
    member(customer, "vip")
    use(users, customer, key="k1")
    use(users, customer, key="k2")
    before = state()

    with translation.override("en"), pytest.raises(Conflict) as caught:
        use(users, customer, key="k3")

    assert caught.value.code == "quota_exhausted"
    assert caught.value.params == {"limit": 2, "period": "month"}
    assert str(caught.value.message) == (
        "Free delivery is used up: 2 per month, all used this month."
    )
    assert state() == before
    assert BenefitCounter.objects.get(customer=customer).used == 2


def test_the_quota_renews_with_the_next_period(users, book):
    customer = book["east1"]
    member(customer, "vip")
    # 23:30 in Shanghai on 30 June is still June there (15:30 UTC).
    with time_machine.travel(dt.datetime(2026, 6, 30, 23, 30, tzinfo=SHANGHAI), tick=False):
        use(users, customer, key="k1")
        use(users, customer, key="k2")
        with pytest.raises(Conflict):
            use(users, customer, key="k3")
    with time_machine.travel(dt.datetime(2026, 7, 1, 0, 5, tzinfo=SHANGHAI), tick=False):
        july = use(users, customer, key="k3")

    assert july.period_start == dt.date(2026, 7, 1)
    assert list(
        BenefitCounter.objects.filter(customer=customer)
        .order_by("period_start")
        .values_list("period_start", "used")
    ) == [(dt.date(2026, 6, 1), 2), (dt.date(2026, 7, 1), 1)]


def test_quarterly_quota_counts_across_the_months_of_a_quarter(users, book):
    customer = book["east1"]
    member(customer, "vip")  # vip_lounge: 4 a quarter
    for i, day in enumerate([dt.date(2026, 4, 2), dt.date(2026, 5, 9), dt.date(2026, 6, 30)] * 2):
        moment = dt.datetime.combine(day, dt.time(12), tzinfo=SHANGHAI)
        with time_machine.travel(moment, tick=False):
            if i < 4:
                assert use(users, customer, code="vip_lounge", key=f"l{i}").period_start == (
                    dt.date(2026, 4, 1)
                )
            else:
                with pytest.raises(Conflict, match="4"):
                    use(users, customer, code="vip_lounge", key=f"l{i}")


@frozen
def test_a_tier_without_the_quota_is_refused_and_writes_nothing(users, book):
    customer = book["east1"]  # no membership row: the lowest tier, without quotas
    before = state()

    with pytest.raises(Conflict) as caught:
        use(users, customer)

    assert caught.value.code == "benefit_not_in_tier"
    assert state() == before  # not even the membership row the lock would have created


@frozen
def test_an_upgrade_mid_month_keeps_the_uses_already_made(users, book):
    customer = book["east1"]
    row = member(customer, "premium")  # 1 a month
    use(users, customer, key="k1")
    with pytest.raises(Conflict):
        use(users, customer, key="k2")
    Membership.objects.filter(pk=row.pk).update(tier="vip")  # 2 a month

    assert use(users, customer, key="k2").tier == "vip"
    with pytest.raises(Conflict):
        use(users, customer, key="k3")


@frozen
@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        ({"code": "spa"}, ValidationFailed, "unknown_benefit"),
        ({"code": ""}, ValidationFailed, "validation_error"),
        ({"key": ""}, ValidationFailed, "validation_error"),
        ({"key": "has space"}, ValidationFailed, "validation_error"),
        ({"note": "长" * 201}, ValidationFailed, "validation_error"),
        ({"actor": "rep_east2"}, NotFound, "not_found"),
        ({"actor": "rep_south"}, NotFound, "not_found"),
        ({"actor": "marketing"}, PermissionDenied, "permission_denied"),
    ],
)
def test_refused_uses_write_nothing(users, book, data, error, code):
    customer = book["east1"]
    member(customer, "vip")
    before = state()

    with pytest.raises(error) as caught:
        use(users, customer, **data)

    assert caught.value.code == code
    assert state() == before


@frozen
def test_service_staff_and_the_team_manager_may_record_a_use(users, book):
    customer = book["east1"]
    member(customer, "vip")

    assert use(users, customer, key="a", actor="service").actor == users["service"]
    assert use(users, customer, key="b", actor="mgr_east").actor == users["mgr_east"]


@frozen
def test_a_replay_returns_the_stored_use_and_a_changed_replay_is_refused(users, book):
    customer = book["east1"]
    member(customer, "vip")
    first = use(users, customer, key="same", note="上午")

    again = use(users, customer, key="same", note="上午")
    assert again.pk == first.pk
    assert BenefitCounter.objects.get(customer=customer).used == 1
    before = state()

    for changed in ({"code": "vip_lounge"}, {"note": "下午"}):
        with pytest.raises(ValidationFailed) as caught:
            use(users, customer, key="same", **changed)
        assert caught.value.code == "duplicate_key"
    other = Customer.objects.create(name="赵六", owner=users["rep_east1"])
    member(other, "vip")
    with pytest.raises(ValidationFailed) as caught:
        use(users, other, key="same", note="上午")
    assert caught.value.code == "duplicate_key"
    assert state() == before | {"members": before["members"] + [(other.pk, "vip")]}


@frozen
def test_a_replay_is_answered_even_after_the_quota_is_used_up(users, book):
    customer = book["east1"]
    member(customer, "vip")
    first = use(users, customer, key="k1")
    use(users, customer, key="k2")

    assert use(users, customer, key="k1").pk == first.pk


# --- What a customer's tier gives them ---------------------------------------------------------


@frozen
def test_benefits_of_a_vip_with_usage_this_period(users, book, django_assert_max_num_queries):
    customer = book["east1"]
    member(customer, "vip")
    use(users, customer, key="k1")
    use(users, customer, code="vip_lounge", key="k2")
    # Last month's counter does not count this month.
    BenefitCounter.objects.create(
        customer=customer, code="free_delivery", period_start=dt.date(2026, 5, 1), used=2
    )

    with django_assert_max_num_queries(3):
        got = benefits_of_customer(viewer=users["rep_east1"], customer_id=customer.pk, today=TODAY)

    assert (got.tier, got.tier_name_zh, got.tier_name_en) == ("vip", "VIP级", "VIP")
    assert got.discount_percent == Decimal("10.0")
    assert got.points_multiplier == Decimal("2")
    assert got.birthday_gift == "定制生日礼品"
    assert (got.dedicated_manager, got.has_owner) == (True, True)
    assert (got.response_hours, got.follow_up_days, got.priority_booking) == (4, 14, True)
    assert [
        (q.code, q.limit, q.period.value, q.period_start, q.period_end, q.used, q.remaining)
        for q in got.quotas
    ] == [
        ("free_delivery", 2, "month", dt.date(2026, 6, 1), dt.date(2026, 6, 30), 1, 1),
        ("vip_lounge", 4, "quarter", dt.date(2026, 4, 1), dt.date(2026, 6, 30), 1, 3),
    ]


def test_benefits_of_a_customer_without_membership_are_the_lowest_tiers(
    users, book, django_assert_max_num_queries
):
    customer = book["east1"]
    customer.owner = None
    customer.save(update_fields=["owner"])

    with django_assert_max_num_queries(2):
        got = benefits_of_customer(viewer=users["admin"], customer_id=customer.pk, today=TODAY)

    assert (got.tier, got.has_owner, got.quotas) == ("basic", False, ())
    assert (got.discount_percent, got.follow_up_days) == (Decimal("0"), 180)


def test_quota_periods_end_on_their_last_day(users, book):
    customer = book["east1"]
    member(customer, "vip")

    got = benefits_of_customer(
        viewer=users["admin"], customer_id=customer.pk, today=dt.date(2028, 2, 10)
    )

    assert [(q.period_start, q.period_end, q.remaining) for q in got.quotas] == [
        (dt.date(2028, 2, 1), dt.date(2028, 2, 29), 2),
        (dt.date(2028, 1, 1), dt.date(2028, 3, 31), 4),
    ]


@pytest.mark.parametrize("viewer", ["rep_east2", "rep_south", "mgr_south"])
def test_benefits_of_another_reps_customer_are_not_found(users, book, viewer):
    member(book["east1"], "vip")

    with pytest.raises(NotFound):
        benefits_of_customer(viewer=users[viewer], customer_id=book["east1"].pk, today=TODAY)
