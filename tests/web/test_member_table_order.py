"""The member table's nine sorts checked against an order worked out here from the stored
values, not against the table's own output: each sort's value descending (the name's pinyin
ascending), the customer id breaking ties in the same direction, and customers without a
value (no purchase, no contact, no membership row yet) last, newest id first. Pages are read
through the web (forwards by the "next" link, back by "previous") and through the selector
with tiny pages, so every page boundary, tie and the valued/empty seam is crossed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tiercard.accounts.models import User
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.interactions.services import interaction_log
from tiercard.listviews import table
from tiercard.listviews.table import Cursor, TableView, table_page
from tiercard.loyalty.models import Membership
from tiercard.loyalty.services.checkout import purchase_record

pytestmark = pytest.mark.django_db

NAMES = ("张三", "李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十", "郑一", "冯二")
COUNT = 28  # more than one page of 25 in the web table
# Where each sort reads its value: a customer column or a membership column.
SOURCES = {
    "recent": "registered_on",
    "name": "name_pinyin",
    "spend": "total_spend",
    "orders": "order_count",
    "last_purchase": "last_purchase_at",
    "last_contact": "last_interaction_at",
    "points": "membership.points_balance",
    "win_spend": "membership.win_spend",
    "win_orders": "membership.win_orders",
}
ASCENDING = {"name"}  # every other sort puts the largest value first


@pytest.fixture
def crowd(make_customer: Callable[..., Customer], users: dict[str, User]) -> list[Customer]:
    """28 customers of rep_east1 with deliberate ties in every sort and some without values,
    plus a big customer of rep_east2 who must never show up in rep_east1's table."""
    at = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    today = business_today()
    foreign = make_customer("rep_east2", name="外人")
    _buy(users["rep_east2"], foreign, "9000.00", at, "f")
    made = []
    for i in range(COUNT):
        customer = make_customer(
            "rep_east1",
            name=NAMES[i % len(NAMES)],  # the same name (pinyin) three times
            registered_on=(today - dt.timedelta(days=i % 4)).isoformat(),
        )
        if i % 7 != 6:  # four never buy: no membership row, no last purchase
            for n in range(1 + i % 2):
                when = at - dt.timedelta(days=i % 5, hours=n)
                _buy(users["rep_east1"], customer, f"{(i % 3 + 1) * 100}.00", when, f"{i}-{n}")
        if i % 3 == 0:  # a third were contacted, at two shared moments
            interaction_log(
                actor=users["rep_east1"],
                customer_id=customer.pk,
                data={
                    "kind": "call",
                    "summary": "回访",
                    "occurred_at": at - dt.timedelta(days=i % 2),
                },
            )
        made.append(customer)
    return made


def _buy(actor: User, customer: Customer, amount: str, at: dt.datetime, ref: str) -> None:
    data = {
        "external_ref": f"order-{ref}",
        "occurred_at": at,
        "lines": [{"item_name": "茶", "unit_price": amount}],
    }
    purchase_record(actor=actor, customer_id=customer.pk, data=data)


def expected_order(sort: str, owner: User) -> list[int]:
    """The sort computed in Python from the stored values of the owner's customers."""
    field = SOURCES[sort]
    members = {m.customer_id: m for m in Membership.objects.all()}
    values: dict[int, Any] = {}
    for customer in Customer.objects.filter(owner=owner):
        if field.startswith("membership."):
            member = members.get(customer.pk)
            values[customer.pk] = getattr(member, field.split(".")[1]) if member else None
        else:
            values[customer.pk] = getattr(customer, field)
    valued = sorted(
        (pk for pk, value in values.items() if value is not None),
        key=lambda pk: (values[pk], pk),
        reverse=sort not in ASCENDING,
    )
    empty = sorted((pk for pk, value in values.items() if value is None), reverse=True)
    return valued + empty


def test_the_data_has_ties_and_empty_values_in_every_sort(
    crowd: list[Customer], users: dict[str, User]
) -> None:
    """Guards the other tests: an order without ties or empties would prove little."""
    owner = users["rep_east1"]
    for sort in table.SORTS:
        field = SOURCES[sort]
        assert table.SORTS[sort].value == field.replace(".", "__"), sort
        found = []
        for pk in expected_order(sort, owner):
            customer = Customer.objects.get(pk=pk)
            if field.startswith("membership."):
                member = Membership.objects.filter(pk=pk).first()
                found.append(getattr(member, field.split(".")[1]) if member else None)
            else:
                found.append(getattr(customer, field))
        valued = [v for v in found if v is not None]
        assert len(set(valued)) < len(valued), f"{sort}: no ties"
        if table.SORTS[sort].nullable:
            assert None in found, f"{sort}: nothing empty"


def _web_ids(client: Client, query: str) -> tuple[list[int], Any]:
    response = client.get("/customers/" + query)
    assert response.status_code == 200
    return [row.pk for row in response.context["rows"]], response.context["page"]


@pytest.mark.parametrize("sort", sorted(table.SORTS))
def test_each_sort_pages_in_the_order_computed_from_the_stored_values(
    sort: str,
    crowd: list[Customer],
    users: dict[str, User],
    login: Callable[[str], Client],
) -> None:
    owner = users["rep_east1"]
    expected = expected_order(sort, owner)
    assert len(expected) == COUNT

    # The web table: 25 a page, the second page by its "next" link, and back by "previous".
    client = login("rep_east1")
    first, page = _web_ids(client, f"?sort={sort}&per_page=25")
    assert first == expected[:25]
    assert page.next is not None and page.previous is None
    second, page = _web_ids(client, f"?sort={sort}&per_page=25&cursor={page.next.encode()}")
    assert second == expected[25:]
    assert page.next is None and page.previous is not None
    back, page = _web_ids(client, f"?sort={sort}&per_page=25&cursor={page.previous.encode()}")
    assert back == expected[:25]

    # The selector with pages of three: forwards to the end, then back to the start.
    view = TableView(sort=sort)
    forwards: list[list[int]] = []
    cursor: Cursor | None = None
    while True:
        got = table_page(owner, view, cursor, size=3)
        forwards.append([r.customer.pk for r in got.rows])
        if got.next is None:
            break
        cursor = Cursor.decode(got.next.encode(), sort)
    assert forwards == [expected[i : i + 3] for i in range(0, COUNT, 3)]
    backwards = [[r.customer.pk for r in got.rows]]
    while got.previous is not None:
        got = table_page(owner, view, Cursor.decode(got.previous.encode(), sort), size=3)
        backwards.insert(0, [r.customer.pk for r in got.rows])
    assert backwards == forwards
