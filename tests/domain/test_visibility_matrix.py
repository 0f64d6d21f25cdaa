"""Row-level visibility: role × (list, detail, search, update, archive, purchase, interaction).

For every role, the ids a list returns are exactly the ids whose detail is allowed, search
never widens the scope, and every write on an id outside the scope is *not found* with
nothing changed.
"""

from __future__ import annotations

import pytest

from tiercard.audit.models import AuditEvent
from tiercard.core.errors import NotFound, PermissionDenied
from tiercard.customers.models import Customer
from tiercard.customers.selectors import (
    CustomerFilters,
    customer_get,
    customer_list,
    visible_customers,
)
from tiercard.customers.services import customer_archive, customer_update
from tiercard.interactions.models import Interaction
from tiercard.interactions.services import interaction_log
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.sales.models import Purchase

pytestmark = pytest.mark.django_db

# Which of the book's customers each role may see.
EXPECTED_SCOPE = {
    "admin": {"east1", "east2", "south"},
    "mgr_east": {"east1", "east2"},
    "mgr_south": {"south"},
    "rep_east1": {"east1"},
    "rep_east2": {"east2"},
    "rep_south": {"south"},
    "service": {"east1", "east2", "south"},
    "service_reveal": {"east1", "east2", "south"},
    "marketing": {"east1", "east2", "south"},
}
CAN_UPDATE = {"admin", "mgr_east", "mgr_south", "rep_east1", "rep_east2", "rep_south"}
CAN_ARCHIVE = {"admin", "mgr_east", "mgr_south"}
CAN_PURCHASE = CAN_UPDATE | {"service", "service_reveal"}
ROLES = sorted(EXPECTED_SCOPE)


def state():
    return (
        list(Customer.objects.order_by("pk").values_list("pk", "city", "status", "version")),
        AuditEvent.objects.count(),
        Purchase.objects.count(),
        Interaction.objects.count(),
    )


def keys_of(book, ids):
    by_id = {c.pk: key for key, c in book.items()}
    return {by_id[i] for i in ids}


@pytest.mark.parametrize("role", ROLES)
def test_list_equals_detail_equals_expected_scope(users, book, role):
    viewer = users[role]
    listed = set(customer_list(viewer=viewer).values_list("pk", flat=True))
    detail_ok = set()
    for customer in Customer.objects.all():
        try:
            customer_get(viewer=viewer, customer_id=customer.pk)
            detail_ok.add(customer.pk)
        except NotFound:
            pass
    assert listed == detail_ok
    assert keys_of(book, listed) == EXPECTED_SCOPE[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("query", ["张三", "王", "wangwu", "ww", "5670", "wangwu@example.com"])
def test_search_never_widens_the_scope(users, book, role, query):
    found = set(
        customer_list(viewer=users[role], filters=CustomerFilters(q=query)).values_list(
            "pk", flat=True
        )
    )
    assert found <= set(visible_customers(users[role]).values_list("pk", flat=True))


def test_search_finds_by_every_key(users, book):
    admin = users["admin"]

    def names(q):
        return set(
            customer_list(viewer=admin, filters=CustomerFilters(q=q)).values_list("name", flat=True)
        )

    assert names("三") == {"张三"}
    assert names("zhangsan") == {"张三"}
    assert names("zs") == {"张三"}
    assert names("ZS") == {"张三"}
    assert names("5670") == {"王五"}
    assert names("13712345670") == {"王五"}
    assert names("wangwu@example.com") == {"王五"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["east1", "east2", "south"])
def test_writes_respect_scope_and_rights(users, book, role, target):
    actor, customer = users[role], book[target]
    in_scope = target in EXPECTED_SCOPE[role]
    attempts = [
        (
            "update",
            CAN_UPDATE,
            lambda: customer_update(actor=actor, customer_id=customer.pk, data={"city": "苏州"}),
        ),
        (
            "purchase",
            CAN_PURCHASE,
            lambda: purchase_record(
                actor=actor,
                customer_id=customer.pk,
                data={"lines": [{"item_name": "茶", "quantity": 1, "unit_price": "10"}]},
            ),
        ),
        (
            "interaction",
            set(ROLES),
            lambda: interaction_log(
                actor=actor, customer_id=customer.pk, data={"kind": "call", "summary": "回访"}
            ),
        ),
        # archive last: an archived card takes no new purchases
        ("archive", CAN_ARCHIVE, lambda: customer_archive(actor=actor, customer_id=customer.pk)),
    ]
    for _name, allowed, attempt in attempts:
        before = state()
        if not in_scope:
            with pytest.raises(NotFound):
                attempt()
            assert state() == before
        elif role not in allowed:
            with pytest.raises(PermissionDenied):
                attempt()
            assert state() == before
        else:
            attempt()
            assert state() != before


def test_inactive_users_see_nothing(users, book):
    rep = users["admin"]
    rep.is_active = False
    rep.save()
    assert not customer_list(viewer=rep).exists()
    with pytest.raises(NotFound):
        customer_get(viewer=rep, customer_id=book["east1"].pk)


def test_manager_without_team_sees_only_own(users, book, make_customer):
    manager = users["mgr_east"]
    manager.team = None
    manager.save()
    own = make_customer("mgr_east", name="赵六")
    assert set(customer_list(viewer=manager).values_list("pk", flat=True)) == {own.pk}


def test_archived_customers_leave_lists_but_stay_reachable(users, book):
    customer_archive(actor=users["admin"], customer_id=book["east1"].pk)
    rep = users["rep_east1"]
    assert not customer_list(viewer=rep).filter(pk=book["east1"].pk).exists()
    assert customer_list(viewer=rep, filters=CustomerFilters(status="archived")).count() == 1
    assert customer_get(viewer=rep, customer_id=book["east1"].pk).status == "archived"


@pytest.mark.parametrize("bad_id", ["abc", None, "", -1, 10**12])
def test_garbage_ids_are_not_found(users, bad_id):
    with pytest.raises(NotFound):
        customer_get(viewer=users["admin"], customer_id=bad_id)


def test_customers_without_purchases_sort_last_on_every_database(users, book):
    from tiercard.loyalty.services.checkout import purchase_record

    purchase_record(
        actor=users["admin"],
        customer_id=book["south"].pk,
        data={"lines": [{"item_name": "茶", "unit_price": "5"}]},
    )
    ordered = list(
        customer_list(viewer=users["admin"], sort="last_purchase").values_list("pk", flat=True)
    )
    assert ordered[0] == book["south"].pk
    assert set(ordered[1:]) == {book["east1"].pk, book["east2"].pk}
