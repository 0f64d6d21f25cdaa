"""Idempotency keys unique by a named constraint, without PostgreSQL's pattern-ops index.

Django gives a ``CharField(unique=True)`` on PostgreSQL a second index besides the unique one,
``..._like`` (``varchar_pattern_ops``), for ``LIKE 'prefix%'`` lookups. Nothing looks up an
idempotency key by prefix on a hot path, and every append-only ledger row (a growth entry per
purchase, a points entry, a benefit use, an outbox message) paid one more index insertion for
it: at a million customers the growth entries' copy alone was as large as their unique index.
The same uniqueness declared as a ``UniqueConstraint`` has no such companion.

``key_constraint_operations`` moves an existing field over without rebuilding anything: on
PostgreSQL the pattern-ops index is dropped and the field's unique constraint renamed; SQLite
has no pattern-ops index and keeps its column constraint (it cannot be renamed; Django's SQLite
backend never names it: it rebuilds the table from the model state when it changes one).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def _unique_constraint_of(cursor: Any, table: str, column: str) -> str | None:
    cursor.execute(
        "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a"
        " ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)"
        " WHERE c.conrelid = %s::regclass AND c.contype = 'u' AND a.attname = %s"
        " AND cardinality(c.conkey) = 1",
        [table, column],
    )
    found = cursor.fetchone()
    return found[0] if found else None


def key_constraint_operations(
    model: str, table: str, name: str
) -> list[migrations.operations.base.Operation]:
    """Operations moving ``key = CharField(max_length=120, unique=True)`` of ``model``
    (``"app.Model"``, table ``table``) to a ``UniqueConstraint`` called ``name``."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " WHERE x.indrelid = %s::regclass AND NOT x.indisunique"
                " AND pg_get_indexdef(x.indexrelid) LIKE %s",
                [table, "%(key varchar_pattern_ops)%"],
            )
            for (index,) in cursor.fetchall():
                cursor.execute(f"DROP INDEX {quote(index)}")
            old = _unique_constraint_of(cursor, table, "key")
            if old is not None and old != name:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(old)} TO {quote(name)}"
                )

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        with schema_editor.connection.cursor() as cursor:
            if _unique_constraint_of(cursor, table, "key") == name:
                default = quote(f"{table}_key_key")  # PostgreSQL's name for a column's UNIQUE
                cursor.execute(
                    f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(name)} TO {default}"
                )
            like = quote(f"{table}_key_like")
            cursor.execute(f"CREATE INDEX {like} ON {quote(table)} (key varchar_pattern_ops)")

    model_name = model.split(".")[1].lower()
    return [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=model_name, name="key", field=models.CharField(max_length=120)
                ),
                migrations.AddConstraint(
                    model_name=model_name,
                    constraint=models.UniqueConstraint(fields=["key"], name=name),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
