"""Counting the row versions a block of code writes to one table."""

from __future__ import annotations

from django.db import connection


class RowWrites:
    """Counts the row versions written to ``table`` (triggers' writes included) while the
    block runs: PostgreSQL's per-transaction table statistics, a temporary counting trigger
    on SQLite. ``count`` is set when the block ends."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.count = -1

    def __enter__(self) -> RowWrites:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("CREATE TEMP TABLE row_writes (n INTEGER)")
                cursor.execute(
                    f"CREATE TEMP TRIGGER row_writes_count AFTER UPDATE ON {self.table}"  # noqa: S608
                    " BEGIN INSERT INTO row_writes VALUES (1); END"
                )
            self.start = self._read(cursor)
        return self

    def __exit__(self, *exc: object) -> None:
        with connection.cursor() as cursor:
            self.count = self._read(cursor) - self.start
            if connection.vendor == "sqlite":
                cursor.execute("DROP TRIGGER row_writes_count")
                cursor.execute("DROP TABLE row_writes")

    def _read(self, cursor) -> int:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT COUNT(*) FROM row_writes")
        else:
            cursor.execute(
                "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = %s", [self.table]
            )
        return int(cursor.fetchone()[0])
