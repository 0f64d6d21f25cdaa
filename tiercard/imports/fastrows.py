"""Multi-row INSERTs for the import's fast path, without the ORM's per-value compiling.

``bulk_create`` spends most of its time preparing each value of each row through the field
API; for a 100,000-row import that was most of the commit. These helpers convert values with
one precomputed converter per column (dates, times, decimals and JSON as the backend adapts
them; everything else as is) and send a few hundred rows per statement (SQLite) or stream
them with ``COPY`` (PostgreSQL). Rows are given as
column-value tuples (no model instances), in the column order the caller names. As with
``tiercard.core.rows``: no signals, no validation (the caller validated), inside the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models

MAX_PARAMS = 30_000  # under SQLite's 32,766 bound variables; PostgreSQL allows 65,535


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else ops.adapt_datefield_value(v)
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda v: None if v is None else ops.adapt_decimalfield_value(v, digits, places)
    if isinstance(field, models.JSONField):
        return lambda v: field.get_db_prep_save(v, connection)
    return lambda v: v


def insert_values(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    returning: bool = False,
) -> list[int]:
    """INSERT ``rows`` (values in ``columns`` order, attnames) into ``model``'s table; the new
    primary keys in row order when ``returning``."""
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    converters = [_converter(f) for f in fields]  # type: ignore[arg-type]
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 (model metadata only)
        quote(meta.db_table),
        ", ".join(quote(str(f.column)) for f in fields),  # type: ignore[union-attr]
    )
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, MAX_PARAMS // max(1, len(fields)))
    tail = f" RETURNING {quote(meta.pk.column)}" if returning and meta.pk is not None else ""
    ids: list[int] = []
    batch: list[Any] = []
    count = 0

    if connection.vendor == "postgresql":
        return _copied(model, fields, converters, rows, returning=bool(tail))

    def flush() -> None:
        nonlocal batch, count
        if not count:
            return
        with connection.cursor() as cur:
            cur.execute(head + ", ".join([one] * count) + tail, batch)
            if tail:
                ids.extend(int(r[0]) for r in cur.fetchall())
        batch, count = [], 0

    for row in rows:
        batch.extend(conv(value) for conv, value in zip(converters, row, strict=True))
        count += 1
        if count >= per_statement:
            flush()
    flush()
    return ids


def _copied(
    model: type[models.Model],
    fields: list[Any],
    converters: list[Callable[[Any], Any]],
    rows: Iterable[Sequence[Any]],
    *,
    returning: bool,
) -> list[int]:
    """PostgreSQL: ``COPY ... FROM STDIN`` (psycopg's ``cursor.copy``). Rows go as one stream,
    with no statement to parse, plan or execute per row; a pipelined ``executemany`` of the
    same rows spent more time in the protocol (binding, dumping, waiting) than in the table.
    The new primary keys, when wanted, are drawn from the table's sequence first (one
    statement) and written with the rows."""
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [str(f.column) for f in fields]
    ids: list[int] = []
    with connection.cursor() as wrapper, connection.wrap_database_errors:
        raw = wrapper.cursor
        if returning:
            assert meta.pk is not None
            rows = list(rows)
            raw.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [int(r[0]) for r in raw.fetchall()]
            columns.insert(0, str(meta.pk.column))
        sql = "COPY {} ({}) FROM STDIN".format(
            quote(meta.db_table), ", ".join(quote(c) for c in columns)
        )
        with raw.copy(sql) as copy:
            if returning:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row(
                        [pk, *(conv(value) for conv, value in zip(converters, row, strict=True))]
                    )
            else:
                for row in rows:
                    copy.write_row(
                        [conv(value) for conv, value in zip(converters, row, strict=True)]
                    )
    return ids


def insert_objects(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """INSERT unsaved instances (every concrete column but the auto primary key) and set their
    primary keys, as ``bulk_create`` would."""
    meta = model._meta
    names = [f.attname for f in meta.concrete_fields if f is not meta.pk]
    ids = insert_values(
        model, names, ([getattr(obj, n) for n in names] for obj in objs), returning=True
    )
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
