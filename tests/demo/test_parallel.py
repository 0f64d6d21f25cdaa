"""Loads big enough for generator processes, on whichever database the suite runs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count, Sum

from tiercard.customers.models import Customer
from tiercard.demo.load import load_demo
from tiercard.sales.models import Purchase

from .conftest import AS_OF


@pytest.mark.django_db(transaction=True)
def test_generator_processes_write_the_same_rows_as_one_process() -> None:
    # given a load by two generator processes, outside any transaction (COPY / ATTACH path)
    report = load_demo(customers=2100, purchases=3000, seed=4, as_of=AS_OF, workers=2)
    assert report.workers == 2
    parallel = summary()
    # when the same seed is generated in this process
    load_demo(customers=2100, purchases=3000, seed=4, as_of=AS_OF, workers=0, reset=True)
    # then the data is the same
    assert summary() == parallel
    assert parallel["customers"] == 2100
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_value FROM sales_purchase_id_seq")
            assert cursor.fetchone()[0] >= Purchase.objects.order_by("-id").first().pk


def summary() -> dict[str, object]:
    totals = Purchase.objects.aggregate(n=Count("id"), spend=Sum("total"))
    return {
        "customers": Customer.objects.count(),
        "names": list(Customer.objects.order_by("id").values_list("name", "total_spend")[:50]),
        "purchases": totals["n"],
        "spend": totals["spend"],
        "last": list(
            Purchase.objects.order_by("-id").values_list("customer__name", "occurred_at")[:50]
        ),
    }
