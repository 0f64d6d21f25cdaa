"""The reference: the same window aggregate and tier assignment, computed by DuckDB over Parquet.

``export_purchases`` streams every purchase (customer, time, total, returned) out of the
database into a Parquet file in batches, so memory stays flat whatever the size.
``reference_grade`` then lets DuckDB compute each customer's window figures and tier with the
ladder compiled by ``duckdb_sql``. Only the DuckDB query is the reference time; the export is
reported on its own.

The figures follow ``Membership``'s contract: spend = Σ (total − returned), orders = purchases
not fully returned, max order = the largest net purchase, growth value = Σ per purchase of
``floor(total × growth_per_yuan)`` less the returned share (``earning.growth_for`` and
``pro_rata`` summed over a purchase's returns), all over purchases from the window's first
instant; last purchase = the business day of the customer's latest purchase.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection

from tiercard.bench.duckdb_sql import tier_case_sql
from tiercard.core.timeutils import local_day_bounds
from tiercard.sales.models import Purchase
from tiercard.tiers.programme import Programme

BATCH = 200_000
SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("occurred_at", pa.timestamp("us", tz="UTC")),
        ("total", pa.decimal128(12, 2)),
        ("returned_amount", pa.decimal128(12, 2)),
    ]
)


@dataclass(frozen=True)
class Export:
    rows: int
    seconds: float
    bytes: int


def _select_sql() -> str:
    table = connection.ops.quote_name(Purchase._meta.db_table)
    if connection.vendor == "postgresql":
        return (
            "SELECT customer_id, to_char(occurred_at AT TIME ZONE 'UTC', "  # noqa: S608
            "'YYYY-MM-DD HH24:MI:SS.US'), total::text, returned_amount::text FROM " + table
        )
    # SQLite keeps decimals as REAL: two decimals of text are the exact cents again.
    return (
        "SELECT customer_id, CAST(occurred_at AS TEXT), printf('%.2f', total), "  # noqa: S608
        "printf('%.2f', returned_amount) FROM " + table
    )


def _batch(rows: list[tuple[Any, ...]]) -> pa.RecordBatch:
    ids, times, totals, returned = zip(*rows, strict=True)
    stamps = pc.cast(pa.array(times, pa.string()), pa.timestamp("us"))
    return pa.record_batch(
        [
            pa.array(ids, pa.int64()),
            stamps.cast(pa.timestamp("us", tz="UTC")),  # stored times are UTC
            pc.cast(pa.array(totals, pa.string()), pa.decimal128(12, 2)),
            pc.cast(pa.array(returned, pa.string()), pa.decimal128(12, 2)),
        ],
        schema=SCHEMA,
    )


def export_purchases(path: Path) -> Export:
    """Every purchase into a Parquet file at ``path``, ``BATCH`` rows at a time."""
    started = time.perf_counter()
    rows = 0
    with (
        pq.ParquetWriter(path, SCHEMA, compression="snappy") as out,
        connection.chunked_cursor() as cursor,  # server-side on PostgreSQL
    ):
        cursor.execute(_select_sql())
        while batch := cursor.fetchmany(BATCH):
            out.write_batch(_batch(batch))
            rows += len(batch)
    return Export(rows, time.perf_counter() - started, path.stat().st_size)


def aggregate_sql(parquet: Path, programme: Programme, today: dt.date) -> str:
    """One query: per-customer window figures, their tier, and the count per tier."""
    start = local_day_bounds(programme.window.start(today))[0].astimezone(dt.UTC)
    since = f"occurred_at >= TIMESTAMPTZ '{start.isoformat()}'"
    kept = f"{since} AND returned_amount < total"
    rate = programme.points.growth_per_yuan
    earned = f"floor(total * CAST({rate} AS DECIMAL(18,4)))"
    growth = (
        f"CASE WHEN returned_amount = 0 THEN {earned} "
        f"ELSE {earned} - floor({earned} * returned_amount / total) END"
    )
    zone = settings.TIERCARD_TIME_ZONE.replace("'", "''")
    case = tier_case_sql(programme.ladder, today=today)
    source = str(parquet).replace("'", "''")
    return f"""
        WITH figures AS (
            SELECT customer_id,
                coalesce(sum(total - returned_amount) FILTER (WHERE {since}), 0) AS spend,
                count(*) FILTER (WHERE {kept}) AS order_count,
                coalesce(max(total - returned_amount) FILTER (WHERE {kept}), 0) AS max_order,
                coalesce(sum({growth}) FILTER (WHERE {since}), 0) AS growth_value,
                CAST(timezone('{zone}', max(occurred_at)) AS DATE) AS last_on
            FROM read_parquet('{source}')
            GROUP BY customer_id
        ), graded AS (
            SELECT spend, order_count, growth_value, {case} AS tier FROM figures
        )
        SELECT tier, count(*), sum(spend), sum(order_count), sum(growth_value)
        FROM graded GROUP BY tier ORDER BY tier
    """  # noqa: S608 - our own file name, validated numbers and tier codes


@dataclass(frozen=True)
class Reference:
    seconds: float  # best of ``runs``
    runs: list[float]
    tiers: dict[str, int]  # customers with purchases, per qualified tier
    spend: str  # Σ window spend over all customers, as text (exact)
    orders: int
    growth: int


def reference_grade(
    parquet: Path, programme: Programme, today: dt.date, *, runs: int = 3, threads: int = 0
) -> Reference:
    """Run the DuckDB aggregate + tier assignment ``runs`` times; the best time counts."""
    sql = aggregate_sql(parquet, programme, today)
    db = duckdb.connect(":memory:")
    try:
        if threads:
            db.execute(f"SET threads = {int(threads)}")
        times: list[float] = []
        result: list[tuple[Any, ...]] = []
        for _ in range(max(1, runs)):
            mark = time.perf_counter()
            result = db.execute(sql).fetchall()
            times.append(time.perf_counter() - mark)
    finally:
        db.close()
    return Reference(
        seconds=min(times),
        runs=times,
        tiers={str(row[0]): int(row[1]) for row in result},
        spend=str(sum((Decimal(row[2]) for row in result), Decimal(0))),
        orders=sum(int(row[3]) for row in result),
        growth=sum(int(row[4]) for row in result),
    )
