"""Erasure by anonymisation: the person is gone, the books and figures stay the same."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum

from tests.privacy.conftest import EMAIL, NAME, PHONE, TICKET_SECRET
from tiercard.accounts.models import User
from tiercard.analytics.dashboard import dashboard_figures
from tiercard.analytics.rollup import dashboard_refresh
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.cards.models import CardNote
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Contact, ContactPoint, Customer
from tiercard.customers.selectors import CustomerFilters, customer_list
from tiercard.interactions.models import Interaction
from tiercard.loyalty.models import Membership, PointsEntry, TierChange
from tiercard.loyalty.services.state import active_programme
from tiercard.privacy.erasure import (
    REDACTED,
    check_confirmation,
    customer_erase,
    erased_name,
    redact_audit_changes,
)
from tiercard.sales.models import Purchase, PurchaseLine, PurchaseReturn
from tiercard.servicedesk.models import ServiceTicket
from tiercard.servicedesk.services import ticket_open

pytestmark = pytest.mark.django_db

SECRETS = (
    NAME,
    PHONE,
    EMAIL,
    "zmm_wx",
    "文三路",
    "上城区",
    "张无忌",
    "13911112222",
    "zwj@example.com",
    "1990-04-05",
    "明教",
)


def books(customer: Customer) -> dict[str, Any]:
    """Everything erasure must leave exactly as it was."""
    membership = Membership.objects.get(customer=customer)
    return {
        "ledger_sum": PointsEntry.objects.filter(customer=customer).aggregate(s=Sum("points"))["s"],
        "entries": list(
            PointsEntry.objects.filter(customer=customer).values_list(
                "id", "kind", "points", "balance_after", "note", "key"
            )
        ),
        "balance": membership.points_balance,
        "tier": membership.tier,
        "growth": membership.growth_total,
        "tier_changes": TierChange.objects.filter(customer=customer).count(),
        "purchases": list(
            Purchase.objects.filter(customer=customer).values_list("id", "total", "returned_amount")
        ),
        "lines": PurchaseLine.objects.filter(purchase__customer=customer).count(),
        "returns": list(
            PurchaseReturn.objects.filter(purchase__customer=customer).values_list("amount")
        ),
        "spend": Customer.objects.aggregate(s=Sum("total_spend"), o=Sum("order_count")),
        "interactions": Interaction.objects.filter(customer=customer).count(),
        # A ticket's facts (not its texts): what was promised, when it was answered and closed.
        "tickets": list(
            ServiceTicket.objects.filter(customer=customer)
            .order_by("id")
            .values_list(
                "id",
                "kind",
                "status",
                "tier",
                "priority",
                "opened_at",
                "respond_by",
                "responded_at",
                "resolved_at",
                "assignee",
                "resolved_by",
            )
        ),
        "customers": Customer.objects.count(),
    }


def figures(admin: User) -> dict[str, Any]:
    state = dashboard_refresh(business_today())
    found = dashboard_figures(admin, state, active_programme().programme.ladder)
    data = dataclasses.asdict(found)
    data.pop("computed_at")
    return data


def test_erasure_removes_the_person_and_keeps_the_books(rich: Customer, users: dict) -> None:
    admin = users["admin"]
    before, dash_before = books(rich), figures(admin)
    assert customer_list(viewer=admin, filters=CustomerFilters(q=NAME)).filter(pk=rich.pk).exists()

    customer_erase(actor=admin, customer_id=rich.pk, reason="PIPL 删除请求 DSR-7")

    card = Customer.objects.get(pk=rich.pk)
    assert card.name == erased_name(rich.pk) == f"已删除客户 #{rich.pk}"
    assert card.erased_at is not None and card.erased_by == admin
    assert (card.primary_phone, card.primary_email, card.phone_tail) == ("", "", "")
    assert (card.address, card.company_name, card.notes, card.birthday) == ("", "", "", None)
    assert (card.name_pinyin, card.search_text, card.name_chars) == ("", "", "")
    assert card.city == "杭州"  # coarse region kept for regional figures
    assert [t.name for t in card.tags.all()] == ["老客户"]
    assert not ContactPoint.objects.filter(customer=rich).exists()
    person = Contact.objects.get(customer=rich)
    assert (person.name, person.mobile, person.email) == ("已删除联系人", "", "")
    assert set(Interaction.objects.filter(customer=rich).values_list("summary", flat=True)) == {
        "（已删除）"
    }
    assert set(CardNote.objects.filter(customer=rich).values_list("body", flat=True)) == {
        "（已删除）"
    }
    assert not Purchase.objects.filter(customer=rich).exclude(note="").exists()

    assert books(rich) == before
    assert figures(admin) == dash_before

    for query in (NAME, "敏", "zhaominmin", PHONE, PHONE[-4:], EMAIL, "zmm_wx"):
        found = customer_list(viewer=admin, filters=CustomerFilters(q=query, status="all"))
        assert not found.filter(pk=rich.pk).exists(), query

    dumped = json.dumps(
        list(AuditEvent.objects.values_list("changes", "note")), ensure_ascii=False
    ) + json.dumps(
        list(Customer.objects.filter(pk=rich.pk).values()), default=str, ensure_ascii=False
    )
    for secret in SECRETS:
        assert secret not in dumped, secret
    assert REDACTED in dumped
    erasure = AuditEvent.objects.get(object_type="privacy.erasure")
    assert (erasure.action, erasure.customer_id, erasure.actor) == (
        AuditAction.DELETE,
        rich.pk,
        admin,
    )
    assert erasure.note == "PIPL 删除请求 DSR-7" and erasure.changes["audit_rows_redacted"] >= 3
    # earlier rows are kept, only their personal values are replaced
    assert AuditEvent.objects.filter(customer_id=rich.pk, action=AuditAction.CREATE).exists()


def test_service_ticket_texts_are_erased_like_interaction_summaries(
    rich: Customer, users: dict
) -> None:
    # given the resolved ticket of ``rich`` and an open one without detail
    ticket_open(
        actor=users["rep_east1"],
        customer_id=rich.pk,
        data={"kind": "enquiry", "subject": f"{NAME}问会员日"},
    )
    before = books(rich)
    assert len(before["tickets"]) == 2

    # when
    customer_erase(actor=users["admin"], customer_id=rich.pk, reason="DSR-9")

    # then the texts are placeholders where they held something, the facts are kept
    texts = list(
        ServiceTicket.objects.filter(customer=rich)
        .order_by("id")
        .values_list("subject", "detail", "resolution")
    )
    assert texts == [("（已删除）", "（已删除）", "（已删除）"), ("（已删除）", "", "")]
    assert books(rich)["tickets"] == before["tickets"]
    # and the audit log no longer holds the first resolution (kept by the reopening)
    dumped = json.dumps(list(AuditEvent.objects.values_list("changes", "note")), ensure_ascii=False)
    assert TICKET_SECRET not in dumped and NAME not in dumped
    reopened = AuditEvent.objects.get(
        object_type="servicedesk.serviceticket", changes__has_key="resolution"
    )
    assert reopened.changes["resolution"] == REDACTED
    assert reopened.note == "客户说还没收到"  # staff's reason, scrubbed of erased values only


def test_tickets_of_cards_merged_into_the_customer_are_erased_with_it(
    rich: Customer, users: dict, make_customer: Any
) -> None:
    old = make_customer("rep_east1", name="赵敏", phones="13812340000")
    ticket = ticket_open(
        actor=users["rep_east1"],
        customer_id=old.pk,
        data={"kind": "after_sales", "subject": "旧卡的退货", "detail": "手机 13812340000"},
    )
    Customer.objects.filter(pk=old.pk).update(merged_into=rich)  # as a duplicate merge leaves it

    customer_erase(actor=users["admin"], customer_id=rich.pk, reason="DSR")

    ticket.refresh_from_db()
    assert (ticket.subject, ticket.detail, ticket.customer_id) == (
        "（已删除）",
        "（已删除）",
        old.pk,
    )


def snapshot(customer: Customer) -> tuple[Any, ...]:
    return (
        tuple(
            Customer.objects.filter(pk=customer.pk)
            .values_list("name", "version", "erased_at")
            .get()
        ),
        ContactPoint.objects.filter(customer=customer).count(),
        AuditEvent.objects.count(),
        json.dumps(
            list(AuditEvent.objects.order_by("id").values_list("changes")), ensure_ascii=False
        ),
        list(ServiceTicket.objects.order_by("id").values_list("subject", "detail", "resolution")),
    )


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("mgr_east", PermissionDenied),
        ("rep_east1", PermissionDenied),
        ("marketing", PermissionDenied),
        ("service", PermissionDenied),
        ("rep_south", NotFound),
        ("mgr_south", NotFound),
    ],
)
def test_only_an_admin_erases_and_others_change_nothing(
    rich: Customer, users: dict, who: str, error: type[Exception]
) -> None:
    before = snapshot(rich)
    with pytest.raises(error):
        customer_erase(actor=users[who], customer_id=rich.pk, reason="请求")
    assert snapshot(rich) == before


def test_a_missing_reason_an_unknown_id_and_a_second_erasure_are_refused(
    rich: Customer, users: dict
) -> None:
    admin = users["admin"]
    before = snapshot(rich)
    with pytest.raises(ValidationFailed) as missing:
        customer_erase(actor=admin, customer_id=rich.pk, reason="  ")
    assert "reason" in missing.value.fields
    with pytest.raises(NotFound):
        customer_erase(actor=admin, customer_id=rich.pk + 999, reason="请求")
    assert snapshot(rich) == before
    customer_erase(actor=admin, customer_id=rich.pk, reason="请求")
    after = snapshot(rich)
    with pytest.raises(Conflict) as again:
        customer_erase(actor=admin, customer_id=rich.pk, reason="请求")
    assert again.value.code == "already_erased"
    assert snapshot(rich) == after


def test_the_confirmation_is_the_customer_number() -> None:
    check_confirmation(123, "123")
    check_confirmation(123, " #123 ")
    for typed in ("", "12", "1234", None, "abc"):
        with pytest.raises(ValidationFailed):
            check_confirmation(123, typed)


def test_audit_redaction_keeps_the_shape_and_the_other_facts() -> None:
    changes = {
        "name": [None, "赵敏敏"],
        "contacts.mobile": [[], ["138****9876"]],
        "status": ["active", "archived"],
        "view": {"q": "赵敏敏 杭州"},
        "amount": "12.50",
        "consent_data": [False, True],
    }
    out = redact_audit_changes(changes, ["赵敏敏"])
    assert out == {
        "name": [None, REDACTED],
        "contacts.mobile": [[], [REDACTED]],
        "status": ["active", "archived"],
        "view": {"q": f"{REDACTED} 杭州"},
        "amount": "12.50",
        "consent_data": [False, True],
    }
    assert Decimal(out["amount"]) == Decimal("12.50")


def test_duplicate_detection_keys_and_open_pairs_go_decided_pairs_stay(
    rich: Customer, users: dict, book: dict
) -> None:
    from tiercard.dedupe.matchkeys import keys_refresh
    from tiercard.dedupe.models import DuplicatePair, MatchKey, PairStatus

    keys_refresh(customer_ids=[rich.pk, book["east1"].pk])
    assert MatchKey.objects.filter(customer=rich).exists()
    low, high = sorted([rich.pk, book["east1"].pk])
    other_low, other_high = sorted([rich.pk, book["east2"].pk])
    DuplicatePair.objects.create(customer_a_id=low, customer_b_id=high, score=80, level="likely")
    DuplicatePair.objects.create(
        customer_a_id=other_low,
        customer_b_id=other_high,
        score=60,
        level="possible",
        status=PairStatus.DISMISSED,
    )
    customer_erase(actor=users["admin"], customer_id=rich.pk, reason="DSR")
    assert not MatchKey.objects.filter(customer=rich).exists()
    assert MatchKey.objects.filter(customer=book["east1"]).exists()
    assert list(DuplicatePair.objects.values_list("status", flat=True)) == [PairStatus.DISMISSED]


def test_cards_merged_into_the_customer_are_erased_with_it(
    rich: Customer, users: dict, make_customer: Any
) -> None:
    old = make_customer("rep_east1", name="赵敏", phones="13812340000", emails="zm@old.cn")
    Customer.objects.filter(pk=old.pk).update(merged_into=rich)  # as a duplicate merge leaves it
    customer_erase(actor=users["admin"], customer_id=rich.pk, reason="DSR")
    card = Customer.objects.get(pk=old.pk)
    assert card.name == erased_name(old.pk) and card.erased_at is not None
    assert not ContactPoint.objects.filter(customer=old).exists()
    dumped = json.dumps(list(AuditEvent.objects.values_list("changes", "note")), ensure_ascii=False)
    assert "13812340000" not in dumped and "zm@old.cn" not in dumped
    rows = AuditEvent.objects.filter(object_type="privacy.erasure")
    assert {r.customer_id: r.changes.get("merged_into") for r in rows} == {
        rich.pk: None,
        old.pk: rich.pk,
    }


def test_the_database_search_index_no_longer_holds_the_name(rich: Customer, users: dict) -> None:
    from django.db import connection

    def indexed() -> set[int]:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT rowid FROM customers_search WHERE customers_search MATCH %s",
                    ['"赵 敏 敏" OR zhaominmin OR 13812349876'],
                )
            else:
                cursor.execute(
                    "SELECT id FROM customers_customer WHERE string_to_array(name_chars, ' ') "
                    "@> ARRAY['赵', '敏'] OR search_text LIKE %s OR search_text LIKE %s",
                    ["% zhaominmin %", "% 13812349876 %"],
                )
            return {row[0] for row in cursor.fetchall()}

    assert rich.pk in indexed()
    customer_erase(actor=users["admin"], customer_id=rich.pk, reason="DSR")
    assert rich.pk not in indexed()


def test_an_erased_card_cannot_be_edited_back(rich: Customer, users: dict) -> None:
    from tiercard.customers.services import customer_update

    admin = users["admin"]
    customer_erase(actor=admin, customer_id=rich.pk, reason="请求")
    after = snapshot(rich)
    with pytest.raises(Conflict) as refused:
        customer_update(actor=admin, customer_id=rich.pk, data={"name": NAME, "phones": PHONE})
    assert refused.value.code == "customer_erased"
    assert snapshot(rich) == after


def test_tier_override_request_texts_are_erased(rich: Customer, users: dict) -> None:
    from tiercard.core.timeutils import business_today
    from tiercard.loyalty.models import OverrideRequest
    from tiercard.loyalty.services.override_requests import override_reject, override_request

    ask = {"actor": users["rep_east1"], "customer_id": rich.pk, "tier_code": "vip"}
    until = business_today() + dt.timedelta(days=30)
    first = override_request(**ask, reason=f"{NAME}是老朋友", until=until)
    override_reject(actor=users["mgr_east"], request_id=first.pk, note=f"{NAME}消费不足")
    waiting = override_request(**ask, reason="战略客户", until=until)

    customer_erase(actor=users["admin"], customer_id=rich.pk, reason="DSR-10")

    texts = list(OverrideRequest.objects.order_by("pk").values_list("reason", "note", "status"))
    assert texts == [("（已删除）", "（已删除）", "rejected"), ("（已删除）", "", "pending")]
    assert OverrideRequest.objects.get(pk=waiting.pk).until == until


def test_an_overrides_written_reasons_are_erased_wherever_they_were_copied(
    rich: Customer, users: dict
) -> None:
    """The reason may name people other than the customer (not found by the erased values):
    the membership, the manual tier change and the audit rows all held it."""
    from tiercard.loyalty.models import ChangeReason
    from tiercard.loyalty.services.override_requests import override_approve, override_request

    until = business_today() + dt.timedelta(days=30)
    asked = override_request(
        actor=users["rep_east1"],
        customer_id=rich.pk,
        tier_code="vip",
        reason="王经理推荐的战略客户",
        until=until,
    )
    override_approve(actor=users["mgr_east"], request_id=asked.pk, note="同意，王经理担保")
    assert Membership.objects.get(customer=rich).override_reason == "王经理推荐的战略客户"
    customer_erase(actor=users["admin"], customer_id=rich.pk, reason="DSR-11")
    row = Membership.objects.get(customer=rich)
    manual = TierChange.objects.get(customer=rich, reason=ChangeReason.MANUAL)

    assert row.override_reason == "（已删除）"
    assert (row.tier, row.lock_until) == ("vip", until)  # the override itself stands
    assert manual.note == "（已删除）" and manual.to_tier == "vip"
    written = json.dumps(
        list(AuditEvent.objects.filter(customer_id=rich.pk).values_list("changes", "note")),
        ensure_ascii=False,
    )
    assert "王经理" not in written


def test_the_reason_an_override_was_ended_is_erased_from_the_audit_log(
    rich: Customer, users: dict
) -> None:
    from tiercard.loyalty.services.overrides import tier_override, tier_override_clear

    until = business_today() + dt.timedelta(days=30)
    tier_override(
        actor=users["mgr_east"],
        customer_id=rich.pk,
        tier_code="vip",
        reason="战略客户",
        until=until,
        approver_id=users["mgr_east"].pk,
    )
    tier_override_clear(actor=users["mgr_east"], customer_id=rich.pk, reason="李总监决定结束")

    customer_erase(actor=users["admin"], customer_id=rich.pk, reason="DSR-12")

    notes = list(AuditEvent.objects.filter(customer_id=rich.pk).values_list("note", flat=True))
    assert "tier override cleared: [已删除]" in notes
    assert not [n for n in notes if "李总监" in n]


def test_the_reasons_the_system_wrote_stay_so_an_import_undo_still_finds_its_override(
    rich: Customer, users: dict
) -> None:
    from tiercard.loyalty.models import ChangeReason
    from tiercard.loyalty.system_reasons import import_reason, unmerge_note

    Membership.objects.filter(customer=rich).update(
        tier="vip", lock_until=business_today(), override_reason=import_reason(7)
    )
    kept = TierChange.objects.create(
        customer=rich,
        effective_on=business_today(),
        from_tier="vip",
        to_tier="basic",
        reason=ChangeReason.MANUAL,
        ladder_version=active_programme().version,
        metrics={},
        note=unmerge_note(3),
    )

    customer_erase(actor=users["admin"], customer_id=rich.pk, reason="DSR-13")

    assert Membership.objects.get(customer=rich).override_reason == "导入 · import #7"
    assert TierChange.objects.get(pk=kept.pk).note == "undo merge #3"


@pytest.mark.django_db(transaction=True)
def test_an_erasure_beside_live_purchases_of_the_same_card_lets_both_finish(
    rich: Customer, users: dict
) -> None:
    """The erasure writes the membership row too (an override's reason): it locks it before
    the card, as the purchases do, so neither waits for the other in a cycle."""
    from tests.loyalty.threads_support import in_threads
    from tiercard.loyalty.services.checkout import purchase_record
    from tiercard.loyalty.services.overrides import tier_override

    active_programme()  # a flushed database lost the migration's programme: reinstalled
    tier_override(
        actor=users["mgr_east"],
        customer_id=rich.pk,
        tier_code="vip",
        reason="王经理推荐",
        until=business_today() + dt.timedelta(days=30),
        approver_id=users["mgr_east"].pk,
    )

    def act(i: int) -> object:
        if i == 3:
            return customer_erase(actor=users["admin"], customer_id=rich.pk, reason="DSR-14")
        data = {"external_ref": f"live-{i}", "lines": [{"item_name": "茶", "unit_price": "10"}]}
        return purchase_record(actor=users["rep_east1"], customer_id=rich.pk, data=data)

    done, failed = in_threads(8, act, workers=8)

    assert failed == [] and len(done) == 8
    assert Membership.objects.get(customer=rich).override_reason == "（已删除）"
    assert Purchase.objects.filter(customer=rich, external_ref__startswith="live-").count() == 7
