"""Large writes on PostgreSQL: GIN index entries gathered, then merged into the index in bulk.

Why: the customer row carries three GIN indexes (search trigrams, name and company
characters); each new or non-HOT-updated row adds some sixty keys to them. PostgreSQL queues
those in the index's pending list and, once the list passes ``gin_pending_list_limit`` (4 MB
by default), the writing backend merges it into the index with ``work_mem`` (4 MB) of memory:
a 100,000-row import merged dozens of times, each merge touching most keys' posting lists.
Raising the limit for the import's transaction and merging explicitly
(``gin_clean_pending_list``, which sorts with ``maintenance_work_mem``) every
``MERGE_EVERY_ROWS`` rows and at the end: measured on the 100k-customer import, the server's
share of the commit went from 46 s to 26 s.

Invariants:

- only inside a transaction: the setting is ``SET LOCAL`` and is put back on leaving, so
  nothing outlives the caller's transaction;
- the pending lists are merged every ``MERGE_EVERY_ROWS`` rows and before leaving, so a search
  never scans a long pending list, during the import or after it. A block that raises leaves
  its transaction to be rolled back (the setting goes with it); the entries queued since the
  last merge, at most ``MERGE_EVERY_ROWS`` rows' worth, are then merged by autovacuum;
- a no-op on SQLite, and on PostgreSQL when the connection's role does not own every GIN
  index of the tables (``gin_clean_pending_list`` is for owners only): then PostgreSQL's own
  defaults apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models

PENDING_LIMIT = "256MB"
"""The pending lists' bound while merging is ours: larger than the rows we merge every
``MERGE_EVERY_ROWS`` will fill, so PostgreSQL never merges them itself with 4 MB of memory."""
MERGE_EVERY_ROWS = 50_000
"""Rows between merges: keeps a concurrent search's scan of the pending list short."""


class GinMerge:
    """Counts rows written; merges the pending lists every ``MERGE_EVERY_ROWS``."""

    def __init__(self, indexes: list[str]) -> None:
        self.indexes = indexes
        self.rows = 0

    def wrote(self, rows: int) -> None:
        self.rows += rows
        if self.indexes and self.rows >= MERGE_EVERY_ROWS:
            self.merge()

    def merge(self) -> None:
        self.rows = 0
        if not self.indexes:
            return
        with connection.cursor() as cur:
            for index in self.indexes:
                cur.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])


def gin_indexes(*tables: type[models.Model]) -> list[str]:
    """Names of the GIN indexes of ``tables`` the connection may merge; empty when it may
    not merge all of them (or on SQLite)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.oid::regclass::text, pg_has_role(c.relowner, 'USAGE')"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_am a ON a.oid = c.relam"
            " WHERE a.amname = 'gin' AND i.indrelid = ANY(%s::regclass[])",
            [[t._meta.db_table for t in tables]],
        )
        found = cur.fetchall()
    if not all(owned for _name, owned in found):
        return []
    return sorted(name for name, _owned in found)


@contextmanager
def merged_gin_entries(*tables: type[models.Model]) -> Iterator[GinMerge]:
    """Within the caller's transaction: GIN entries of ``tables`` merged in bulk (see the
    module docstring). Call ``wrote(n)`` after writing ``n`` rows."""
    merger = GinMerge(gin_indexes(*tables))
    if not merger.indexes:
        yield merger
        return
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('gin_pending_list_limit')")
        before = cur.fetchone()[0]
        cur.execute("SELECT set_config('gin_pending_list_limit', %s, true)", [PENDING_LIMIT])
    yield merger
    merger.merge()
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('gin_pending_list_limit', %s, true)", [before])
