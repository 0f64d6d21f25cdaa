"""The tier copied onto the customer row (``customers_customer.tier``) follows every write of a
membership's tier, through the database's triggers: the member table's tier filter reads it."""

from __future__ import annotations

import pytest

from tests.loyalty.tiers_support import TODAY, customers, member, membership_triggers
from tiercard.customers.models import Customer
from tiercard.customers.services import customer_update
from tiercard.loyalty.models import Membership, TierLadder
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.ladders import ladder_apply, ladder_draft_create
from tiercard.tiers.programme import default_programme, dump_programme

pytestmark = pytest.mark.django_db


def expected_tiers() -> dict[int, str]:
    """What each customer row must hold: the membership's tier, "" for the lowest / no row."""
    lowest = TierLadder.objects.get(is_active=True).lowest_tier
    held = dict(Membership.objects.values_list("customer_id", "tier"))
    return {
        pk: ("" if held.get(pk, lowest) == lowest else held[pk])
        for pk in Customer.objects.values_list("pk", flat=True)
    }


def stored_tiers() -> dict[int, str]:
    return dict(Customer.objects.values_list("pk", "tier"))


def test_every_ladder_version_knows_its_lowest_tier() -> None:
    assert TierLadder.objects.get(is_active=True).lowest_tier == "basic"


def test_the_triggers_exist() -> None:
    # A migration that rebuilds loyalty_membership (SQLite copies the table) drops triggers
    # on it silently: this catches that.
    names = membership_triggers()
    assert {"membership_tier_insert", "membership_tier_update", "membership_tier_delete"} <= names


def test_an_upgrading_purchase_a_set_based_move_and_a_deleted_row_reach_the_customer(
    users,
) -> None:
    rep = users["rep_east1"]
    first, second, third = customers(rep, 3)
    assert stored_tiers() == expected_tiers() == {first.pk: "", second.pk: "", third.pk: ""}

    # a purchase crossing the VIP threshold upgrades at once (one order of 12,000 or more)
    purchase_record(
        actor=rep,
        customer_id=first.pk,
        data={"lines": [{"item_name": "茶", "unit_price": "12000"}]},
    )
    assert Membership.objects.get(pk=first.pk).tier == "vip"
    assert stored_tiers()[first.pk] == "vip"

    # a set-based UPDATE of many memberships (as the review and ladder apply do)
    for card in (second, third):
        if not Membership.objects.filter(pk=card.pk).exists():
            member(card, "basic")
    Membership.objects.filter(pk__in=[second.pk, third.pk]).update(tier="premium")
    assert stored_tiers() == expected_tiers()
    assert stored_tiers()[second.pk] == "premium"

    # back to the lowest tier, and a membership row removed: ""
    Membership.objects.filter(pk=second.pk).update(tier="basic")
    Membership.objects.filter(pk=third.pk).delete()
    assert stored_tiers() == expected_tiers() == {first.pk: "vip", second.pk: "", third.pk: ""}


def test_saving_a_card_read_before_an_upgrade_keeps_the_new_tier(users) -> None:
    rep = users["rep_east1"]
    (card,) = customers(rep, 1)
    stale = Customer.objects.get(pk=card.pk)
    member(card, "standard")
    assert Customer.objects.get(pk=card.pk).tier == "standard"

    stale.notes = "读取于升级之前"
    stale.save()
    customer_update(actor=rep, customer_id=card.pk, data={"city": "苏州"})

    saved = Customer.objects.get(pk=card.pk)
    assert (saved.tier, saved.notes, saved.city) == ("standard", "读取于升级之前", "苏州")


def test_a_ladder_with_other_codes_rewrites_the_copies_of_the_old_and_new_lowest(users) -> None:
    rep = users["rep_east1"]
    bare, low, mid, top = customers(rep, 4)
    member(low, "basic")
    member(mid, "standard", spend="2500.00", orders=2)
    member(top, "vip", max_order="12000.00", spend="12000.00", orders=1, growth=1500)
    assert stored_tiers() == expected_tiers()

    draft = ladder_draft_create(actor=users["admin"], preset="card", note="会员卡")
    ladder_apply(actor=users["admin"], version=draft.version, today=TODAY)

    assert TierLadder.objects.get(is_active=True).lowest_tier != "basic"
    assert stored_tiers() == expected_tiers()
    assert stored_tiers()[bare.pk] == stored_tiers()[low.pk] == ""
    assert stored_tiers()[top.pk] not in {"", "vip"}


def test_a_new_lowest_tier_below_the_old_one_gives_its_holders_their_code_back(users) -> None:
    # given the default ladder with an entry tier added below 基础级, which now asks for one
    # order: 基础级 members who qualify keep their row unchanged (no trigger fires for them)
    rep = users["rep_east1"]
    bare, low, mid = customers(rep, 3)
    member(low, "basic", spend="100.00", orders=1)
    member(mid, "standard", spend="2500.00", orders=2)
    rules = dump_programme(default_programme())
    tiers = rules["ladder"]["tiers"]
    tiers[0]["criteria"] = {"all": [{"metric": "order_count", "op": ">=", "threshold": 1}]}
    tiers.insert(
        0,
        {
            "code": "entry",
            "rank": 5,
            "name_zh": "入门级",
            "name_en": "Entry",
            "colour": "#BDBDBD",
            "criteria": None,
        },
    )
    draft = ladder_draft_create(actor=users["admin"], rules=rules, note="入门级")

    ladder_apply(actor=users["admin"], version=draft.version, today=TODAY)

    assert Membership.objects.get(pk=low.pk).tier == "basic"  # unchanged row
    assert stored_tiers() == expected_tiers()
    assert (stored_tiers()[low.pk], stored_tiers()[bare.pk]) == ("basic", "")
