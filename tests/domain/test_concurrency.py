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
