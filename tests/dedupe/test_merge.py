"""Merge and undo: everything moves, figures equal a fresh recompute, undo restores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.dedupe.conftest import Twins, buy, world
from tests.loyalty.conftest import assert_ledger_consistent
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.cards.models import CardNote
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Contact, Customer, CustomerStatus
from tiercard.customers.search import customer_search
from tiercard.customers.selectors import customer_list
from tiercard.dedupe.merge import customers_merge
from tiercard.dedupe.models import DuplicatePair, MergeRecord, PairStatus
from tiercard.dedupe.unmerge import customers_unmerge
from tiercard.interactions.models import Interaction
from tiercard.loyalty.models import Membership, PointsEntry, ReviewMark, TierChange
from tiercard.loyalty.services.checkout import FIGURES  # the columns a purchase moves
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.services.window import window_rebuild
from tiercard.sales.models import Purchase


def figures(pk: int) -> dict[str, object]:
    row = Membership.objects.get(pk=pk)
    return {name: getattr(row, name) for name in FIGURES}


def card_totals(pk: int) -> tuple[int, Decimal]:
    card = Customer.objects.get(pk=pk)
    return card.order_count, card.total_spend


def test_merge_moves_everything_and_upgrades_at_once(twins: Twins, users: dict[str, User]) -> None:
    s, m = twins.survivor, twins.merged
    moved_purchases = set(Purchase.objects.filter(customer=m).values_list("pk", flat=True))
    balance = (
        Membership.objects.get(pk=s.pk).points_balance
        + Membership.objects.get(pk=m.pk).points_balance
    )
    assert Membership.objects.get(pk=s.pk).tier == "basic"

    record = customers_merge(actor=users["mgr_east"], survivor_id=s.pk, merged_id=m.pk)

    assert set(Purchase.objects.filter(customer=s).values_list("pk", flat=True)) >= moved_purchases
    assert not Purchase.objects.filter(customer=m).exists()
    assert not Interaction.objects.filter(customer=m).exists()
    assert not CardNote.objects.filter(customer_id=m.pk).exists()
    assert Contact.objects.filter(customer=s, name="小王").exists()
    assert set(Customer.objects.get(pk=s.pk).tags.values_list("name", flat=True)) == {
        "老客户",
        "茶叶",
        "北京",
    }
    survivor = Customer.objects.get(pk=s.pk)
    # Gaps filled from the merged card; the survivor's own values kept; contacts unioned.
    assert survivor.address == "朝阳区建国路 1 号"
    assert survivor.city == "北京"
    assert set(survivor.contact_points.values_list("normalized", flat=True)) == {
        "+8613800001111",
        "+8613900002222",
        "zw@example.com",
        "zhangwei_88",
    }
    assert survivor.primary_phone == "+8613800001111"
    # Totals, figures and points equal a fresh recompute from the records.
    assert card_totals(s.pk) == (2, Decimal("2500.00"))
    assert card_totals(m.pk) == (0, Decimal("0.00"))
    after = {pk: figures(pk) for pk in (s.pk, m.pk)}
    window_rebuild(active_programme(), business_today())
    assert {pk: figures(pk) for pk in (s.pk, m.pk)} == after
    assert after[s.pk]["win_spend"] == Decimal("2500.00") and after[s.pk]["growth_total"] == 2500
    assert Membership.objects.get(pk=s.pk).points_balance == balance
    assert Membership.objects.get(pk=m.pk).points_balance == 0
    assert_ledger_consistent(s.pk)
    assert_ledger_consistent(m.pk)
    # Upgraded at once, with a tier history row naming the merge.
    assert Membership.objects.get(pk=s.pk).tier == "standard"
    change = TierChange.objects.filter(customer_id=s.pk).order_by("-id").first()
    assert change is not None and change.to_tier == "standard" and "merge" in change.note
    # The merged card is closed and out of lists and search.
    gone = Customer.objects.get(pk=m.pk)
    assert gone.merged_into_id == s.pk and gone.status == CustomerStatus.ARCHIVED
    assert m.pk not in customer_list(viewer=users["mgr_east"]).values_list("pk", flat=True)
    assert m.pk not in [h.customer.pk for h in customer_search(users["admin"], "张伟")]
    # The audit row lists every moved id.
    audit = AuditEvent.objects.get(object_type="dedupe.mergerecord", object_id=str(record.pk))
    assert sorted(audit.changes["moved"]["purchases"]) == sorted(moved_purchases)
    assert audit.changes["moved"]["interactions"] and audit.changes["moved"]["notes"]
    assert DuplicatePair.objects.get(customer_a=s, customer_b=m).status == PairStatus.MERGED


def test_unmerge_restores_exactly(twins: Twins, users: dict[str, User]) -> None:
    s, m = twins.survivor, twins.merged
    before = world(s.pk, m.pk)
    record = customers_merge(
        actor=users["mgr_east"], survivor_id=s.pk, merged_id=m.pk, picks={"name": "merged"}
    )

    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ReviewMark.objects.all().delete()

    customers_unmerge(actor=users["mgr_east"], merge_id=record.pk)

    # Both cards' figures dropped: the next review looks at them (a fall below their tier).
    assert set(ReviewMark.objects.values_list("customer_id", flat=True)) == {s.pk, m.pk}

    undone = AuditEvent.objects.filter(pk__gt=last)
    by_type = {(e.object_type, e.action): e for e in undone}
    merge_row = by_type[("dedupe.mergerecord", AuditAction.UPDATE)]
    assert (merge_row.actor, merge_row.object_id, merge_row.customer_id, merge_row.note) == (
        users["mgr_east"],
        str(record.pk),
        s.pk,
        "unmerge",
    )
    assert merge_row.changes == {"undone": [False, True], "survivor": s.pk, "merged": m.pk}
    restored = by_type[("customers.customer", AuditAction.RESTORE)]
    assert (restored.actor, restored.object_id, restored.customer_id) == (
        users["mgr_east"],
        str(m.pk),
        m.pk,
    )
    assert restored.changes["merged_into"] == [s.pk, None]
    assert restored.changes["status"] == ["archived", "active"]
    after = world(s.pk, m.pk)
    for key in ("purchases", "interactions", "notes", "contacts", "points", "tags", "lots"):
        assert after[key] == before[key], key
    for was, now in zip(before["cards"], after["cards"], strict=True):
        assert {k: v for k, v in now.items() if k != "version"} == {
            k: v for k, v in was.items() if k != "version"
        }
    assert [{k: v for k, v in row.items()} for row in after["members"]] == before["members"]
    assert after["entries"] > before["entries"]  # reversals appended, nothing deleted
    undo = PointsEntry.objects.filter(key__startswith=f"unmerge:{record.pk}:")
    assert undo.count() == undo.filter(reverses__isnull=False).count() == 2
    assert_ledger_consistent(s.pk)
    assert_ledger_consistent(m.pk)
    assert Membership.objects.get(pk=s.pk).tier == "basic"
    assert (
        TierChange.objects.filter(customer_id=s.pk).order_by("-id").first().note.startswith("undo")
    )
    record.refresh_from_db()
    assert record.undone_at is not None
    assert DuplicatePair.objects.get(customer_a=s, customer_b=m).status == PairStatus.OPEN
    with pytest.raises(Conflict) as again:
        customers_unmerge(actor=users["mgr_east"], merge_id=record.pk)
    assert again.value.code == "already_undone"


def test_unmerge_refused_when_moved_points_were_spent(twins: Twins, users: dict[str, User]) -> None:
    from tiercard.loyalty.services.points import points_adjust

    s, m = twins.survivor, twins.merged
    record = customers_merge(actor=users["admin"], survivor_id=s.pk, merged_id=m.pk)
    balance = Membership.objects.get(pk=s.pk).points_balance
    points_adjust(actor=users["admin"], customer_id=s.pk, points=-balance, reason="兑换", key="k1")
    state = world(s.pk, m.pk)

    logged = AuditEvent.objects.count()

    with pytest.raises(Conflict) as refused:
        customers_unmerge(actor=users["admin"], merge_id=record.pk)

    assert refused.value.code == "points_spent"
    assert world(s.pk, m.pk) == state
    assert AuditEvent.objects.count() == logged
    assert MergeRecord.objects.get(pk=record.pk).undone_at is None


def test_unmerge_refused_when_a_merged_field_was_edited(
    twins: Twins, users: dict[str, User]
) -> None:
    from tiercard.customers.services import customer_update

    s, m = twins.survivor, twins.merged
    record = customers_merge(actor=users["admin"], survivor_id=s.pk, merged_id=m.pk)
    customer_update(actor=users["admin"], customer_id=s.pk, data={"address": "新地址"})
    state = world(s.pk, m.pk)

    with pytest.raises(Conflict) as refused:
        customers_unmerge(actor=users["admin"], merge_id=record.pk)

    assert refused.value.code == "changed_since"
    assert "address" in str(refused.value.message)
    assert world(s.pk, m.pk) == state


def test_purchases_after_merge_stay_with_the_survivor_on_undo(
    twins: Twins, users: dict[str, User]
) -> None:
    s, m = twins.survivor, twins.merged
    record = customers_merge(actor=users["admin"], survivor_id=s.pk, merged_id=m.pk)
    later = buy(users["admin"], s, "300.00")

    customers_unmerge(actor=users["admin"], merge_id=record.pk)

    assert Purchase.objects.get(pk=later.pk).customer_id == s.pk
    assert card_totals(s.pk) == (2, Decimal("1800.00"))
    assert card_totals(m.pk) == (1, Decimal("1000.00"))
    after = {pk: figures(pk) for pk in (s.pk, m.pk)}
    window_rebuild(active_programme(), business_today())
    assert {pk: figures(pk) for pk in (s.pk, m.pk)} == after
    assert_ledger_consistent(s.pk)


@pytest.mark.parametrize("who", ["rep_east1", "service", "marketing"])
def test_only_managers_and_admins_merge(twins: Twins, users: dict[str, User], who: str) -> None:
    s, m = twins.survivor, twins.merged
    state = world(s.pk, m.pk)
    audit = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied):
        customers_merge(actor=users[who], survivor_id=s.pk, merged_id=m.pk)

    assert world(s.pk, m.pk) == state
    assert AuditEvent.objects.count() == audit
    assert not MergeRecord.objects.exists()


def test_merge_across_scopes_is_not_found(
    twins: Twins, users: dict[str, User], make_customer
) -> None:
    south = make_customer("rep_south", name="张伟", phones="13800001111")
    state = world(twins.survivor.pk, south.pk)

    for actor in ("mgr_east", "mgr_south", "rep_east1"):
        with pytest.raises(NotFound):
            customers_merge(actor=users[actor], survivor_id=twins.survivor.pk, merged_id=south.pk)

    assert world(twins.survivor.pk, south.pk) == state
    assert not MergeRecord.objects.exists()


def test_bad_requests_change_nothing(twins: Twins, users: dict[str, User]) -> None:
    s, m = twins.survivor, twins.merged
    state = world(s.pk, m.pk)
    with pytest.raises(ValidationFailed) as same:
        customers_merge(actor=users["admin"], survivor_id=s.pk, merged_id=s.pk)
    assert same.value.code == "same_customer"
    with pytest.raises(ValidationFailed) as bad:
        customers_merge(
            actor=users["admin"],
            survivor_id=s.pk,
            merged_id=m.pk,
            picks={"name": "x", "pwd": "merged"},
        )
    assert bad.value.code == "bad_field_choice" and set(bad.value.fields) == {"name", "pwd"}
    assert world(s.pk, m.pk) == state
    customers_merge(actor=users["admin"], survivor_id=s.pk, merged_id=m.pk)
    state = world(s.pk, m.pk)
    with pytest.raises(Conflict) as twice:
        customers_merge(actor=users["admin"], survivor_id=s.pk, merged_id=m.pk)
    assert twice.value.code == "already_merged"
    assert world(s.pk, m.pk) == state


def test_merged_card_takes_no_purchases(twins: Twins, users: dict[str, User]) -> None:
    customers_merge(actor=users["admin"], survivor_id=twins.survivor.pk, merged_id=twins.merged.pk)
    with pytest.raises(Conflict) as closed:
        buy(users["admin"], twins.merged, "10.00")
    assert closed.value.code == "customer_archived"


def test_picks_take_the_merged_cards_values(
    twins: Twins, users: dict[str, User], make_customer
) -> None:
    a = make_customer("rep_east1", name="腾飞科技", kind="company", credit_code="")
    from tiercard.core.contacts import credit_code_with_check_digit

    code = credit_code_with_check_digit("91110108MA01ABCDE")
    b = make_customer("rep_east1", name="北京腾飞科技有限公司", kind="company", credit_code=code)
    customers_merge(
        actor=users["admin"], survivor_id=a.pk, merged_id=b.pk, picks={"name": "merged"}
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.name, a.credit_code) == ("北京腾飞科技有限公司", code)
    assert b.credit_code == ""
    assert a.name_pinyin.startswith("beijing")


def test_birthday_filled_from_the_merged_card_unless_lunar(
    users: dict[str, User], make_customer
) -> None:
    a = make_customer("rep_east1", name="李雷", phones="13711112222")
    b = make_customer("rep_east1", name="李雷", phones="13711112222", birthday="1990-05-01")
    c = make_customer(
        "rep_east1",
        name="李雷",
        birthday_calendar="lunar",
        lunar_birth_month=3,
        lunar_birth_day=8,
    )
    customers_merge(actor=users["admin"], survivor_id=a.pk, merged_id=b.pk)
    assert Customer.objects.get(pk=a.pk).birthday == dt.date(1990, 5, 1)
    record = customers_merge(actor=users["admin"], survivor_id=c.pk, merged_id=a.pk)
    assert "birthday" not in record.fields["survivor"]
    customers_unmerge(actor=users["admin"], merge_id=record.pk)


def test_landlines_survive_merge_and_undo(users: dict[str, User], make_customer) -> None:
    a = make_customer("rep_east1", name="腾飞科技", kind="company", phones="021-5555 0000")
    b = make_customer(
        "rep_east1", name="腾飞科技", kind="company", phones="13911112222, 010-62123456"
    )
    record = customers_merge(actor=users["admin"], survivor_id=a.pk, merged_id=b.pk)
    assert set(
        Customer.objects.get(pk=a.pk).contact_points.values_list("normalized", flat=True)
    ) == {
        "+862155550000",
        "+8613911112222",
        "+861062123456",
    }
    customers_unmerge(actor=users["admin"], merge_id=record.pk)
    assert list(
        Customer.objects.get(pk=a.pk).contact_points.values_list("normalized", flat=True)
    ) == ["+862155550000"]


def test_a_merged_card_is_not_restored_by_hand(twins: Twins, users: dict[str, User]) -> None:
    from tiercard.customers.services import customer_restore

    s, m = twins.survivor, twins.merged
    customers_merge(actor=users["mgr_east"], survivor_id=s.pk, merged_id=m.pk, picks={})
    before = world(s.pk, m.pk)
    with pytest.raises(Conflict) as refused:
        customer_restore(actor=users["mgr_east"], customer_id=m.pk)
    assert refused.value.code == "customer_merged"
    assert world(s.pk, m.pk) == before
