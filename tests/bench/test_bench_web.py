"""``tiercard bench web`` at a small size: every page answered 200 on every backend, each
figure present and ordered (p50 ≤ p95 ≤ max), the report readable, the user's database untouched.
No timing thresholds here: the targets are judged by the full-size run, not by the tests."""

from __future__ import annotations

import json
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.bench.support import run_bench

pytestmark = pytest.mark.slow

CUSTOMERS, PURCHASES, REQUESTS = 400, 4000, 6
PAGES = {
    "card",
    "table",
    "table filtered",
    "table next page",
    "search",
    "card (sales)",
    "table (sales)",
    "search (sales)",
}


@pytest.fixture(scope="module")
def bench() -> tuple[str, dict]:
    return run_bench(
        "bench_web",
        "--customers",
        str(CUSTOMERS),
        "--purchases",
        str(PURCHASES),
        "--requests",
        str(REQUESTS),
    )


def test_the_last_line_is_one_json_object_with_every_backend(bench: tuple[str, dict]) -> None:
    text, result = bench
    expected = {"sqlite", "postgresql"} if os.environ.get("DATABASE_URL") else {"sqlite"}
    assert set(result["backends"]) == expected
    assert (result["customers"], result["purchases"], result["requests"]) == (
        CUSTOMERS,
        PURCHASES,
        REQUESTS,
    )
    assert text.startswith("web benchmark: 400 customers")
    assert "table filtered" in text and "p95 < 50 ms" in text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_page_answers_and_has_ordered_figures(bench: tuple[str, dict], backend: str) -> None:
    _text, result = bench
    if backend not in result["backends"]:
        pytest.skip("PostgreSQL runs only when DATABASE_URL is set")
    b = result["backends"][backend]
    figures = {f["name"]: f for f in b["figures"]}
    assert set(figures) == PAGES
    for name, f in figures.items():
        assert f["statuses"] == [200], name
        assert f["requests"] == REQUESTS, name
        assert 0 < f["p50_ms"] <= f["p95_ms"] <= f["max_ms"], name
    assert "?cursor=" in b["pages"]["table next page"]["example"]
    assert b["sales_rep_customers"] > 0
    assert b["search_url"].endswith("?q=")
    assert b["filtered"]["tier"] and b["filtered"]["city"]


def test_keep_builds_once_then_reuses_the_data_set(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    args = ["--customers", "60", "--purchases", "300", "--requests", "2", "--keep", str(tmp_path)]
    call_command("bench_web", *args, stdout=StringIO())
    assert "loading 60 customers" in capfd.readouterr().err
    assert (tmp_path / "bench.sqlite3").is_file()
    out = StringIO()
    call_command("bench_web", *args, "--json", stdout=out)
    log = capfd.readouterr().err
    assert "reusing the data set" in log and "loading" not in log
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert set(result["backends"]) == {"sqlite"}
