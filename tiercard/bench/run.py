"""The benchmark run: scratch database per backend, one child process per phase, the figures.

``bench_tiers`` loads ``customers`` / ``purchases`` through the bulk demo path into a scratch
SQLite database (and, when ``database_url`` is given, a scratch PostgreSQL database on that
server), times the reference and our services there (``tiercard.bench.child``), removes the
scratch databases, and returns one JSON-safe dict holding every figure.

Each phase runs in its own process so that its peak memory (``ru_maxrss`` of that child, with
the generator processes it started) is measured on its own: ours is the ``ours`` phase.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from tiercard.bench.scratch import kept_sqlite, scratch_postgresql, scratch_sqlite
from tiercard.bench.targets import assess
from tiercard.bench.web import assess_web

Log = Callable[[str], None]
PHASES = ("load", "reference", "ours")


class BenchFailed(RuntimeError):
    pass


def run_phase(phase: str, job: dict[str, Any], folder: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run one phase in a child process; its result with its own peak memory (MiB) added."""
    job_path = folder / f"{phase}.json"
    job_path.write_text(json.dumps(job))
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tiercard.bench.child", phase, str(job_path)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,  # the parent's standard output carries only the report
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise BenchFailed(f"the {phase} phase failed (exit {child.returncode})")
    result: dict[str, Any] = json.loads(Path(f"{job_path}.out").read_text())
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    result["peak_memory_mb"] = usage.ru_maxrss * scale / 2**20
    result["wall_seconds"] = time.perf_counter() - started
    return result


def _scratches(folder: Path, database_url: str | None) -> Iterator[tuple[str, Any]]:
    yield "sqlite", scratch_sqlite(folder / "sqlite")
    if database_url:
        yield "postgresql", scratch_postgresql(folder / "postgresql", database_url)


def bench_backend(
    scratch: AbstractContextManager[dict[str, str]],
    folder: Path,
    job: dict[str, Any],
    log: Log,
) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    with scratch as env:
        for phase in PHASES:
            log(f"{phase} …")
            results[phase] = run_phase(
                phase, job | {"parquet": str(folder / "p.parquet")}, folder, env
            )
    return results


def bench_tiers(
    *,
    customers: int,
    purchases: int,
    today: dt.date,
    seed: int = 1,
    purchase_calls: int = 1000,
    database_url: str | None = None,
    log: Log = lambda _text: None,
) -> dict[str, Any]:
    """Every figure of every backend; see ``tiercard.bench.targets`` for what is judged."""
    if customers < 1 or purchases < 0 or purchase_calls < 1:
        raise ValueError("need at least one customer and one timed purchase, and no negative size")
    job = {
        "customers": customers,
        "purchases": purchases,
        "seed": seed,
        "today": today.isoformat(),
        "purchase_calls": purchase_calls,
    }
    backends: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tiercard-bench-") as tmp:
        for backend, scratch in _scratches(Path(tmp), database_url):
            log(f"{backend}: {customers:,} customers, {purchases:,} purchases")
            raw = bench_backend(scratch, Path(tmp) / backend, job, log)
            backends[backend] = assess(raw)
    return {
        "customers": customers,
        "purchases": purchases,
        "seed": seed,
        "today": today.isoformat(),
        "cpus": os.cpu_count(),
        "backends": backends,
        "agree": all(b["agree"] for b in backends.values()),
        "pass": all(b["pass"] for b in backends.values()),
    }


def bench_web(
    *,
    customers: int,
    purchases: int,
    today: dt.date,
    seed: int = 1,
    requests: int = 200,
    database_url: str | None = None,
    keep: Path | None = None,
    log: Log = lambda _text: None,
) -> dict[str, Any]:
    """Page timings per backend on the loaded data set (``tiercard.bench.web``).

    ``keep`` (SQLite only): build the data set in that folder once and reuse it on later runs,
    so the pages can be timed again without another load.
    """
    if customers < 1 or purchases < 0 or requests < 1:
        raise ValueError("need at least one customer and one request, and no negative size")
    job = {
        "customers": customers,
        "purchases": purchases,
        "seed": seed,
        "today": today.isoformat(),
        "requests": requests,
    }
    backends: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tiercard-bench-") as tmp:
        scratches = (
            [("sqlite", kept_sqlite(keep))] if keep else list(_scratches(Path(tmp), database_url))
        )
        for backend, scratch in scratches:
            folder = keep if keep else Path(tmp) / backend
            folder.mkdir(parents=True, exist_ok=True)
            with scratch as env:
                loaded = Path(env.get("TIERCARD_SQLITE_PATH", "")).is_file() and keep
                if loaded:
                    log(f"{backend}: reusing the data set in {folder}")
                else:
                    log(f"{backend}: loading {customers:,} customers, {purchases:,} purchases …")
                    run_phase("load", job, folder, env)
                log(f"{backend}: timing the pages …")
                backends[backend] = assess_web(run_phase("web", job, folder, env))
    return {
        "customers": customers,
        "purchases": purchases,
        "seed": seed,
        "requests": requests,
        "cpus": os.cpu_count(),
        "backends": backends,
        "pass": all(b["pass"] for b in backends.values()),
    }
