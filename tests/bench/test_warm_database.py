"""The benchmark reads the database into the page cache before timing (``child.warm_database``)."""

from __future__ import annotations

import pytest
from django.db import connection

from tiercard.bench.child import warm_database

pytestmark = pytest.mark.django_db


def _has_prewarm() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_prewarm'")
        return bool(cursor.fetchone()[0])


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_tables_are_read_through_pg_prewarm() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION IF EXISTS pg_prewarm")
    assert warm_database() >= 0
    assert _has_prewarm()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_without_the_right_to_install_it_nothing_is_warmed_and_nothing_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION IF EXISTS pg_prewarm")
        cursor.execute("CREATE ROLE tiercard_bench_plain NOLOGIN")
        cursor.execute("SET ROLE tiercard_bench_plain")
    try:
        warm_database()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert not _has_prewarm()
    assert "PostgreSQL not warmed" in capsys.readouterr().err
