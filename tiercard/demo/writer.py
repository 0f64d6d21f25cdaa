"""Bulk database writes for the demo: plain ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

The demo is the only code that writes customer data around the services: it inserts millions
of rows that the services would write one by one, with every derived column (pinyin, search
text, phone tail, purchase totals) computed the way the services compute it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any, Self

from django.core.management.color import no_style
from django.db import connection, models, transaction

from tiercard.customers.models import Customer
from tiercard.demo.records import ChunkRows, Row
from tiercard.demo.tables import Table

Encoded = dict[str, bytes]  # table key → COPY text


def backend() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def copy_value(value: object) -> str:
    """One value in PostgreSQL's COPY text format (the demo's texts hold no tabs/newlines)."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def copy_suffix(table: Table) -> str:
    return "".join("\t" + copy_value(v) for v in table.extra_values)


def encode_copy(rows: list[Row], suffix: str) -> bytes:
    """Rows as COPY text (``None`` as ``\\N``; the generator's texts need no escaping)."""
    null = r"\N"
    end = suffix + "\n"
    return "".join(
        ["\t".join([null if v is None else str(v) for v in row]) + end for row in rows]
    ).encode()


def encode_chunk(chunk: ChunkRows, tables: Iterable[Table], suffixes: dict[str, str]) -> Encoded:
    return {t.key: encode_copy(getattr(chunk, t.key), suffixes[t.key]) for t in tables}


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(connection.ops.quote_name(n) for n in names)


class SqliteWriter:
    def __init__(self, tables: tuple[Table, ...]) -> None:
        self.tables = tables
        self.sql = {
            t.key: (
                f"INSERT INTO {connection.ops.quote_name(t.db_table)} ({_quoted(t.all_columns)}) "  # noqa: S608
                f"VALUES ({', '.join('?' * len(t.all_columns))})"
            )
            for t in tables
        }

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, chunk: ChunkRows) -> None:
        connection.ensure_connection()
        raw = connection.connection
        with transaction.atomic():
            for t in self.tables:
                rows: list[Any] = getattr(chunk, t.key)
                if t.extra_values:
                    rows = [row + t.extra_values for row in rows]
                raw.executemany(self.sql[t.key], rows)


CHUNK_SCHEMA = "demo_chunk"


def pack_sqlite(chunk: ChunkRows, tables: Iterable[Table]) -> bytes:
    """A chunk as a serialised in-memory SQLite database (built in a generator process).

    Binding millions of Python values is the slow part of an SQLite insert; doing it in the
    generator processes, in parallel, leaves the writer a plain ``INSERT … SELECT`` in C.
    """
    db = sqlite3.connect(":memory:")
    try:
        for t in tables:
            columns = ", ".join(f'"{c}"' for c in t.columns)
            db.execute(f'CREATE TABLE "{t.key}" ({columns})')
            marks = ", ".join("?" * len(t.columns))
            sql = f'INSERT INTO "{t.key}" VALUES ({marks})'  # noqa: S608 - our own table names
            db.executemany(sql, getattr(chunk, t.key))
        db.commit()
        return db.serialize()
    finally:
        db.close()


class SqliteAttachWriter:
    """Copies packed chunks into the main database; must run outside a transaction."""

    def __init__(self, tables: tuple[Table, ...]) -> None:
        self.tables = tables
        self.sql = {}
        for t in tables:
            extra = ", ?" * len(t.extra_columns)
            self.sql[t.key] = (
                f"INSERT INTO main.{connection.ops.quote_name(t.db_table)} "  # noqa: S608
                f"({_quoted(t.all_columns)}) SELECT {_quoted(t.columns)}{extra} "
                f'FROM {CHUNK_SCHEMA}."{t.key}"'
            )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, packed: bytes) -> None:
        connection.ensure_connection()
        raw = connection.connection
        # A fresh attachment per chunk: deserialising over an attached database that was
        # already read leaves SQLite reading stale pages.
        raw.execute(f"ATTACH DATABASE ':memory:' AS {CHUNK_SCHEMA}")
        try:
            raw.deserialize(packed, name=CHUNK_SCHEMA)
            with transaction.atomic():
                for t in self.tables:
                    raw.execute(self.sql[t.key], t.extra_values)
        finally:
            raw.execute(f"DETACH DATABASE {CHUNK_SCHEMA}")


class PostgresWriter:
    def __init__(self, tables: tuple[Table, ...]) -> None:
        self.tables = tables
        self.sql = {
            t.key: f"COPY {connection.ops.quote_name(t.db_table)} ({_quoted(t.all_columns)}) "
            "FROM STDIN"
            for t in tables
        }

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, chunk: Encoded) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor
            for t in self.tables:
                data = chunk[t.key]
                if data:
                    with raw.copy(self.sql[t.key]) as copy:
                        copy.write(data)


def next_id(model: type[models.Model]) -> int:
    """The first id a bulk insert may use: above every id the table has ever handed out."""
    table = model._meta.db_table
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")  # noqa: S608 - model table
        highest = cursor.fetchone()[0]
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
            return max(int(cursor.fetchone()[0]), highest + 1)
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
        return max(int(cursor.fetchone()[0]), highest) + 1


def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
    """After explicit ids: move PostgreSQL's sequences past them (SQLite does it itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def analyze(models_: Iterable[type[models.Model]]) -> None:
    """Refresh the planner's statistics of the loaded tables (bounded work on SQLite)."""
    names = [connection.ops.quote_name(m._meta.db_table) for m in models_]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM too: it marks the new pages all-visible, so covering indexes are read
            # without visiting the table (autovacuum would get there, later).
            # (Inside a transaction, as in tests, VACUUM cannot run: ANALYZE alone.)
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            cursor.execute(f"{verb} {', '.join(names)}")
        else:
            cursor.execute("PRAGMA analysis_limit=1000")
            for name in names:
                cursor.execute(f"ANALYZE {name}")


def customer_data_models() -> list[type[models.Model]]:
    """Customer and every model that hangs off it, children before parents.

    Found through the model graph, so tables that other apps add later (a points ledger, a
    campaign participation) are emptied by ``--reset`` too.
    """
    found: list[type[models.Model]] = [Customer]
    i = 0
    while i < len(found):
        model = found[i]
        i += 1
        # include_hidden: relations declared with related_name="+" (ledgers, history) count too.
        for rel in model._meta.get_fields(include_hidden=True):
            if not (rel.auto_created and not rel.concrete and rel.is_relation):
                continue
            related = rel.related_model
            if isinstance(related, type) and related not in found:
                found.append(related)
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            if isinstance(through, type) and through not in found:
                found.append(through)
    ordered: list[type[models.Model]] = []
    remaining = list(found)
    while remaining:
        for model in remaining:
            referenced_by_remaining = any(
                other is not model
                and any(
                    f.is_relation and f.related_model is model for f in other._meta.concrete_fields
                )
                for other in remaining
            )
            if not referenced_by_remaining:
                ordered.append(model)
                remaining.remove(model)
                break
        else:  # a cycle between different models: delete the rest in discovery order, deepest first
            ordered.extend(reversed(remaining))
            break
    return ordered


def delete_customer_data() -> None:
    """Empty the customer tables (and everything depending on them) in one transaction."""
    models_ = customer_data_models()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = _quoted(m._meta.db_table for m in models_)
            # Deferred foreign-key checks of rows written earlier in the same transaction
            # would block TRUNCATE; run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables}")
        else:
            for model in models_:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
