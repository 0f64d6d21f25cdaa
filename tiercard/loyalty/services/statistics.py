"""Planner statistics for the loyalty tables, so set-based statements pick the right index.

Without statistics SQLite assumes an equality on an indexed column matches a handful of rows;
it then prefers the ``tier`` index over a chunk's primary-key list and reads hundreds of
thousands of rows (the daily review took 4.2 s instead of 0.4 s at 1M members). PostgreSQL's
autovacuum keeps its own statistics; an explicit ANALYZE after a bulk load saves waiting for it.
"""

from __future__ import annotations

from django.db import connection

LOYALTY_TABLES = ("loyalty_membership", "loyalty_tierchange", "loyalty_growthentry")
STALE_FACTOR = 2
"""Statistics are refreshed when the table has grown or shrunk by this factor since. SQLite's
ANALYZE samples (``analysis_limit``), so its row counts are estimates: a tighter bound would
refresh every night."""
FULL_SCAN = ("loyalty_membership",)
"""Analyzed without sampling: with SQLite's sampled estimates (``analysis_limit``) the planner
picked the stand-alone tier index in the review (3.5 s instead of 0.6 s at 1M members; that
index is gone since loyalty 0009, but the member table's ``table_tier_*`` indexes also lead
with the tier). The other tables are sampled (bounded work on ten million rows)."""
ANALYSIS_LIMIT = 1000


def analyze(tables: tuple[str, ...] = LOYALTY_TABLES) -> None:
    """Refresh statistics; on PostgreSQL outside a transaction also VACUUM (after a bulk
    load it marks the pages all-visible, so covering indexes answer without the table)."""
    quote = connection.ops.quote_name
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cur:
        for table in tables:
            if connection.vendor == "sqlite":
                limit = 0 if table in FULL_SCAN else ANALYSIS_LIMIT
                cur.execute(f"PRAGMA analysis_limit={limit}")
            cur.execute(f"{'VACUUM (ANALYZE)' if vacuum else 'ANALYZE'} {quote(table)}")


def refresh_if_stale(table: str = "loyalty_membership") -> bool:
    """ANALYZE ``table`` when SQLite has no statistics for it or they are stale; True if run."""
    if connection.vendor != "sqlite":
        return False
    quote = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        stat = None
        if cur.fetchone():
            # One row per index; partial indexes count only their rows, so take the largest.
            cur.execute(
                "SELECT MAX(CAST(stat AS INTEGER)) FROM sqlite_stat1 WHERE tbl = %s", [table]
            )
            row = cur.fetchone()
            stat = int(row[0]) if row and row[0] is not None else None
        cur.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 (a fixed table name)
        rows = int(cur.fetchone()[0])
        if rows < 1000:
            return False  # small tables: any plan is fast
        if stat is not None and stat / STALE_FACTOR <= rows <= stat * STALE_FACTOR:
            return False
    analyze((table,))
    return True
