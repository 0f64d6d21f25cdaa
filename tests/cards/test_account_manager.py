"""A tier that promises a dedicated account manager keeps one: removing the owner is refused
(hand the customer to someone else instead) on every path that changes an owner."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from tests.api.conftest import snapshot
from tests.loyalty.tiers_support import vip_member
from tiercard.accounts.models import User
from tiercard.cards.account_manager import card_update, owner_change
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(book: dict[str, Customer]) -> Customer:
    return vip_member(book["east1"])


@pytest.mark.parametrize("owner_id", [None, ""])
def test_removing_the_owner_of_a_vip_is_refused_and_nothing_written(
    vip: Customer, users: dict[str, User], owner_id: Any
) -> None:
    before = snapshot(vip.pk)

    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
        owner_change(actor=users["admin"], customer_id=vip.pk, owner_id=owner_id)

    assert refused.value.code == "manager_required"
    assert [str(m) for m in refused.value.fields["owner_id"]] == [
        "VIP级客户应有专属客户经理：请改为交给其他客户经理。"
    ]
    assert snapshot(vip.pk) == before


def test_handing_a_vip_to_another_manager_is_allowed(vip: Customer, users: dict[str, User]) -> None:
    changed = owner_change(
        actor=users["mgr_east"], customer_id=vip.pk, owner_id=users["rep_east2"].pk
    )

    assert changed.owner_id == users["rep_east2"].pk
    assert Customer.objects.get(pk=vip.pk).owner_id == users["rep_east2"].pk


def test_a_tier_without_the_benefit_may_lose_its_owner(
    book: dict[str, Customer], users: dict[str, User]
) -> None:
    basic = book["south"]

    owner_change(actor=users["admin"], customer_id=basic.pk, owner_id=None)

    assert Customer.objects.get(pk=basic.pk).owner_id is None


def test_the_edit_refuses_clearing_the_owner_but_edits_a_vip_that_has_none(
    vip: Customer, users: dict[str, User]
) -> None:
    before = snapshot(vip.pk)
    with pytest.raises(ValidationFailed) as refused:
        card_update(
            actor=users["admin"], customer_id=vip.pk, data={"owner_id": None, "city": "苏州"}
        )
    assert refused.value.code == "manager_required"
    assert snapshot(vip.pk) == before

    Customer.objects.filter(pk=vip.pk).update(owner=None)  # an upgrade made it eligible
    edited = card_update(
        actor=users["admin"], customer_id=vip.pk, data={"owner_id": None, "city": "苏州"}
    )
    assert (edited.city, edited.owner_id) == ("苏州", None)


def test_the_service_checks_scope_and_rights_before_the_tier(
    vip: Customer, users: dict[str, User]
) -> None:
    """Someone who may not hand the customer over learns nothing of its tier."""
    before = snapshot(vip.pk)
    for who in ("rep_east1", "mgr_south"):
        with pytest.raises((PermissionDenied, NotFound)) as refused:
            owner_change(actor=users[who], customer_id=vip.pk, owner_id=None)
        assert refused.value.code == ("permission_denied" if who == "rep_east1" else "not_found")
    assert snapshot(vip.pk) == before
