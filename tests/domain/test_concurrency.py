"""Concurrent purchase recording never double-counts or loses updates (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from tiercard.loyalty.services.checkout import purchase_record
from tiercard.sales.models import Purchase

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def run_concurrently(fn: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(THREADS)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait()
            value = fn(i)
            with lock:
                results.append(value)
        except BaseException as exc:  # collected and asserted below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_concurrent_replays_of_one_reference_record_one_purchase(users, book):
    customer, rep = book["east1"], users["rep_east1"]
    data = {"external_ref": "POS-RACE", "lines": [{"item_name": "茶", "unit_price": "88.80"}]}

    results, errors = run_concurrently(
        lambda _i: purchase_record(actor=rep, customer_id=customer.pk, data=data)
    )

    assert errors == []
    assert len({r.purchase.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert Purchase.objects.filter(external_ref="POS-RACE").count() == 1
    customer.refresh_from_db()
    assert customer.order_count == 1 and customer.total_spend == Decimal("88.80")


def test_concurrent_distinct_purchases_are_all_counted(users, book):
    customer, rep = book["east1"], users["rep_east1"]

    results, errors = run_concurrently(
        lambda i: purchase_record(
            actor=rep,
            customer_id=customer.pk,
            data={
                "external_ref": f"POS-{i}",
                "lines": [{"item_name": "茶", "unit_price": "10.01"}],
            },
        )
    )

    assert errors == [] and len(results) == THREADS
    customer.refresh_from_db()
    assert customer.order_count == THREADS
    assert customer.total_spend == Decimal("10.01") * THREADS


def test_100_concurrent_calls_with_one_reference_record_one_purchase_and_one_return(users, book):
    """The issue's "100 concurrent requests with one idempotency key create exactly one entry",
    on the purchase and return paths (40 at a time: the test server allows 50 connections)."""
    from tests.loyalty.threads_support import in_threads
    from tiercard.loyalty.models import GrowthEntry, Membership, PointsEntry
    from tiercard.loyalty.services.checkout import purchase_return
    from tiercard.loyalty.services.state import active_programme
    from tiercard.sales.models import PurchaseReturn

    active_programme()  # a flushed database lost the migration's programme: reinstalled
    customer, rep = book["east1"], users["rep_east1"]
    data = {"external_ref": "POS-100", "lines": [{"item_name": "茶", "unit_price": "200.00"}]}

    bought, failed = in_threads(
        100, lambda _i: purchase_record(actor=rep, customer_id=customer.pk, data=data), workers=40
    )

    assert failed == [] and sum(r.created for r in bought) == 1
    purchase = Purchase.objects.get(external_ref="POS-100")
    assert PointsEntry.objects.filter(purchase=purchase).count() == 1
    assert GrowthEntry.objects.filter(customer_id=customer.pk).count() == 1
    back = {"amount": "50.00", "external_ref": "RT-100"}

    returned, failed = in_threads(
        100, lambda _i: purchase_return(actor=rep, purchase_id=purchase.pk, data=back), workers=40
    )

    assert failed == [] and sum(r.created for r in returned) == 1
    assert PurchaseReturn.objects.filter(purchase=purchase).count() == 1
    row = Membership.objects.get(pk=customer.pk)
    earned = PointsEntry.objects.get(key=f"purchase:{purchase.pk}:earn").points
    assert row.points_balance == earned - earned // 4  # a quarter of the purchase returned
    customer.refresh_from_db()
    assert customer.order_count == 1 and customer.total_spend == Decimal("150.00")
