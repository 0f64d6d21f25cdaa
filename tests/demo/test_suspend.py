"""Big loads set indexes (and PostgreSQL foreign keys) aside and always put them back."""

from __future__ import annotations

import pytest
from django.db import connection

from tiercard.core import suspend
from tiercard.customers.models import Customer
from tiercard.demo import writer
from tiercard.demo.load import load_demo
from tiercard.demo.tables import resolve_tables

from .conftest import AS_OF


def schema() -> set[tuple[str, ...]]:
    """Index and foreign-key definitions of the demo tables."""
    tables = [t.db_table for t in resolve_tables(connection)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                [tables],
            )
            found = set(cursor.fetchall())
            cursor.execute(
                "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = ANY(%s)",
                [tables],
            )
            return found | set(cursor.fetchall())
        marks = ", ".join(["%s"] * len(tables))
        cursor.execute(
            f"SELECT tbl_name, name, sql FROM sqlite_master "  # noqa: S608
            f"WHERE type = 'index' AND tbl_name IN ({marks})",
            tables,
        )
        return set(cursor.fetchall())


def test_a_load_that_sets_indexes_aside_puts_them_back(db: None) -> None:
    before = schema()
    assert len(before) > 20
    load_demo(customers=60, purchases=200, seed=1, as_of=AS_OF, suspend_indexes=True)
    assert schema() == before
    assert Customer.objects.count() == 60


def test_a_failing_load_puts_them_back_too(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    before = schema()

    def broken(self: object, chunk: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer.SqliteWriter, "write", broken)
    monkeypatch.setattr(writer.PostgresWriter, "write", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        load_demo(customers=60, purchases=200, seed=1, as_of=AS_OF, suspend_indexes=True)
    assert schema() == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps a bookkeeping table")
def test_indexes_of_an_interrupted_sqlite_load_come_back_with_the_next_load(db: None) -> None:
    before = schema()
    # given a load that was killed after setting the indexes aside
    dropped = suspend.suspend(t.db_table for t in resolve_tables(connection))
    assert dropped
    assert schema() < before
    # when the next load starts, they are recreated first
    load_demo(customers=5, purchases=5, seed=1, as_of=AS_OF)
    assert schema() == before
    assert suspend.restore_suspended() == 0
