"""Loyalty migration 0009: pending ``review_due`` flags become review marks, and back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("loyalty", "0008_customer_tier_triggers")]
AFTER = [("loyalty", "0009_review_marks")]


def _migrate(target: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


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
    try:
        _migrate(BEFORE)
        with connection.cursor() as cur:
            _insert_membership(cur, due, True)
            _insert_membership(cur, idle, False)
        _migrate(AFTER)
        with connection.cursor() as cur:
            cur.execute("SELECT customer_id FROM loyalty_reviewmark")
            assert cur.fetchall() == [(due,)]
        _migrate(BEFORE)
        with connection.cursor() as cur:
            cur.execute("SELECT customer_id FROM loyalty_membership WHERE review_due")
            assert cur.fetchall() == [(due,)]
    finally:
        _migrate(AFTER)
