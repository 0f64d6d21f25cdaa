"""``tiercard bench tiers`` at a small size: every figure present, positive and consistent, and
our tier counts equal to DuckDB's. Runs on SQLite, and on PostgreSQL too when the suite does."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from tests.bench.support import run_bench

pytestmark = pytest.mark.slow

CUSTOMERS, PURCHASES, CALLS = 2000, 20000, 100
FIGURES = {
    "full re-grade (dry run)",
    "window figures rebuilt from purchases",
    "grading query over memberships",
    "full review (every member)",
    "loyalty state after the load",
    "daily review (roll + review)",
    "one purchase p50",
    "one purchase p99",
    "peak memory (our services)",
    "bulk load",
    "Parquet export",
    "database size",
    "Parquet size",
}


@pytest.fixture(scope="module")
def bench() -> tuple[str, dict]:
    return run_bench(
        "bench_tiers",
        "--customers",
        str(CUSTOMERS),
        "--purchases",
        str(PURCHASES),
        "--purchase-calls",
        str(CALLS),
    )


def test_the_last_line_is_one_json_object_with_every_backend(bench: tuple[str, dict]) -> None:
    text, result = bench
    expected = {"sqlite", "postgresql"} if os.environ.get("DATABASE_URL") else {"sqlite"}
    assert set(result["backends"]) == expected
    assert (result["customers"], result["purchases"]) == (CUSTOMERS, PURCHASES)
    assert "agree: yes" in text and "one purchase p99" in text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_our_tiers_and_totals_equal_the_duckdb_reference(
    bench: tuple[str, dict], backend: str
) -> None:
    _text, result = bench
    if backend not in result["backends"]:
        pytest.skip("PostgreSQL runs only when DATABASE_URL is set")
    b = result["backends"][backend]
    assert b["agree"] is True, b["tiers"]
    assert b["tiers"]["ours"] == b["tiers"]["reference"]
    assert sum(b["tiers"]["ours"].values()) == CUSTOMERS
    assert len(b["tiers"]["ours"]) > 1  # the data set reaches more than the lowest tier
    assert b["totals"]["ours"]["spend"] == b["totals"]["reference"]["spend"]
    assert b["totals"]["ours"]["orders"] == b["totals"]["reference"]["orders"] > 0
    assert b["totals"]["ours"]["growth"] == b["totals"]["reference"]["growth"] > 0
    assert b["agreement"]["dry_run_tiers"] is True


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_figure_is_positive_and_consistent(bench: tuple[str, dict], backend: str) -> None:
    _text, result = bench
    if backend not in result["backends"]:
        pytest.skip("PostgreSQL runs only when DATABASE_URL is set")
    b = result["backends"][backend]
    assert b["missing"] == []
    figures = {f["name"]: f for f in b["figures"]}
    assert set(figures) == FIGURES
    for f in figures.values():
        assert f["ours"] is not None and f["ours"] > 0, f
        if f["reference"] is not None:
            assert f["reference"] > 0
            assert f["ratio"] == pytest.approx(f["ours"] / f["reference"])
        if f["target"] is not None:
            assert isinstance(f["pass"], bool)
    assert figures["one purchase p50"]["ours"] <= figures["one purchase p99"]["ours"]
    steps = b["steps"]
    assert steps["purchase"]["calls"] == CALLS
    daily = steps["daily_review"]
    assert daily["seconds"] == pytest.approx(daily["roll_seconds"] + daily["review_seconds"])
    nights = daily["nights"]
    days = [dt.date.fromisoformat(night["day"]) for night in nights]
    assert len(days) == 3 and days == [days[0] + dt.timedelta(days=n) for n in range(3)]
    ordered = sorted(night["seconds"] for night in nights)
    assert daily["seconds"] == ordered[1] and daily["max_seconds"] == ordered[2]
    assert all(night["rows_rolled"] > 0 for night in nights)  # about 55 purchases leave a day
    assert "median of 3 nights" in figures["daily review (roll + review)"]["source"]
    assert steps["full_review"]["report"]["candidates"] == CUSTOMERS
    assert b["load"]["customers"] == CUSTOMERS and b["load"]["purchases"] == PURCHASES
    assert b["reference"]["export_rows"] == PURCHASES
    assert b["reference"]["seconds"] == min(b["reference"]["runs"])
    assert all(mb > 0 for mb in b["memory_mb"].values())
    assert result["pass"] == all(x["pass"] for x in result["backends"].values())
