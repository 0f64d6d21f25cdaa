"""The ladder compiled for DuckDB grades every row exactly like ``qualified_tier``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tiers.strategies import ladders, metrics
from tiercard.bench.duckdb_sql import criterion_sql, literal, tier_case_sql
from tiercard.tiers.criteria import leaf
from tiercard.tiers.evaluation import qualified_tier
from tiercard.tiers.ladder import Ladder
from tiercard.tiers.metrics import Metrics
from tiercard.tiers.presets import default_ladder

TODAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    db = duckdb.connect(":memory:")
    yield db
    db.close()


def grade(db: duckdb.DuckDBPyConnection, ladder: Ladder, rows: list[Metrics]) -> list[str]:
    db.execute("DROP TABLE IF EXISTS figures")
    db.execute(
        "CREATE TABLE figures (i INTEGER, spend DECIMAL(18,2), order_count BIGINT, "
        "growth_value BIGINT, max_order DECIMAL(18,2), last_on DATE)"
    )
    db.executemany(
        "INSERT INTO figures VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                i,
                m.spend,
                m.order_count,
                m.growth_value,
                m.max_order,
                None
                if m.days_since_last_purchase is None
                else TODAY - timedelta(days=m.days_since_last_purchase),
            )
            for i, m in enumerate(rows)
        ],
    )
    sql = f"SELECT {tier_case_sql(ladder, today=TODAY)} FROM figures ORDER BY i"  # noqa: S608
    return [row[0] for row in db.execute(sql).fetchall()]


@settings(max_examples=60, deadline=None)
@given(ladder=ladders, rows=st.lists(metrics, min_size=1, max_size=20))
def test_duckdb_case_agrees_with_qualified_tier(
    duck: duckdb.DuckDBPyConnection, ladder: Ladder, rows: list[Metrics]
) -> None:
    assert grade(duck, ladder, rows) == [qualified_tier(ladder, m).code for m in rows]


def test_the_default_ladder_at_its_edges(duck: duckdb.DuckDBPyConnection) -> None:
    rows = [
        Metrics(),  # never bought
        Metrics(Decimal("1999.99"), 5, 0, Decimal("900"), 3),
        Metrics(Decimal("2000.00"), 2, 0, Decimal("900"), 400),
        Metrics(Decimal("8000.00"), 4, 0, Decimal("900"), 180),
        Metrics(Decimal("8000.00"), 4, 0, Decimal("900"), 181),
        Metrics(Decimal("20000.00"), 8, 0, Decimal("900"), 90),
        Metrics(Decimal("0.00"), 0, 0, Decimal("10000.00"), None),
    ]
    assert grade(duck, default_ladder(), rows) == [
        "basic",
        "basic",
        "standard",
        "premium",
        "standard",
        "vip",
        "vip",
    ]


def test_never_bought_is_infinitely_long_ago() -> None:
    lapsed = criterion_sql(leaf("days_since_last_purchase", ">", 90), today=TODAY)
    recent = criterion_sql(leaf("days_since_last_purchase", "<=", 90), today=TODAY)
    assert lapsed.startswith("(last_on IS NULL OR ")
    assert recent.startswith("(last_on IS NOT NULL AND ")


def test_thresholds_render_as_numbers_only() -> None:
    assert literal(Decimal("5000.00")) == "CAST(5000.00 AS DECIMAL(18,2))"
    assert literal(6) == "6"
    with pytest.raises(TypeError):
        literal("1; DROP TABLE x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        literal(True)
