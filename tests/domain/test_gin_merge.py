"""GIN entries of a large write merged in bulk (``core.gin_merge``), on PostgreSQL only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from tiercard.core import gin_merge
from tiercard.core.gin_merge import gin_indexes, merged_gin_entries
from tiercard.customers.models import Customer

pytestmark = pytest.mark.django_db(transaction=True)
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN")


def _one(sql: str, params: list[Any] | None = None) -> Any:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.fetchone()[0]


def _pending_pages() -> int:
    """Pages each GIN index of the customer table still had pending (merging them now)."""
    return sum(
        _one("SELECT gin_clean_pending_list(%s::regclass)", [name])
        for name in gin_indexes(Customer)
    )


def test_sqlite_has_nothing_to_merge() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with transaction.atomic(), merged_gin_entries(Customer) as gin:
        assert gin.indexes == []
        gin.wrote(10**6)  # nothing to merge, nothing run


@on_postgres
def test_the_customer_table_has_its_three_gin_indexes() -> None:
    assert gin_indexes(Customer) == sorted(
        ["customer_company_chars", "customer_name_chars", "customer_search_trgm"]
    )


@on_postgres
def test_entries_are_merged_before_leaving_and_the_setting_put_back(
    make_customer: Callable[..., Customer],
) -> None:
    _pending_pages()  # start from empty pending lists
    with transaction.atomic():
        default = _one("SELECT current_setting('gin_pending_list_limit')")
        with merged_gin_entries(Customer):
            assert _one("SELECT current_setting('gin_pending_list_limit')") == "256MB"
            make_customer(name="欧阳娜娜", phones=["13800138000"])
        assert _one("SELECT current_setting('gin_pending_list_limit')") == default
        assert _pending_pages() == 0
        # Without it the same write leaves its keys pending (the check above can fail).
        make_customer(name="司马相如", phones=["13800138001"])
        assert _pending_pages() > 0


@on_postgres
def test_rows_written_past_the_threshold_merge_midway(
    make_customer: Callable[..., Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gin_merge, "MERGE_EVERY_ROWS", 2)
    _pending_pages()
    with transaction.atomic(), merged_gin_entries(Customer) as gin:
        make_customer(name="诸葛亮")
        gin.wrote(1)
        assert gin.rows == 1
        make_customer(name="诸葛瞻")
        gin.wrote(1)
        assert gin.rows == 0
        assert _pending_pages() == 0  # both cards' keys merged at the second row


@on_postgres
def test_a_role_that_does_not_own_the_indexes_changes_nothing() -> None:
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("CREATE ROLE tiercard_reader NOLOGIN")
            cur.execute("SET LOCAL ROLE tiercard_reader")
        with merged_gin_entries(Customer) as gin:
            assert gin.indexes == []
            assert _one("SELECT current_setting('gin_pending_list_limit')") == "4MB"
        transaction.set_rollback(True)
