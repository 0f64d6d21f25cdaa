"""Multi-row INSERTs for the import's fast path, without the ORM's per-value compiling.

``bulk_create`` spends most of its time preparing each value of each row through the field
API; for a 100,000-row import that was most of the commit. These helpers convert values with
one precomputed converter per column (dates, times, decimals and JSON as the backend adapts
them; everything else as is) and send a few hundred rows per statement. Rows are given as
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
        return _pipelined(head + one + tail, converters, rows, returning=bool(tail))

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


def _pipelined(
    sql: str,
    converters: list[Callable[[Any], Any]],
    rows: Iterable[Sequence[Any]],
    *,
    returning: bool,
) -> list[int]:
    """PostgreSQL: one short statement sent for many rows (psycopg's pipelined
    ``executemany``). Its text is parsed once; a statement with thousands of placeholders was
    parsed anew each time, which cost more than the database's work."""
    ids: list[int] = []
    pending: list[list[Any]] = []

    def flush() -> None:
        if not pending:
            return
        with connection.cursor() as wrapper:
            raw = wrapper.cursor
            raw.executemany(sql, pending, returning=returning)
            if returning:
                for _result in raw.results():
                    ids.append(int(raw.fetchone()[0]))
        pending.clear()

    for row in rows:
        pending.append([conv(value) for conv, value in zip(converters, row, strict=True)])
        if len(pending) >= 2000:
            flush()
    flush()
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
