"""Planner statistics are refreshed when missing or stale, and only then (SQLite)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from tiercard.demo.load import load_demo
from tiercard.loyalty.models import Membership
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.services.statistics import refresh_if_stale
from tiercard.loyalty.services.window import memberships_ensure

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's autovacuum analyzes")
def test_missing_statistics_are_built_once_then_kept_until_the_table_grows():
    load_demo(customers=1200, purchases=1200, seed=3, as_of=dt.date(2026, 6, 30))
    memberships_ensure(active_programme())
    assert Membership.objects.count() == 1200

    first, second = refresh_if_stale(), refresh_if_stale()

    assert (first, second) == (True, False)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'loyalty_membership'")
        assert cur.fetchone()[0] >= 1  # statistics now exist for the table's indexes
