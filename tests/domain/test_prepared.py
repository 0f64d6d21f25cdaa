"""``core.prepared.Prepared`` returns what evaluating its queryset returns: the same rows in
the same order, the same field values, the same ``select_related`` objects (or None) and the
same prefetched rows; shapes it cannot prepare fall back to the queryset. The card's newest
timeline page is read this way, so each timeline source is compared on a full history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tiercard.cards.notes import note_add
from tiercard.cards.timeline import KINDS, SOURCES, card_timeline
from tiercard.core.prepared import Prepared
from tiercard.customers.contact_persons import contact_add
from tiercard.customers.models import Customer
from tiercard.customers.selectors import customer_get
from tiercard.interactions.services import interaction_log
from tiercard.loyalty.services.checkout import purchase_record

pytestmark = pytest.mark.django_db


def _history(customer: Customer, users: dict) -> None:
    rep = users["rep_east1"]
    contact = contact_add(actor=rep, customer_id=customer.pk, data={"name": "甲"})
    for n in range(4):
        purchase_record(
            actor=rep,
            customer_id=customer.pk,
            data={
                "occurred_at": timezone.now() - dt.timedelta(days=n, hours=1),
                "lines": [
                    {"item_name": "龙井茶", "unit_price": "880.00"},
                    {"item_name": "茶具", "unit_price": "120.00", "quantity": "2"},
                ][: 1 + n % 2],
            },
        )
        interaction_log(
            actor=rep,
            customer_id=customer.pk,
            data={
                "kind": "call",
                "summary": f"电话{n}",
                **({"contact_id": contact.pk} if n % 2 else {}),
            },
        )
        note_add(actor=rep, customer_id=customer.pk, body=f"备注{n}")


def _state(obj: Any, depth: int = 0) -> Any:
    """Field values, cached related objects and prefetched rows (deeper: type and key only,
    a prefetched line points back at its purchase)."""
    if depth > 1:
        return (type(obj).__name__, obj.pk)
    values = {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    related = {
        k: (_state(v, depth + 1) if v is not None else None)
        for k, v in obj._state.fields_cache.items()
    }
    prefetched = {
        k: [_state(x, depth + 1) for x in v]
        for k, v in getattr(obj, "_prefetched_objects_cache", {}).items()
    }
    return {"values": values, "related": related, "prefetched": prefetched}


@pytest.mark.parametrize("purchases_shown", [True, False])
def test_each_timeline_source_prepared_returns_what_its_queryset_returns(
    users: dict, book: dict, purchases_shown: bool
) -> None:
    customer = book["east1"]
    _history(customer, users)
    wanted = set(KINDS) if purchases_shown else {"points"}
    for kind, source in SOURCES.items():

        def build(cid: int, source: Any = source) -> Any:
            rows = source.rows(users["admin"], cid, wanted, True)
            return rows.order_by(f"-{source.time_field}", "-id")[:21]

        prepared = Prepared(build)
        for cid in (customer.pk, book["east2"].pk, 10**9):
            expected = [_state(o) for o in build(cid)]
            assert [_state(o) for o in prepared.rows(cid)] == expected, kind
            assert [_state(o) for o in prepared.rows(cid)] == expected, kind  # compiled once


def test_the_newest_page_reads_one_statement_per_source(users: dict, book: dict) -> None:
    customer = book["east1"]
    _history(customer, users)
    plain = card_timeline(viewer=users["rep_east1"], customer_id=customer.pk)
    prepared = card_timeline(viewer=users["rep_east1"], customer_id=customer.pk, in_scope=True)
    assert [(e.kind, e.obj.pk, e.actor, e.details) for e in prepared.entries] == [
        (e.kind, e.obj.pk, e.actor, e.details) for e in plain.entries
    ]
    with CaptureQueriesContext(connection) as captured:
        card_timeline(viewer=users["rep_east1"], customer_id=customer.pk, in_scope=True)
    # seven sources, the purchases' lines, the points of the page's purchases
    assert len(captured.captured_queries) == 9


def test_shapes_it_cannot_prepare_fall_back_to_the_queryset(book: dict) -> None:
    customer = book["east1"]
    names = Prepared(lambda cid: Customer.objects.filter(pk=cid).values_list("name", flat=True))
    assert names.rows(customer.pk) == [customer.name]
    fixed = Prepared(lambda cid: Customer.objects.filter(pk=customer.pk), fixed=True)
    assert [c.pk for c in fixed.rows(12345)] == [customer.pk]
    # A builder whose value does not reach the SQL as the marker is never run as compiled.
    lost = Prepared(lambda cid: Customer.objects.filter(name=str(cid)))
    assert lost.rows(customer.pk) == [] and lost._statement(connections["default"]) is None


@pytest.mark.parametrize("viewer", ["admin", "rep_east1", "mgr_east"])
def test_the_card_read_is_what_the_queryset_with_its_prefetches_gives(
    users: dict, book: dict, make_customer: Any, viewer: str
) -> None:
    rich = make_customer(
        "rep_east1", name="某公司", kind="company", phones="13800001111", tags="B, A, 老客户"
    )
    for name, primary in (("乙", False), ("甲", True)):
        contact_add(
            actor=users["rep_east1"],
            customer_id=rich.pk,
            data={"name": name, "is_primary": primary},
        )
    for customer in (rich, book["east1"]):
        expected = (
            Customer.objects.select_related("owner", "team")
            .prefetch_related("tags", "contact_points", "contacts")
            .get(pk=customer.pk)
        )
        found = customer_get(viewer=users[viewer], customer_id=customer.pk)
        assert _state(found) == _state(expected)
        assert [t.name for t in found.tags.all()] == [t.name for t in expected.tags.all()]
        with CaptureQueriesContext(connection) as captured:  # kept, as prefetched rows are
            list(found.tags.all()), list(found.contact_points.all()), list(found.contacts.all())
            [p.customer for p in found.contact_points.all()]
        assert captured.captured_queries == []
        assert found.tags.filter(name="A").count() == expected.tags.filter(name="A").count()
