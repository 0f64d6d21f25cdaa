"""Statements streamed to the server while the code goes on: one wait for many on PostgreSQL.

A purchase is a dozen small statements; on PostgreSQL each one alone costs a network round
trip (~0.15 ms on loopback, more than the server's work for most of them). Inside
``batched()``, code hands statements to ``send`` instead of executing them: on PostgreSQL each
one is written to the connection at once, in psycopg's pipeline mode, and the server runs it
while this process builds the next (two cores at work instead of one waiting for the other).
Nobody waits for the results until

- a result is wanted (``Sent.rows()``, ``Sent.row()``, ``Sent.rowcount``),
- any other statement is about to run on the connection (an execute wrapper flushes first),
- the block ends.

Sent statements are bound server-side (parameters travel apart from the SQL, so the text is
the same on every call) and psycopg prepares a statement once it has run five times on a
connection: the server then skips parsing and planning it. ``TIERCARD_PG_PREPARE=off`` turns
the preparing off, for poolers that do not keep prepared statements (PgBouncer in
transaction mode before 1.21).

Elsewhere (SQLite runs in-process: there is no round trip to save) ``send`` executes at once,
so both databases run the same code. On SQLite it goes to the ``sqlite3`` connection itself
rather than through Django's cursor (~25 µs of wrappers a statement, a dozen statements a
purchase), unless an execute wrapper is installed: then Django's cursor runs it, so the
wrapper sees it. Either way a failing statement raises Django's exception and the statement
is logged when queries are.

Invariants:
- ``batched()`` is a transaction (a savepoint inside another): whatever was sent in it is
  undone when an exception leaves it;
- statements run in the order they were sent, relative to each other and to every other
  statement on the connection;
- a statement's check (``expect`` rows changed) is applied at the flush that waits for it, and
  its error is raised there; statements sent after it have run by then, so the error leaves
  the block and the block's transaction rolls back (never catch such an error inside the
  block and go on);
- a failing statement raises Django's exception (``IntegrityError`` ...) at its flush or at a
  later ``send``, with the same consequence;
- nothing is left pending when the block is left: it is waited for on normal exit, and on an
  exception the pipeline is closed (its errors ignored) before the rollback.

Statements sent through the batch bypass Django's cursor wrapper (and so other execute
wrappers); they are still recorded in ``connection.queries_log`` when queries are logged.
Savepoints are statements too: what was sent runs before one is released or rolled back to,
so send inside a savepoint only what may run before its rollback (the checkout's savepoints
all find nothing pending).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

_local = threading.local()


class Sent:
    """One statement handed to ``send``: its rows and row count once it has run."""

    __slots__ = ("_cursor", "_rowcount", "_rows", "error", "expect", "params", "sql")

    def __init__(
        self,
        sql: str,
        params: Sequence[Any],
        expect: int | None,
        error: Callable[[], Exception] | None,
    ) -> None:
        self.sql = sql
        self.params = params
        self.expect = expect
        self.error = error
        self._cursor: Any = None
        self._rows: list[tuple[Any, ...]] | None = None
        self._rowcount = -1

    @property
    def rowcount(self) -> int:
        """Rows changed (or returned); waits for the batch if needed."""
        if self._rows is None:
            flush()
        return self._rowcount

    def rows(self) -> list[tuple[Any, ...]]:
        """The result rows (empty for a statement returning none); waits for the batch if
        needed."""
        if self._rows is None:
            flush()
        assert self._rows is not None, "statement sent outside its batch"
        return self._rows

    def row(self) -> tuple[Any, ...] | None:
        found = self.rows()
        return found[0] if found else None

    def _done(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows, self._rowcount = rows, rowcount

    def _check(self) -> None:
        if self.expect is not None and self._rowcount != self.expect:
            raise (
                self.error()
                if self.error is not None
                else RuntimeError(f"expected {self.expect} row(s), got {self.rowcount}: {self.sql}")
            )


class _Batch:
    def __init__(self, db: BaseDatabaseWrapper) -> None:
        self.db = db  # the connection itself (not the proxy: a lookup per attribute read)
        self.queue: list[Sent] = []  # sent, results not read yet
        self.pipeline: ExitStack | None = None  # open while ``queue`` is not empty
        self.reserved: dict[Any, Any] = {}  # for ``core.rows``: ids drawn beforehand

    def close(self, exc: BaseException | None = None) -> None:
        """Leave pipeline mode: sync and wait for every pending result (raising the first
        error, unless ``exc`` is already on its way: then errors are only logged)."""
        pipeline, self.pipeline = self.pipeline, None
        if pipeline is not None:
            pipeline.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)


def current() -> _Batch | None:
    """The batch open on this thread's connection, if any."""
    return getattr(_local, "batch", None)


@contextmanager
def batched() -> Iterator[None]:
    """A transaction (a savepoint inside another) in which the statements given to ``send``
    are streamed to the server without waiting (PostgreSQL) until a result or another
    statement needs them, or the block ends. On PostgreSQL a nested block joins the outer one,
    its transaction included; on SQLite, where nothing is streamed, it is a savepoint."""
    if current() is not None:
        yield
        return
    db = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic():
        if db.vendor != "postgresql":
            yield
            return
        _local.batch = open_batch = _Batch(db)

        def flush_first(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            flush()
            return execute(sql, params, many, context)

        try:
            with db.execute_wrapper(flush_first):
                yield
                flush()
        except BaseException as exc:
            with db.wrap_database_errors:
                open_batch.close(exc)  # before the rollback, which needs the connection
            for item in open_batch.queue:
                if item._cursor is not None:
                    item._cursor.close()
            raise
        finally:
            _local.batch = None


def send(
    sql: str,
    params: Sequence[Any] = (),
    *,
    expect: int | None = None,
    error: Callable[[], Exception] | None = None,
    db: BaseDatabaseWrapper | None = None,
) -> Sent:
    """Run ``sql`` now, or stream it in the open batch (see the module docstring).

    ``expect``: the number of rows the statement must change; otherwise ``error()`` is raised
    (a RuntimeError naming the statement when no ``error`` is given). ``db``: the default
    connection when the caller holds it already (looking it up costs a context-local read).
    """
    item = Sent(sql, params, expect, error)
    open_batch = current()
    if open_batch is not None:
        _stream(open_batch, item)
        return item
    if db is None:
        db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "sqlite" and not db.execute_wrappers:
        _run_sqlite(db, item)
    else:
        with db.cursor() as cur:
            cur.execute(sql, params)
            item._done(cur.fetchall() if cur.description else [], cur.rowcount)
    item._check()
    return item


def _run_sqlite(db: BaseDatabaseWrapper, item: Sent) -> None:
    """Run ``item`` on the ``sqlite3`` connection itself, as Django's cursor would have run it
    (same SQL after placeholder conversion, same checks, errors and query log), without the
    layers of wrapping around each call."""
    raw = db.connection
    if raw is None:
        db.ensure_connection()
        raw = db.connection
    db.validate_no_broken_transaction()
    started = time.monotonic()
    with db.wrap_database_errors:
        cur = raw.execute(_qmark(item.sql), item.params)
        item._done(cur.fetchall() if cur.description is not None else [], cur.rowcount)
    if db.queries_logged:
        shown = db.ops.last_executed_query(cur, item.sql, item.params)
        db.queries_log.append({"sql": shown, "time": f"{time.monotonic() - started:.3f}"})
    cur.close()


_FORMAT = re.compile(r"(?<!%)%s")  # the pattern of Django's SQLite cursor (``convert_query``)


_converted: dict[str, str] = {}


def _qmark(sql: str) -> str:
    """Django's SQL (``%s`` placeholders, ``%%`` for a percent sign) in ``sqlite3``'s form,
    converted as Django's SQLite cursor converts it. Remembered for the hot paths' statements
    (short, a few dozen texts); long ones (ids written in) are converted each time."""
    found = _converted.get(sql)
    if found is None:
        found = _FORMAT.sub("?", sql).replace("%%", "%")
        if len(sql) <= 4000 and len(_converted) < 512:
            _converted[sql] = found
    return found


def _stream(open_batch: _Batch, item: Sent) -> None:
    """Write ``item`` to the connection in pipeline mode; its result is read at the flush.

    psycopg may raise here the error of a statement sent earlier (its result arrived)."""
    db = open_batch.db
    raw = db.connection
    assert raw is not None
    with db.wrap_database_errors:
        if open_batch.pipeline is None:
            pipeline = ExitStack()
            pipeline.enter_context(raw.pipeline())
            open_batch.pipeline = pipeline
        open_batch.queue.append(item)
        # A cursor binding server-side whatever the connection's own cursors do (Django binds
        # client-side by default): the SQL text stays the same from call to call, so it can be
        # prepared, and the parameters are not quoted into it.
        item._cursor = psycopg.Cursor(raw)
        item._cursor.execute(item.sql, item.params)


def flush() -> None:
    """Wait for every statement sent; then apply the checks in order."""
    open_batch = current()
    if open_batch is None or not open_batch.queue:
        return
    items, open_batch.queue = open_batch.queue, []
    db = open_batch.db
    try:
        with db.wrap_database_errors:
            open_batch.close()  # raises the first failing statement's error
            for item in items:
                cur = item._cursor
                item._done(cur.fetchall() if cur.description else [], cur.rowcount)
        if db.queries_logged:
            _log(db, items)
    finally:
        for item in items:
            if item._cursor is not None:
                item._cursor.close()
                item._cursor = None
    for item in items:
        item._check()


def _log(db: BaseDatabaseWrapper, items: Sequence[Sent]) -> None:
    """Record the statements as Django's debug cursor does (tests count queries this way),
    with their parameters quoted in."""
    raw = db.connection
    quoting = psycopg.ClientCursor(raw)
    for item in items:
        shown = quoting.mogrify(item.sql, item.params)
        db.queries_log.append({"sql": shown, "time": "0.000"})
    quoting.close()
