"""Purchases (lines, totals, idempotency, aggregates), interactions and the card timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tiercard.audit.models import AuditEvent
from tiercard.cards.timeline import card_timeline
from tiercard.core.errors import NotFound, ValidationFailed
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.interactions.services import interaction_log
from tiercard.loyalty.models import TierChange
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.sales.models import Purchase, PurchaseLine

pytestmark = pytest.mark.django_db

TEA = {"item_name": "龙井茶", "sku": "T-01", "quantity": "2", "unit_price": "¥1,234.50"}


def counts():
    """Everything a purchase writes: its rows, the card's totals and the loyalty state."""
    from tiercard.loyalty.models import GrowthEntry, Membership, PointsEntry, PointsLot

    return (
        Purchase.objects.count(),
        PurchaseLine.objects.count(),
        AuditEvent.objects.count(),
        list(Customer.objects.order_by("pk").values_list("order_count", "total_spend", "tier")),
        list(Membership.objects.order_by("pk").values()),
        PointsEntry.objects.count(),
        PointsLot.objects.count(),
        GrowthEntry.objects.count(),
    )


def test_purchase_totals_lines_and_updates_customer_aggregates(users, book):
    customer = book["east1"]
    when = timezone.now() - dt.timedelta(days=3)
    recorded = purchase_record(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={
            "occurred_at": when,
            "external_ref": "POS-1",
            "discount": "9.00",
            "lines": [
                TEA,
                {"item_name": "茶具", "quantity": 1, "unit_price": "100", "discount": "10"},
            ],
            "payment_method": "alipay",
            "channel": "store",
            "store": "西湖店",
        },
    )
    assert recorded.created
    purchase = recorded.purchase
    assert purchase.subtotal == Decimal("2559.00")
    assert purchase.total == Decimal("2550.00")
    assert [line.amount for line in purchase.lines.order_by("id")] == [
        Decimal("2469.00"),
        Decimal("90.00"),
    ]
    customer.refresh_from_db()
    assert customer.order_count == 1 and customer.total_spend == Decimal("2550.00")
    assert customer.last_purchase_at == when == customer.first_purchase_at
    # a backdated purchase moves first_purchase_at back but not last_purchase_at forward
    older = when - dt.timedelta(days=400)
    purchase_record(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={"occurred_at": older, "lines": [TEA]},
    )
    customer.refresh_from_db()
    assert customer.order_count == 2
    assert customer.first_purchase_at == older and customer.last_purchase_at == when


def test_replaying_a_purchase_records_it_once(users, book):
    data = {"external_ref": "POS-7", "lines": [TEA]}
    first = purchase_record(actor=users["rep_east1"], customer_id=book["east1"].pk, data=data)
    before = counts()
    again = purchase_record(actor=users["rep_east1"], customer_id=book["east1"].pk, data=data)
    assert first.created and not again.created
    assert again.purchase.pk == first.purchase.pk
    assert counts() == before


def test_reusing_a_reference_for_another_purchase_is_refused(users, book):
    purchase_record(
        actor=users["rep_east1"],
        customer_id=book["east1"].pk,
        data={"external_ref": "POS-8", "lines": [TEA]},
    )
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        purchase_record(
            actor=users["rep_east1"],
            customer_id=book["east1"].pk,
            data={"external_ref": "POS-8", "lines": [{"item_name": "茶", "unit_price": "1"}]},
        )
    assert exc.value.code == "duplicate_external_ref" and "external_ref" in exc.value.fields
    assert counts() == before


BAD_PURCHASES = [
    ({"lines": []}, "lines"),
    ({"lines": "tea"}, "lines"),
    ({"lines": [{**TEA, "quantity": "-1"}]}, "lines.0.quantity"),
    ({"lines": [{**TEA, "quantity": "0"}]}, "lines.0.quantity"),
    ({"lines": [{**TEA, "unit_price": "-5"}]}, "lines.0.unit_price"),
    ({"lines": [{**TEA, "unit_price": "abc"}]}, "lines.0.unit_price"),
    ({"lines": [{**TEA, "unit_price": "1.234"}]}, "lines.0.unit_price"),
    ({"lines": [{**TEA, "unit_price": ""}]}, "lines.0.unit_price"),
    ({"lines": [{**TEA, "item_name": ""}]}, "lines.0.item_name"),
    ({"lines": [{**TEA, "item_name": "茶" * 121}]}, "lines.0.item_name"),
    ({"lines": [{**TEA, "discount": "99999"}]}, "lines.0.discount"),
    ({"lines": [{**TEA, "colour": "red"}]}, "lines.0.colour"),
    ({"lines": [TEA], "discount": "100000"}, "discount"),
    ({"lines": [TEA], "occurred_at": "2024年13月40日"}, "occurred_at"),
    ({"lines": [TEA], "occurred_at": "2999-01-01"}, "occurred_at"),
    ({"lines": [TEA], "payment_method": "seashells"}, "payment_method"),
    ({"lines": [TEA], "channel": "telepathy"}, "channel"),
    ({"lines": [TEA], "sales_rep_id": "999999"}, "sales_rep_id"),
    ({"lines": [TEA], "note": "x" * 201}, "note"),
    ({"lines": [TEA], "external_ref": "x" * 65}, "external_ref"),
]


@pytest.mark.parametrize(("data", "field"), BAD_PURCHASES)
def test_bad_purchases_name_the_field_and_write_nothing(users, book, data, field):
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        purchase_record(actor=users["rep_east1"], customer_id=book["east1"].pk, data=data)
    assert field in exc.value.fields
    assert exc.value.code == "validation_error"  # the stable code; the field says what
    assert counts() == before


def test_purchase_dates_in_chinese_are_business_time(users, book):
    recorded = purchase_record(
        actor=users["rep_east1"],
        customer_id=book["east1"].pk,
        data={"occurred_at": "2024年5月1日 09:30", "lines": [TEA]},
    )
    # 09:30 in Asia/Shanghai is 01:30 UTC
    assert recorded.purchase.occurred_at == dt.datetime(2024, 5, 1, 1, 30, tzinfo=dt.UTC)


def test_marketing_cannot_record_purchases(users, book):
    from tiercard.core.errors import PermissionDenied

    before = counts()
    with pytest.raises(PermissionDenied):
        purchase_record(
            actor=users["marketing"], customer_id=book["east1"].pk, data={"lines": [TEA]}
        )
    assert counts() == before


def test_interaction_log_advances_last_contact_and_validates(users, book, make_customer):
    customer = book["east1"]
    earlier = timezone.now() - dt.timedelta(days=2)
    interaction_log(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={
            "kind": "visit",
            "summary": "上门拜访，介绍新品",
            "outcome": "positive",
            "next_step": "寄样品",
            "next_step_due": "2099-01-01",
            "occurred_at": earlier,
        },
    )
    customer.refresh_from_db()
    assert customer.last_interaction_at == earlier
    # an older interaction never moves last contact backwards
    interaction_log(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={"kind": "call", "summary": "电话", "occurred_at": earlier - dt.timedelta(days=5)},
    )
    customer.refresh_from_db()
    assert customer.last_interaction_at == earlier
    before = Interaction.objects.count()
    for data, field in [
        ({"kind": "pigeon", "summary": "x"}, "kind"),
        ({"kind": "call", "summary": ""}, "summary"),
        ({"kind": "call", "summary": "x", "next_step_due": "2000-01-01"}, "next_step_due"),
        ({"kind": "call", "summary": "x", "occurred_at": "2999-01-01"}, "occurred_at"),
        ({"kind": "call", "summary": "x" * 4001}, "summary"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            interaction_log(actor=users["rep_east1"], customer_id=customer.pk, data=data)
        assert field in exc.value.fields
    assert Interaction.objects.count() == before


def test_interaction_contact_person_must_belong_to_the_customer(users, book, make_customer):
    from tiercard.customers.contact_persons import contact_add

    company = make_customer(name="华为", kind="company")
    other = make_customer(name="中兴", kind="company")
    person = contact_add(
        actor=users["rep_east1"],
        customer_id=other.pk,
        data={"name": "刘经理", "mobile": "13800000001"},
    )
    with pytest.raises(ValidationFailed) as exc:
        interaction_log(
            actor=users["rep_east1"],
            customer_id=company.pk,
            data={"kind": "call", "summary": "x", "contact_id": person.pk},
        )
    assert "contact_id" in exc.value.fields


def test_timeline_merges_kinds_newest_first_and_pages(users, book):
    customer = book["east1"]
    base = timezone.now() - dt.timedelta(days=30)
    for i in range(5):
        purchase_record(
            actor=users["rep_east1"],
            customer_id=customer.pk,
            data={"occurred_at": base + dt.timedelta(days=2 * i), "lines": [TEA]},
        )
        interaction_log(
            actor=users["rep_east1"],
            customer_id=customer.pk,
            data={
                "kind": "call",
                "summary": f"第{i}次",
                "occurred_at": base + dt.timedelta(days=2 * i + 1),
            },
        )
    page = card_timeline(viewer=users["rep_east1"], customer_id=customer.pk, limit=4)
    times = [e.at for e in page.entries]
    assert times == sorted(times, reverse=True) and len(times) == 4
    assert page.has_more and page.next_cursor is not None
    seen = list(page.entries)
    while page.has_more:
        page = card_timeline(
            viewer=users["rep_east1"], customer_id=customer.pk, limit=4, cursor=page.next_cursor
        )
        seen += page.entries
    kinds = [e.kind for e in seen]
    assert kinds.count("purchase") == 5 and kinds.count("interaction") == 5
    assert kinds.count("change") == 1  # the card's creation
    only = card_timeline(
        viewer=users["rep_east1"], customer_id=customer.pk, kinds={"interaction"}, limit=50
    )
    assert {e.kind for e in only.entries} == {"interaction"}


def test_timeline_of_a_customer_outside_scope_is_not_found(users, book):
    with pytest.raises(NotFound):
        card_timeline(viewer=users["rep_east1"], customer_id=book["south"].pk)


def test_timeline_query_count_does_not_grow_with_history(
    users, book, django_assert_max_num_queries
):
    customer = book["east1"]
    for i in range(30):
        purchase_record(
            actor=users["rep_east1"],
            customer_id=customer.pk,
            data={"lines": [TEA, TEA], "occurred_at": timezone.now() - dt.timedelta(hours=i + 1)},
        )
    # The scope check, one query per source (six kinds), the purchases' lines and their points.
    with django_assert_max_num_queries(10):
        page = card_timeline(viewer=users["rep_east1"], customer_id=customer.pk, limit=20)
        for entry in page.entries:
            if entry.kind == "purchase":
                list(entry.obj.lines.all())


def test_timeline_never_skips_entries_that_share_a_timestamp(users, book):
    customer = book["east1"]
    instant = timezone.now() - dt.timedelta(days=1)
    for i in range(7):
        interaction_log(
            actor=users["rep_east1"],
            customer_id=customer.pk,
            data={"kind": "note", "summary": f"同一时刻{i}", "occurred_at": instant},
        )
        purchase_record(
            actor=users["rep_east1"],
            customer_id=customer.pk,
            data={"occurred_at": instant, "lines": [TEA]},
        )
    seen, cursor = [], None
    while True:
        page = card_timeline(
            viewer=users["rep_east1"], customer_id=customer.pk, limit=3, cursor=cursor
        )
        seen += [(e.kind, e.obj.pk) for e in page.entries]
        if not page.has_more:
            break
        cursor = page.next_cursor
    # 7 notes + 7 purchases + the card's creation + the upgrades the purchases caused
    tiers = TierChange.objects.filter(customer=customer).count()
    assert len(seen) == len(set(seen)) == 15 + tiers


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "2024-01-01~9~1", "2024-01-01T00:00:00~1~1", "2024-01-01T00:00:00+00:00~1~-5"],
)
def test_timeline_refuses_a_malformed_cursor(users, book, cursor):
    with pytest.raises(ValidationFailed) as exc:
        card_timeline(viewer=users["rep_east1"], customer_id=book["east1"].pk, cursor=cursor)
    assert "cursor" in exc.value.fields


def test_no_new_purchases_on_an_archived_card_but_replays_still_answer(users, book):
    from tiercard.core.errors import Conflict
    from tiercard.customers.services import customer_archive

    customer = book["east1"]
    first = purchase_record(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={"external_ref": "POS-A", "lines": [TEA]},
    )
    customer_archive(actor=users["mgr_east"], customer_id=customer.pk)
    replay = purchase_record(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={"external_ref": "POS-A", "lines": [TEA]},
    )
    assert replay.purchase.pk == first.purchase.pk and not replay.created
    before = counts()
    with pytest.raises(Conflict) as exc:
        purchase_record(actor=users["rep_east1"], customer_id=customer.pk, data={"lines": [TEA]})
    assert exc.value.code == "customer_archived"
    assert counts() == before


@pytest.mark.parametrize(
    ("price", "discount", "total"),
    [("100.10", "40.00", "60.10"), ("0.30", "0.10", "0.20"), ("19.99", "9.99", "10.00")],
)
def test_totals_that_binary_floats_cannot_hold_are_recorded(users, book, price, discount, total):
    recorded = purchase_record(
        actor=users["rep_east1"],
        customer_id=book["east1"].pk,
        data={"lines": [{"item_name": "茶", "unit_price": price}], "discount": discount},
    )
    recorded.purchase.refresh_from_db()
    assert recorded.purchase.total == Decimal(total)


def test_the_database_refuses_a_total_that_does_not_add_up(book):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Purchase.objects.create(
            customer=book["east1"],
            subtotal=Decimal("100.10"),
            discount=Decimal("40.00"),
            total=Decimal("60.00"),
        )
