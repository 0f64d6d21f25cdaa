"""Statements sent together: one round trip for many on PostgreSQL.

A purchase is a dozen small statements; on PostgreSQL each one alone costs a network round
trip (~0.15 ms on loopback, more than the server's work for most of them). Inside
``batched()``, code hands statements to ``send`` instead of executing them: on PostgreSQL they
are queued and go to the server together, in one psycopg pipeline, when

- a result is wanted (``Sent.rows()``, ``Sent.row()``),
- any other statement is about to run on the connection (an execute wrapper flushes first),
- the block ends.

Elsewhere (SQLite runs in-process: there is no round trip to save) ``send`` executes at once,
so both databases run the same code.

Invariants:
- statements run in the order they were sent, relative to each other and to every other
  statement on the connection;
- a statement's check (``expect`` rows changed) is applied at the flush that runs it, and its
  error is raised there; statements queued after it have run by then, so the error leaves
  the block and the caller's transaction rolls back (``batched`` requires one; never catch
  such an error inside the block and go on);
- a failing statement raises at its flush, as Django's exception (``IntegrityError`` ...),
  with the same consequence;
- nothing is left queued when the block is left: it is flushed on normal exit and dropped
  when an exception leaves (the transaction is rolled back anyway).

Statements sent through the batch bypass Django's cursor wrapper (and so other execute
wrappers); they are still recorded in ``connection.queries_log`` when queries are logged.
Savepoints are statements too: what is queued runs before one is released or rolled back to,
so queue inside a savepoint only what may run before its rollback (the checkout's savepoints
all find the queue empty).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection

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
        """Rows changed (or returned); runs the batch if needed."""
        if self._rows is None:
            flush()
        return self._rowcount

    def rows(self) -> list[tuple[Any, ...]]:
        """The result rows (empty for a statement returning none); runs the batch if needed."""
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
    def __init__(self) -> None:
        self.queue: list[Sent] = []
        self.reserved: dict[Any, Any] = {}  # for ``core.rows``: ids drawn beforehand


def current() -> _Batch | None:
    """The batch open on this thread's connection, if any."""
    return getattr(_local, "batch", None)


@contextmanager
def batched() -> Iterator[None]:
    """Queue the statements given to ``send`` (PostgreSQL) until a result or another statement
    needs them, or the block ends. Must run inside ``transaction.atomic``; nested blocks join
    the outer one."""
    if connection.vendor != "postgresql" or current() is not None:
        yield
        return
    assert connection.in_atomic_block, "batched() needs a transaction"
    _local.batch = _Batch()

    def flush_first(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        flush()
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(flush_first):
            yield
            flush()
    finally:
        _local.batch = None


def send(
    sql: str,
    params: Sequence[Any] = (),
    *,
    expect: int | None = None,
    error: Callable[[], Exception] | None = None,
) -> Sent:
    """Run ``sql`` now, or queue it in the open batch (see the module docstring).

    ``expect``: the number of rows the statement must change; otherwise ``error()`` is raised
    (a RuntimeError naming the statement when no ``error`` is given).
    """
    item = Sent(sql, params, expect, error)
    batch = current()
    if batch is not None:
        batch.queue.append(item)
        return item
    with connection.cursor() as cur:
        cur.execute(sql, params)
        item._done(cur.fetchall() if cur.description else [], cur.rowcount)
    item._check()
    return item


def flush() -> None:
    """Send what is queued in one pipeline and wait once; then apply the checks in order."""
    batch = current()
    if batch is None or not batch.queue:
        return
    items, batch.queue = batch.queue, []
    raw = connection.connection
    assert raw is not None
    with connection.wrap_database_errors:
        with raw.pipeline():
            for item in items:
                cur = raw.cursor()
                cur.execute(item.sql, item.params)
                item._cursor = cur
        # Leaving the pipeline waited for every result (or raised the first error).
        for item in items:
            cur = item._cursor
            item._done(cur.fetchall() if cur.description else [], cur.rowcount)
            if connection.queries_logged:
                # As Django's debug cursor records them (tests count queries this way).
                mogrify = getattr(cur, "mogrify", None)  # client-side binding cursors only
                shown = mogrify(item.sql, item.params) if mogrify else item.sql
                connection.queries_log.append({"sql": shown, "time": "0.000"})
            item._cursor = None
            cur.close()
    for item in items:
        item._check()
