"""The hot path's plain-SQL row helpers store and load exactly what the ORM does, and the
row-level scope test (``Scope.admits``) agrees with the scoping filter for every role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.core import rows
from tiercard.customers.models import Customer
from tiercard.customers.scope import scope_of
from tiercard.customers.selectors import visible_customer_row, visible_customers
from tiercard.loyalty.models import Membership
from tiercard.loyalty.services.state import MEMBERSHIP_FIELDS

pytestmark = pytest.mark.django_db


def test_insert_stores_what_the_orm_reads_back(
    users: dict[str, User], book: dict[str, Customer]
) -> None:
    event = AuditEvent(
        actor=users["admin"],
        actor_label="admin",
        action="create",
        object_type="x.y",
        object_id="7",
        customer_id=book["east1"].pk,
        changes={"total": "12.30", "lines": 2, "名": "张三"},
        note="备注",
    )
    rows.insert(event)
    assert event.pk is not None and not event._state.adding
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.changes == {"total": "12.30", "lines": 2, "名": "张三"}
    assert stored.actor_id == users["admin"].pk and stored.note == "备注"
    assert abs(stored.at - event.at) < dt.timedelta(microseconds=1)


def test_plain_columns_convert_as_the_fields_do(
    users: dict[str, User], book: dict[str, Customer]
) -> None:
    """The short conversion of plain columns gives what ``get_db_prep_save`` gives, value and
    type (psycopg's integer wrappers on PostgreSQL), for every column of the rows a purchase
    writes; a value of another type still goes through the field."""
    from django.db import connections

    from tiercard.loyalty.models import GrowthEntry, PointsEntry, PointsLot
    from tiercard.loyalty.services.checkout import purchase_record
    from tiercard.sales.models import Purchase, PurchaseLine

    db = connections["default"]
    recorded = purchase_record(
        actor=users["admin"],
        customer_id=book["east1"].pk,
        data={
            "external_ref": "RC-1",
            "lines": [{"sku": "T1", "item_name": "茶", "quantity": 2, "unit_price": "50"}],
        },
    )
    purchase = recorded.purchase
    written = [
        Purchase.objects.get(pk=purchase.pk),
        PurchaseLine.objects.filter(purchase=purchase).get(),
        AuditEvent.objects.filter(object_id=str(purchase.pk)).latest("pk"),
        GrowthEntry.objects.get(purchase=purchase),
        PointsEntry.objects.get(purchase=purchase),
        PointsLot.objects.get(entry__purchase=purchase),
        Membership.objects.get(customer=book["east1"]),
    ]
    short = 0
    for obj in written:
        _sql, columns, _returns = rows._insert_sql(type(obj), db, with_pk=True)
        for column in columns:
            expected = column.field.get_db_prep_save(column.field.pre_save(obj, False), db)
            got = column.value(obj, False, db)
            # (psycopg's JSON wrapper has no equality of its own: compare what it wraps)
            assert (_unwrapped(got), type(got)) == (_unwrapped(expected), type(expected)), (
                column.attname
            )
            short += column.exact is not None and type(getattr(obj, column.attname)) is column.exact
    assert short >= 45  # keys, counts, text, money, dates and times: most of a purchase's columns
    shortened = {c.attname for c in rows._insert_sql(Purchase, db)[1] if c.exact is not None}
    assert {"customer_id", "occurred_at", "total", "external_ref"} <= shortened
    entry = PointsEntry.objects.get(purchase=purchase)
    entry.points = "3"  # not an int: the field converts it
    (points,) = [c for c in rows._insert_sql(PointsEntry, db)[1] if c.attname == "points"]
    assert points.exact is int and points.value(entry, False, db) == 3


def test_values_the_field_would_change_still_go_through_it(book: dict[str, Customer]) -> None:
    """A naive datetime (Django makes it aware, with a warning) and a non-finite Decimal (the
    field refuses it) take the field's own way, not the short one."""
    import warnings

    from django.core.exceptions import ValidationError
    from django.db import connections

    from tiercard.sales.models import Purchase

    db = connections["default"]
    columns = {c.attname: c for c in rows._insert_sql(Purchase, db)[1]}
    purchase = Purchase(customer=book["east1"], occurred_at=dt.datetime(2026, 5, 1, 12, 0))  # noqa: DTZ001
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = columns["occurred_at"].value(purchase, True, db)
        expected = Purchase._meta.get_field("occurred_at").get_db_prep_save(
            dt.datetime(2026, 5, 1, 12, 0),  # noqa: DTZ001
            db,
        )
    assert got == expected and len(caught) == 2  # each conversion warned of the naive value
    purchase.total = Decimal("NaN")
    with pytest.raises(ValidationError):
        columns["total"].value(purchase, True, db)


def _unwrapped(value: object) -> object:
    return getattr(value, "obj", value)


def test_update_fields_writes_only_the_named_columns(book: dict[str, Customer]) -> None:
    row = Membership.objects.create(customer=book["east1"], tier="basic", ladder_version=1)
    Membership.objects.filter(pk=row.pk).update(points_balance=40)  # a concurrent change
    row.win_spend = Decimal("1234.56")
    row.last_purchase_on = dt.date(2026, 5, 1)
    assert rows.update_fields(row, ["win_spend", "last_purchase_on"]) == 1
    stored = Membership.objects.get(pk=row.pk)
    assert stored.win_spend == Decimal("1234.56")
    assert stored.last_purchase_on == dt.date(2026, 5, 1)
    assert stored.points_balance == 40  # not written back from the stale instance


def test_select_loads_what_only_loads(book: dict[str, Customer]) -> None:
    Membership.objects.create(
        customer=book["south"],
        tier="vip",
        ladder_version=1,
        win_spend=Decimal("99.90"),
        last_purchase_on=dt.date(2025, 12, 31),
        upgraded_at=timezone.now(),
    )
    fast = rows.select(Membership, book["south"].pk, MEMBERSHIP_FIELDS, lock=True)
    slow = Membership.objects.get(pk=book["south"].pk)
    assert fast is not None
    for name in MEMBERSHIP_FIELDS:
        attname = Membership._meta.get_field(name).attname  # type: ignore[union-attr]
        assert getattr(fast, attname) == getattr(slow, attname), name
    partial = rows.select(Customer, book["south"].pk, ["status", "name"])
    assert partial is not None and partial.name == "王五"
    assert partial.get_deferred_fields() >= {"birthday", "owner_id"}


def test_select_of_a_missing_or_impossible_id_is_none(book: dict[str, Customer]) -> None:
    assert rows.select(Customer, 10**9, ["name"]) is None
    assert rows.select(Customer, 10**20, ["name"]) is None  # beyond 64 bits: no row, no error


@pytest.mark.parametrize(
    "role", ["admin", "mgr_east", "mgr_south", "rep_east1", "rep_south", "service", "marketing"]
)
def test_row_scope_agrees_with_the_scoping_filter(
    role: str, users: dict[str, User], book: dict[str, Customer], make_customer
) -> None:
    make_customer("mgr_east", name="经理自己的客户")
    unowned = make_customer("admin", name="无负责人")
    Customer.objects.filter(pk=unowned.pk).update(owner=None, team=None)
    viewer = users[role]
    listed = set(visible_customers(viewer).values_list("pk", flat=True))
    for customer in Customer.objects.all():
        row = visible_customer_row(viewer, customer.pk, ["status"])
        assert (row is not None) == (customer.pk in listed), (role, customer.name)
        assert scope_of(viewer).admits(customer.owner_id, customer.team_id) == (
            customer.pk in listed
        )


def test_inactive_users_see_no_row(users: dict[str, User], book: dict[str, Customer]) -> None:
    admin = users["admin"]
    admin.is_active = False
    assert visible_customer_row(admin, book["east1"].pk, ["status"]) is None
    assert not visible_customers(admin).exists()
