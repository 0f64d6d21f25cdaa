"""The same purchase sent by several clients at once is recorded once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from tests.api.conftest import ApiClient
from tiercard.customers.models import Customer
from tiercard.sales.models import Purchase

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def test_concurrent_idempotent_posts_record_one_purchase(
    book: dict[str, Customer], api: Callable[..., ApiClient]
) -> None:
    customer = book["east1"]
    clients = [api("rep_east1") for _ in range(THREADS)]
    body = {"lines": [{"item_name": "茶", "unit_price": "88.80"}]}
    barrier = threading.Barrier(THREADS)
    responses: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(client: ApiClient) -> None:
        try:
            barrier.wait()
            response = client.post(
                f"/customers/{customer.pk}/purchases", body, **{"Idempotency-Key": "RACE-1"}
            )
            with lock:
                responses.append(response)
        except BaseException as exc:  # collected and asserted below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (THREADS - 1) + [201], [r.content for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Purchase.objects.filter(external_ref="RACE-1").count() == 1
    customer.refresh_from_db()
    assert customer.order_count == 1
    assert customer.total_spend == Decimal("88.80")
