"""Set-based INSERTs for bulk paths (thousands of new rows), without the ORM's per-value work.

``bulk_create`` spends most of its time preparing each value of each row through the field
API; for a 100,000-row import that was most of the commit. These helpers convert only the
values the backend cannot take as they are (one precomputed converter per column: JSON
always; dates, times and decimals on SQLite) and send the rows set-based:

- SQLite: multi-row ``INSERT ... VALUES`` of up to ``MAX_PARAMS`` values each;
- PostgreSQL: ``COPY ... FROM STDIN`` (psycopg's ``cursor.copy``), one stream per call, with
  no statement to parse, plan and execute per row. New primary keys, when wanted, are drawn
  from the table's sequence first (one statement) and written with the rows.

Rows are given as column-value sequences (no model instances) in the column order the caller
names. As with ``tiercard.core.rows``: no signals, no validation (the caller validated), inside
the caller's transaction. Database errors surface as Django's (``IntegrityError`` ...).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connection, models

MAX_PARAMS = 30_000  # under SQLite's 32,766 bound variables
Converter = Callable[[Any], Any]
M = TypeVar("M", bound=models.Model)


def _converter(field: Any) -> Converter | None:
    """How a value of ``field`` is sent, or None when it goes as it is."""
    if isinstance(field, models.JSONField):
        # What the field's own preparation sends on both backends (``json.dumps`` with the
        # field's encoder; None stays SQL NULL), without its per-value detours.
        encoder = field.encoder
        return lambda v: None if v is None else json.dumps(v, cls=encoder)
    if connection.vendor == "postgresql":
        return None  # psycopg adapts dates, times and decimals itself (as Django does there)
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return _same_as_last(ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        return _same_as_last(ops.adapt_datefield_value)
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return _same_as_last(lambda v: ops.adapt_decimalfield_value(v, digits, places))
    return None


def _same_as_last(adapt: Converter) -> Converter:
    """``adapt`` for an immutable value (None passes), reusing the last result when the value
    is the very same object: bulk rows share their timestamps and defaults."""
    last: list[Any] = [None, None]

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if value is not last[0]:
            last[0], last[1] = value, adapt(value)
        return last[1]

    return convert


def _converted(converters: list[Converter | None]) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """A function that returns a row with its values converted (the row itself if none are)."""
    todo = [(i, conv) for i, conv in enumerate(converters) if conv is not None]
    width = len(converters)

    def convert(row: Sequence[Any]) -> Sequence[Any]:
        if len(row) != width:
            raise ValueError(f"expected {width} values, got {len(row)}")
        if not todo:
            return row
        out = list(row)
        for i, conv in todo:
            out[i] = conv(out[i])
        return out

    return convert


def insert_values(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    returning: bool = False,
    count: int | None = None,
) -> list[int]:
    """INSERT ``rows`` (values in ``columns`` order, attnames) into ``model``'s table; the new
    primary keys in row order when ``returning``. ``count``, the number of rows when known,
    lets PostgreSQL take them as they come (the database indexes a row while the next one
    is made) instead of gathering them first to draw their keys."""
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    convert = _converted([_converter(f) for f in fields])
    names = [str(f.column) for f in fields]  # type: ignore[union-attr]
    if connection.vendor == "postgresql":
        # COPY: a pipelined ``executemany`` of the same rows spent more time in the protocol
        # (binding, dumping, waiting per row) than the table did.
        with _copy_open(model, names, convert, rows, returning=returning, count=count) as copied:
            return copied
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 (model metadata only)
        quote(meta.db_table), ", ".join(quote(c) for c in names)
    )
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, MAX_PARAMS // max(1, len(fields)))
    tail = f" RETURNING {quote(meta.pk.column)}" if returning and meta.pk is not None else ""
    ids: list[int] = []
    batch: list[Any] = []
    count = 0

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
        batch.extend(convert(row))
        count += 1
        if count >= per_statement:
            flush()
    flush()
    return ids


@contextmanager
def _copy_open(
    model: type[models.Model],
    columns: list[str],
    convert: Callable[[Sequence[Any]], Sequence[Any]],
    rows: Iterable[Sequence[Any]],
    *,
    returning: bool,
    count: int | None,
) -> Iterator[list[int]]:
    """Send every row of a COPY, yield the new keys, and complete the COPY (waiting for the
    database to have taken every row) when the block ends. The rows are flushed to the
    socket as they are made, so the database works through them during the block; only the
    last buffer (32 KiB) waits for the end."""
    from psycopg.copy import LibpqWriter  # PostgreSQL only

    meta = model._meta
    quote = connection.ops.quote_name
    ids: list[int] = []
    with connection.cursor() as wrapper, connection.wrap_database_errors:
        raw = wrapper.cursor
        if returning:
            assert meta.pk is not None
            if count is None:
                rows = list(rows)
                count = len(rows)
            raw.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, count],
            )
            ids = [int(r[0]) for r in raw.fetchall()]
            columns = [str(meta.pk.column), *columns]
        sql = "COPY {} ({}) FROM STDIN".format(
            quote(meta.db_table), ", ".join(quote(c) for c in columns)
        )
        with raw.copy(sql, writer=LibpqWriter(raw, flush_threshold=0)) as copy:
            if returning:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row([pk, *convert(row)])
            else:
                for row in rows:
                    copy.write_row(convert(row))
            yield ids


def insert_objects(
    model: type[models.Model],
    objs: Sequence[M],
    *,
    before: Callable[[M], object] | None = None,
) -> None:
    """INSERT unsaved instances (every concrete column but the auto primary key) and set their
    primary keys, as ``bulk_create`` would. ``before(obj)``, when given, runs just before an
    instance's values are read (to fill derived columns while the database works)."""
    with inserting_objects(model, objs, before=before):
        pass


@contextmanager
def inserting_objects(
    model: type[models.Model],
    objs: Sequence[M],
    *,
    before: Callable[[M], object] | None = None,
) -> Iterator[None]:
    """``insert_objects`` around a block of work that needs no database: the instances are
    sent (primary keys set) before the block runs; on PostgreSQL the COPY is completed after
    it, so the database stores the rows while the block computes. A statement inside the
    block raises RuntimeError (the connection is busy with the COPY until the block ends).
    Not atomic by itself: run it inside the caller's transaction, whose rollback undoes the
    rows when the block raises."""
    meta = model._meta
    names = [f.attname for f in meta.concrete_fields if f is not meta.pk]

    many = operator.attrgetter(*names)  # one C call per row instead of a getattr per column

    def values(obj: M) -> Sequence[Any]:
        if before is not None:
            before(obj)
        return many(obj) if len(names) > 1 else [many(obj)]

    def adopt(ids: list[int]) -> None:
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias

    rows = (values(obj) for obj in objs)
    if connection.vendor != "postgresql":
        adopt(insert_values(model, names, rows, returning=True, count=len(objs)))
        with connection.execute_wrapper(_copy_in_progress):  # the same rule as PostgreSQL's
            yield
        return
    fields = [meta.get_field(name) for name in names]
    convert = _converted([_converter(f) for f in fields])
    columns = [str(f.column) for f in fields]  # type: ignore[union-attr]
    # The guard covers ``before`` too: a statement there would wait forever for the
    # connection's lock, which the COPY holds (the COPY's own statements use the raw cursor).
    # ``connection.commit()``/``rollback()`` go around Django's wrappers: never call them here.
    with (
        connection.execute_wrapper(_copy_in_progress),
        _copy_open(model, columns, convert, rows, returning=True, count=len(objs)) as ids,
    ):
        adopt(ids)
        yield


def _copy_in_progress(*_args: Any) -> None:
    raise RuntimeError("no statement may run inside inserting_objects(): a COPY is open")
