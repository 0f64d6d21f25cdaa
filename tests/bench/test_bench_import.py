"""``tiercard bench import`` at a small size: both files imported on every backend, every
figure present, the report readable, the configured database untouched. No timing thresholds
here: the targets are judged by the full-size run."""

from __future__ import annotations

import os

import pytest

from tests.bench.support import run_bench

pytestmark = pytest.mark.slow

CUSTOMERS, PURCHASES = 300, 500


@pytest.fixture(scope="module")
def bench() -> tuple[str, dict]:
    return run_bench("bench_import", "--customers", str(CUSTOMERS), "--purchases", str(PURCHASES))


def test_last_line_is_one_json_object_with_every_backend(bench: tuple[str, dict]) -> None:
    text, result = bench
    expected = {"sqlite", "postgresql"} if os.environ.get("DATABASE_URL") else {"sqlite"}
    assert set(result["backends"]) == expected
    assert (result["customers"], result["purchases"]) == (CUSTOMERS, PURCHASES)
    assert text.startswith("import benchmark: 300 customers (xlsx), 500 purchase rows (CSV)")
    assert "customers target: check and commit <" in text
    assert result["file_bytes"]["customers"] > 0 and result["file_bytes"]["purchases"] > 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_row_is_imported_with_its_figures(bench: tuple[str, dict], backend: str) -> None:
    _text, result = bench
    if backend not in result["backends"]:
        pytest.skip("PostgreSQL runs only when DATABASE_URL is set")
    figures = result["backends"][backend]
    customers, purchases = figures["customers"], figures["purchases"]
    assert (customers["rows"], customers["new"], customers["invalid"]) == (CUSTOMERS, CUSTOMERS, 0)
    assert (purchases["rows"], purchases["new"], purchases["invalid"]) == (PURCHASES, PURCHASES, 0)
    for f in (customers, purchases):
        assert f["status"] == "committed"
        assert f["check_seconds"] > 0 and f["commit_seconds"] > 0
        assert 0 < f["peak_memory_mb"] < 2000
        assert f["check_cpu_seconds"] >= 0 and f["commit_cpu_seconds"] >= 0
    assert isinstance(customers["pass"], bool)
