"""The demo load: determinism, consistency of aggregates, refusal and reset."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count, Max, Min, Sum

from tiercard.accounts.models import Role, User
from tiercard.customers.models import Contact, ContactPoint, Customer, CustomerKind
from tiercard.customers.services import customer_create
from tiercard.demo.load import DemoDataExists, LoadReport, load_demo
from tiercard.demo.staff import DEMO_PASSWORD, DEMO_USERS
from tiercard.interactions.models import Interaction
from tiercard.sales.models import Purchase, PurchaseLine

from .conftest import AS_OF


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Everything the demo wrote, with ids made relative so that two loads compare."""
    first = Customer.objects.order_by("id").values_list("id", flat=True).first() or 0
    customers = [
        (
            row["id"] - first,
            *(v for k, v in sorted(row.items()) if k not in {"id", "owner_id"}),
            row["owner__username"],
        )
        for row in Customer.objects.order_by("id").values(
            *[f.attname for f in Customer._meta.concrete_fields if f.attname != "team_id"],
            "owner__username",
        )
    ]
    purchases = list(
        Purchase.objects.order_by("id").values_list(
            "customer__name", "occurred_at", "channel", "payment_method", "total", "store"
        )
    )
    lines = list(PurchaseLine.objects.order_by("id").values_list("sku", "quantity", "amount"))
    interactions = list(
        Interaction.objects.order_by("customer_id", "occurred_at", "summary").values_list(
            "customer__name", "kind", "occurred_at", "summary"
        )
    )
    points = list(
        ContactPoint.objects.order_by("customer_id", "kind", "normalized").values_list(
            "kind", "normalized"
        )
    )
    return {
        "customers": customers,
        "purchases": purchases,
        "lines": lines,
        "interactions": interactions,
        "points": points,
    }


def test_same_seed_gives_the_same_rows_and_another_seed_others(demo: LoadReport) -> None:
    # given a loaded demo (seed 7)
    first = snapshot()
    # when the same seed is loaded again after a reset
    load_demo(customers=300, purchases=2000, seed=7, as_of=AS_OF, reset=True)
    # then every row is the same
    assert snapshot() == first
    # and another seed gives other people and other purchases
    load_demo(customers=300, purchases=2000, seed=8, as_of=AS_OF, reset=True)
    other = snapshot()
    assert other["customers"] != first["customers"]
    assert other["purchases"] != first["purchases"]
    names = {row[-1] for row in first["customers"]}
    assert len(names) > 1  # owners are spread over the staff


def test_sizes_are_exact(demo: LoadReport) -> None:
    assert Customer.objects.count() == 300
    assert Purchase.objects.count() == 2000
    lines = PurchaseLine.objects.count()
    assert 2000 <= lines <= 6000
    assert demo.counts["lines"] == lines
    assert demo.counts["interactions"] == Interaction.objects.count()
    per_purchase = PurchaseLine.objects.values("purchase_id").annotate(n=Count("id"))
    assert {row["n"] for row in per_purchase} <= {1, 2, 3}


def test_customer_aggregates_equal_what_the_purchases_imply(demo: LoadReport) -> None:
    # given the demo, when the purchase and interaction tables are aggregated in SQL
    by_customer = {
        row["customer_id"]: row
        for row in Purchase.objects.values("customer_id").annotate(
            n=Count("id"), spend=Sum("total"), first=Min("occurred_at"), last=Max("occurred_at")
        )
    }
    contacted = dict(
        Interaction.objects.values("customer_id")
        .annotate(last=Max("occurred_at"))
        .values_list("customer_id", "last")
    )
    # then each customer's stored aggregates are exactly those
    assert len(by_customer) > 150
    for customer in Customer.objects.all():
        row = by_customer.get(customer.pk)
        if row is None:
            assert customer.order_count == 0
            assert customer.total_spend == Decimal("0.00")
            assert customer.first_purchase_at is None
            assert customer.last_purchase_at is None
        else:
            assert customer.order_count == row["n"]
            assert customer.total_spend == row["spend"].quantize(Decimal("0.01"))
            assert customer.first_purchase_at == row["first"]
            assert customer.last_purchase_at == row["last"]
        assert customer.last_interaction_at == contacted.get(customer.pk)


def test_purchase_totals_add_up_from_their_lines(demo: LoadReport) -> None:
    subtotals = dict(
        PurchaseLine.objects.values("purchase_id")
        .annotate(s=Sum("amount"))
        .values_list("purchase_id", "s")
    )
    discounted = 0
    for purchase in Purchase.objects.all():
        assert purchase.subtotal == subtotals[purchase.pk].quantize(Decimal("0.01"))
        assert purchase.total == purchase.subtotal - purchase.discount
        assert purchase.total >= 0
        discounted += purchase.discount > 0
    for line in PurchaseLine.objects.all()[:500]:
        assert line.amount == line.quantity * line.unit_price - line.discount
    assert discounted > 0


def test_times_are_in_the_past_and_after_registration(demo: LoadReport) -> None:
    end = dt.datetime.combine(AS_OF, dt.time(), tzinfo=dt.UTC)
    start = end - dt.timedelta(days=3 * 365 + 2)
    assert not Purchase.objects.filter(occurred_at__gte=end).exists()
    assert not Purchase.objects.filter(occurred_at__lt=start).exists()
    assert not Customer.objects.filter(registered_on__gt=AS_OF).exists()
    for customer in Customer.objects.exclude(first_purchase_at=None):
        assert customer.first_purchase_at >= customer.created_at
        assert customer.registered_on <= customer.first_purchase_at.date() + dt.timedelta(days=1)


def test_people_and_companies_spread_over_regions_owners_and_statuses(demo: LoadReport) -> None:
    kinds = dict(Customer.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds[CustomerKind.PERSON] > kinds[CustomerKind.COMPANY] > 20
    assert Customer.objects.values("city").distinct().count() > 15
    assert Customer.objects.values("status").distinct().count() >= 3
    owners = Customer.objects.exclude(owner=None).values("owner__role").distinct()
    assert {row["owner__role"] for row in owners} == {Role.SALES, Role.MANAGER}
    for customer in Customer.objects.exclude(owner=None).select_related("owner"):
        assert customer.team_id == customer.owner.team_id
    assert Contact.objects.filter(customer__kind=CustomerKind.PERSON).count() == 0
    assert (
        Contact.objects.filter(customer__kind=CustomerKind.COMPANY, is_primary=True).count()
        == (kinds[CustomerKind.COMPANY])
    )
    assert Customer.tags.through.objects.count() > 100


def test_spend_is_skewed_towards_a_few_customers(demo: LoadReport) -> None:
    spends = sorted(Customer.objects.values_list("total_spend", flat=True), reverse=True)
    top_tenth = sum(spends[: len(spends) // 10])
    assert top_tenth > Decimal("0.4") * sum(spends)
    assert Customer.objects.filter(order_count=0).count() > 10  # prospects


def test_double_eleven_is_the_busiest_day_of_the_year(demo: LoadReport) -> None:
    load_demo(customers=600, purchases=20000, seed=3, as_of=AS_OF, reset=True)
    per_day: dict[tuple[int, int], int] = {}
    for at in Purchase.objects.values_list("occurred_at", flat=True):
        local = at + dt.timedelta(hours=8)
        per_day[(local.month, local.day)] = per_day.get((local.month, local.day), 0) + 1
    busiest = max(per_day, key=lambda day: per_day[day])
    assert busiest == (11, 11)
    assert per_day[(11, 11)] > 4 * sum(per_day.values()) / len(per_day)


def test_demo_users_are_created_once_with_the_demo_password(demo: LoadReport) -> None:
    names = {u.username for u in DEMO_USERS}
    assert set(demo.created_users) == names
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    assert set(users) == names
    assert users["admin"].role == Role.ADMIN and users["admin"].is_superuser
    assert users["manager_north"].role == Role.MANAGER
    assert users["sales_south2"].team.name == "华南"
    assert users["service"].role == Role.SERVICE
    assert users["sales_east1"].check_password(DEMO_PASSWORD)
    # an existing user keeps the password someone gave it
    users["sales_east1"].set_password("another-long-password")
    users["sales_east1"].save()
    report = load_demo(customers=10, purchases=10, seed=1, as_of=AS_OF, reset=True)
    assert report.created_users == ()
    assert User.objects.filter(username__in=names).count() == len(names)
    assert User.objects.get(username="sales_east1").check_password("another-long-password")


def test_refuses_a_database_that_has_customers(demo: LoadReport) -> None:
    with pytest.raises(DemoDataExists) as refused:
        load_demo(customers=5, seed=1, as_of=AS_OF)
    assert refused.value.customers == 300
    assert Customer.objects.count() == 300


def test_refuses_real_customers_and_reset_replaces_them(db: None) -> None:
    # given a database with one customer entered by hand
    admin = User.objects.create_user("boss", password="x" * 12, role=Role.ADMIN)
    customer_create(actor=admin, data={"name": "真客户", "phones": "13800001111"})
    # when demo data is asked for, it is refused and nothing is written
    with pytest.raises(DemoDataExists):
        load_demo(customers=20, seed=1, as_of=AS_OF)
    assert list(Customer.objects.values_list("name", flat=True)) == ["真客户"]
    assert not Purchase.objects.exists()
    # with reset, the old customer is gone and the demo is there
    load_demo(customers=20, purchases=50, seed=1, as_of=AS_OF, reset=True)
    assert not Customer.objects.filter(name="真客户").exists()
    assert Customer.objects.count() == 20
    assert Purchase.objects.count() == 50
    assert User.objects.filter(username="boss").exists()


def test_reset_empties_everything_attached_to_customers(demo: LoadReport) -> None:
    load_demo(customers=0, purchases=0, seed=1, as_of=AS_OF, reset=True)
    for model in (Customer, Purchase, PurchaseLine, Interaction, Contact, ContactPoint):
        assert not model.objects.exists(), model
    assert not Customer.tags.through.objects.exists()


def test_ids_continue_after_a_reset(demo: LoadReport) -> None:
    highest = Customer.objects.aggregate(m=Max("id"))["m"]
    highest_purchase = Purchase.objects.aggregate(m=Max("id"))["m"]
    load_demo(customers=5, purchases=5, seed=1, as_of=AS_OF, reset=True)
    assert Customer.objects.aggregate(m=Min("id"))["m"] > highest
    assert Purchase.objects.aggregate(m=Min("id"))["m"] > highest_purchase


def test_negative_sizes_are_refused(db: None) -> None:
    with pytest.raises(ValueError, match="negative"):
        load_demo(customers=-1, seed=1)


def test_chunks_stay_small_when_few_customers_buy_a_lot() -> None:
    from tiercard.demo.plan import Plan, Staff

    staff = Staff(reps={}, managers={}, team_ids={}, user_team={}, service=(), marketing=())
    usual = Plan(1, 100_000, 1_000_000, AS_OF, "Asia/Shanghai", "sqlite", staff)
    heavy = Plan(1, 1_000, 1_000_000, AS_OF, "Asia/Shanghai", "sqlite", staff)
    assert usual.chunk_size == 2000
    assert heavy.chunk_size == 20
    assert heavy.chunk_purchases(0) == (0, 20_000)
    assert sum(b - a for a, b in map(heavy.chunk_purchases, range(heavy.chunk_count))) == 1_000_000
