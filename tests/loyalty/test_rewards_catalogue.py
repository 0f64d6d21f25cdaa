"""The reward catalogue: admins create and edit rewards, with field errors and an audit trail."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tiercard.audit.models import AuditEvent
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.loyalty.models import Reward
from tiercard.loyalty.selectors.points import reward_catalogue
from tiercard.loyalty.services.rewards import reward_create, reward_update

pytestmark = pytest.mark.django_db

GOOD = {"code": "tea-box_1", "name_zh": "茶叶礼盒", "name_en": "Tea box", "points_cost": "500"}


def test_admin_creates_a_reward_and_it_is_audited(users):
    reward = reward_create(actor=users["admin"], data={**GOOD, "stock": "", "kind": "coupon"})

    assert (reward.code, reward.points_cost, reward.stock, reward.kind, reward.active) == (
        "tea-box_1",
        500,
        None,
        "coupon",
        True,
    )
    audit = AuditEvent.objects.get(object_type="loyalty.reward")
    assert audit.action == "create" and audit.changes["points_cost"] == 500


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({**GOOD, "code": "Tea Box"}, {"code"}),
        ({**GOOD, "code": ""}, {"code"}),
        ({**GOOD, "name_zh": " "}, {"name_zh"}),
        ({**GOOD, "name_en": ""}, {"name_en"}),
        ({**GOOD, "points_cost": "0"}, {"points_cost"}),
        ({**GOOD, "points_cost": "10000001"}, {"points_cost"}),
        ({**GOOD, "points_cost": "1.5"}, {"points_cost"}),
        ({**GOOD, "stock": "-1"}, {"stock"}),
        ({**GOOD, "kind": "cash"}, {"kind"}),
        ({**GOOD, "min_tier": "platinum"}, {"min_tier"}),
        ({**GOOD, "valid_from": "2026-07-01", "valid_until": "2026-06-30"}, {"valid_until"}),
        ({**GOOD, "colour": "red"}, {"colour"}),
    ],
)
def test_invalid_rewards_are_refused_with_field_errors(users, data, fields):
    with pytest.raises(ValidationFailed) as exc:
        reward_create(actor=users["admin"], data=data)

    assert set(exc.value.fields) == fields
    assert not Reward.objects.exists() and not AuditEvent.objects.exists()


def test_duplicate_code_is_a_field_error(users):
    reward_create(actor=users["admin"], data=GOOD)

    with pytest.raises(ValidationFailed) as exc:
        reward_create(actor=users["admin"], data=GOOD)

    assert set(exc.value.fields) == {"code"} and Reward.objects.count() == 1


@pytest.mark.parametrize("actor", ["mgr_east", "rep_east1", "marketing", "service"])
def test_only_admins_manage_the_catalogue(users, actor):
    with pytest.raises(PermissionDenied):
        reward_create(actor=users[actor], data=GOOD)
    reward = reward_create(actor=users["admin"], data=GOOD)
    with pytest.raises(PermissionDenied):
        reward_update(actor=users[actor], reward_id=reward.pk, data={"points_cost": 1})

    reward.refresh_from_db()
    assert reward.points_cost == 500


def test_update_changes_given_fields_and_audits_the_diff(users):
    reward = reward_create(actor=users["admin"], data={**GOOD, "stock": 5})

    reward_update(
        actor=users["admin"], reward_id=reward.pk, data={"points_cost": "450", "active": "false"}
    )

    reward.refresh_from_db()
    assert (reward.points_cost, reward.active, reward.stock) == (450, False, 5)
    audit = AuditEvent.objects.filter(action="update").get()
    assert audit.changes == {"points_cost": [500, 450], "active": [True, False]}
    with pytest.raises(NotFound):
        reward_update(actor=users["admin"], reward_id=reward.pk + 99, data={})
    with pytest.raises(ValidationFailed):
        reward_update(actor=users["admin"], reward_id=reward.pk, data={"stock": "-2"})


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_catalogue_lists_rewards_on_offer_today_with_stock(users, make_reward):
    make_reward("a", 10, stock=0)
    make_reward("b", 20)
    make_reward("c", 5, valid_from="2026-06-15", valid_until="2026-06-15", stock=2)
    make_reward("late", 1, valid_until="2026-06-14")
    make_reward("off", 1, active=False)

    offers = reward_catalogue(viewer=users["rep_east1"], today=dt.date(2026, 6, 15))

    assert [(o.reward.code, o.in_stock) for o in offers] == [
        ("c", True),
        ("a", False),
        ("b", True),
    ]
    users["rep_east1"].is_active = False
    assert reward_catalogue(viewer=users["rep_east1"], today=dt.date(2026, 6, 15)) == []
