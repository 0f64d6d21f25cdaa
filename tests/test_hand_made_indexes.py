"""Indexes created by hand in migrations (RunSQL) are still there after every migration ran.

Django's SQLite schema editor rebuilds a table for some changes (a NOT NULL column with a
default, a new foreign key) and the rebuilt table only gets the indexes the model declares:
the member table's sort indexes and the search indexes would vanish without an error, and
the pages depending on them would silently read the whole table."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _names(module: str, listed: str = "INDEXES") -> set[str]:
    return {index[0] for index in getattr(importlib.import_module(module), listed)}


DROPPED = _names("tiercard.listviews.migrations.0005_drop_plain_membership_sorts", "DROPPED")


def test_every_hand_made_index_exists() -> None:
    expected = (
        _names("tiercard.listviews.migrations.0002_member_table_sort_indexes")
        | _names("tiercard.listviews.migrations.0004_tier_sort_indexes")
        | {"table_city_recent"}
    ) - DROPPED
    if connection.vendor == "sqlite":
        expected |= {"customer_name", "customer_email"}
    else:
        expected |= {"customer_search_trgm", "customer_name_c", "customer_email_c"}
    with connection.cursor() as cur:
        tables = ["customers_customer", "loyalty_membership"]
        found: set[str] = set()
        for table in tables:
            found |= set(connection.introspection.get_constraints(cur, table))
    assert expected - found == set()


def test_the_membership_has_no_sort_index_over_every_tier() -> None:
    """Every index of a membership row is written again by each purchase, roll and review;
    the member table merges the per-tier ranges instead (listviews migration 0005)."""
    with connection.cursor() as cur:
        found = set(connection.introspection.get_constraints(cur, "loyalty_membership"))
    assert DROPPED & found == set()
    assert {"table_tier_points", "table_tier_win_spend", "table_tier_win_orders"} <= found
