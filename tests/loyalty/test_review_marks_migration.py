"""Loyalty migration 0009: pending ``review_due`` flags become review marks, and back; the
round trip keeps the membership table's triggers and hand-made indexes (SQLite rebuilds a
table for some column changes, and the rebuilt table has only what the model declares)."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from tests.loyalty.tiers_support import membership_triggers
from tests.migrations_support import migrate_to

BEFORE = [("loyalty", "0008_customer_tier_triggers")]
AFTER = [("loyalty", "0009_review_marks")]


def _hand_made() -> set[str]:
    """The triggers and hand-made indexes on loyalty_membership."""
    with connection.cursor() as cur:
        indexes = set(connection.introspection.get_constraints(cur, "loyalty_membership"))
    return membership_triggers() | indexes


EXPECTED = {"membership_tier_insert", "membership_tier_update", "membership_tier_delete"} | {
    entry[0]
    for module in ("0002_member_table_sort_indexes", "0004_tier_sort_indexes")
    for entry in importlib.import_module(f"tiercard.listviews.migrations.{module}").INDEXES
    if entry[1] == "loyalty_membership"
} - {"table_points", "table_win_spend", "table_win_orders"}  # dropped by listviews 0005


def _insert_membership(cur, customer_id: int, due: bool) -> None:
    cur.execute(
        "INSERT INTO loyalty_membership (customer_id, tier, tier_since, override_reason,"
        " ladder_version, win_spend, win_orders, win_max_order, win_growth, growth_total,"
        " points_balance, points_owed, review_due, updated_at)"
        " VALUES (%s, 'basic', %s, '', 1, 0, 0, 0, 0, 0, 0, 0, %s, %s)",
        [customer_id, "2026-06-01 00:00:00", due, "2026-06-01 00:00:00"],
    )


@pytest.mark.django_db(transaction=True)
def test_pending_flags_become_marks_and_marks_flags_again(book) -> None:
    due, idle = book["east1"].pk, book["east2"].pk
    assert EXPECTED - _hand_made() == set()
    try:
        migrate_to(BEFORE)
        assert EXPECTED - _hand_made() == set()
        with connection.cursor() as cur:
            _insert_membership(cur, due, True)
            _insert_membership(cur, idle, False)
        migrate_to(AFTER)
        with connection.cursor() as cur:
            cur.execute("SELECT customer_id FROM loyalty_reviewmark")
            assert cur.fetchall() == [(due,)]
        assert EXPECTED - _hand_made() == set()
        migrate_to(BEFORE)
        with connection.cursor() as cur:
            cur.execute("SELECT customer_id FROM loyalty_membership WHERE review_due")
            assert cur.fetchall() == [(due,)]
        assert EXPECTED - _hand_made() == set()
    finally:
        migrate_to(None)
    assert EXPECTED - _hand_made() == set()
