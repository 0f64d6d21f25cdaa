"""Set secondary indexes (and, on PostgreSQL, foreign keys) aside during a bulk load.

Maintaining a dozen random-order indexes row by row costs more than building them once from
sorted data, and PostgreSQL checks every foreign key of every copied row with a query of its
own. For a big load the loader (and the loyalty derivation after it) therefore drops them and
recreates them from their exact definitions afterwards:

- PostgreSQL: inside the load's single transaction, so a failed or interrupted load rolls the
  definitions back with the data.
- SQLite: chunks commit one by one, so the definitions are first saved in a small bookkeeping
  table; :func:`restore_suspended` recreates whatever it lists (also after a crash; the loader
  calls it before every load) and then removes it.

Unique indexes and primary keys stay: they guard the data while it is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

BOOKKEEPING = "tiercard_demo_suspended"


@dataclass(frozen=True)
class Suspended:
    kind: str  # "index" or "fk"
    table: str
    name: str
    definition: str  # CREATE INDEX … / the constraint clause


def suspend(tables: Iterable[str]) -> list[Suspended]:
    """Drop the non-unique indexes (and PostgreSQL foreign keys) of ``tables``."""
    names = list(tables)
    if connection.vendor == "postgresql":
        return _suspend_postgres(names)
    return _suspend_sqlite(names)


def restore(items: Iterable[Suspended]) -> None:
    """Recreate what :func:`suspend` dropped (indexes first, then foreign keys)."""
    ordered = sorted(items, key=lambda s: s.kind != "index")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")  # sorts stay in memory
        for item in ordered:
            if item.kind == "index":
                cursor.execute(item.definition)
            else:
                cursor.execute(
                    f"ALTER TABLE {quote(item.table)} ADD CONSTRAINT {quote(item.name)} "
                    f"{item.definition}"
                )


def _suspend_postgres(tables: list[str]) -> list[Suspended]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid "
            "WHERE c.contype = 'f' AND t.relname = ANY(%s) AND t.relnamespace = "
            "current_schema()::regnamespace ORDER BY 1, 2",
            [tables],
        )
        fks = [Suspended("fk", t, n, d) for t, n, d in cursor.fetchall()]
        cursor.execute(
            "SELECT t.relname, i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary "
            "AND t.relnamespace = current_schema()::regnamespace ORDER BY 1, 2",
            [tables],
        )
        indexes = [Suspended("index", t, n, d) for t, n, d in cursor.fetchall()]
        for fk in fks:
            cursor.execute(f"ALTER TABLE {quote(fk.table)} DROP CONSTRAINT {quote(fk.name)}")
        for index in indexes:
            cursor.execute(f"DROP INDEX {quote(index.name)}")
    return fks + indexes


def _suspend_sqlite(tables: list[str]) -> list[Suspended]:
    marks = ", ".join(["%s"] * len(tables))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "  # noqa: S608
            f"AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY 1, 2",
            tables,
        )
        indexes = [
            Suspended("index", t, n, sql)
            for t, n, sql in cursor.fetchall()
            if not sql.lstrip().upper().startswith("CREATE UNIQUE")
        ]
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BOOKKEEPING} (name TEXT PRIMARY KEY, definition TEXT)"
        )
        for index in indexes:
            cursor.execute(
                f"INSERT OR REPLACE INTO {BOOKKEEPING} VALUES (%s, %s)",  # noqa: S608
                [index.name, index.definition],
            )
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(index.name)}")
    return indexes


def restore_suspended() -> int:
    """SQLite: recreate indexes a previous (possibly interrupted) load set aside."""
    if connection.vendor != "sqlite":
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [BOOKKEEPING]
        )
        if cursor.fetchone() is None:
            return 0
        cursor.execute(f"SELECT name, definition FROM {BOOKKEEPING} ORDER BY name")  # noqa: S608
        rows = cursor.fetchall()
        for name, definition in rows:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(definition)
        cursor.execute(f"DROP TABLE {BOOKKEEPING}")
    return len(rows)
