"""Tables a purchase writes carry no index that another index already covers, and lookups by
customer still have an index leading with the customer."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

TABLES = ("sales_purchase", "loyalty_growthentry", "loyalty_pointsentry", "loyalty_tierchange")


@pytest.mark.parametrize("table", TABLES)
def test_customer_is_indexed_once_by_a_composite_index(table: str) -> None:
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, table)
    indexes = [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]
    assert ["customer_id"] not in indexes
    assert any(cols[0] == "customer_id" and len(cols) > 1 for cols in indexes), indexes
