"""One phase of the benchmark, in its own process: ``python -m tiercard.bench.child PHASE JOB``.

The parent (``tiercard.bench.run``) points the settings at a scratch database through the
environment before starting this process, so nothing here can reach the user's database, and
each phase's peak memory is its own process's. ``JOB`` is a JSON file holding the phase's
arguments; the phase writes its result as JSON next to it (``<JOB>.out``). Progress goes to
standard error.

Phases: ``load`` (migrate, then the bulk demo loader), ``reference`` (Parquet export and
DuckDB), ``ours`` (the services, see ``tiercard.bench.ours``) and ``web`` (the pages, see
``tiercard.bench.web``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def say(text: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def database_bytes() -> int:
    """Size of the scratch database: the SQLite file with its WAL, or PostgreSQL's own count."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
    name = Path(str(settings.DATABASES["default"]["NAME"]))
    return sum(p.stat().st_size for p in (name, Path(f"{name}-wal")) if p.exists())


def warm_database() -> float:
    """Read the database once into the operating system's page cache, so that pages are timed
    as on a server that has been running, not from disk. Returns the seconds it took.

    Why: the card and the purchase each touch a random customer; with a cold cache each paid
    for a few dozen random disk reads (the p95/p99 then measured the disk), and how cold the
    cache was depended on what ran before. SQLite: the file and its WAL are read through.
    PostgreSQL: every table and index of the database through ``pg_prewarm`` in ``read``
    mode (the same page cache; the server's own buffers fill as it works); where the
    extension cannot be installed (not a superuser) nothing is warmed."""
    from django.conf import settings
    from django.db import connection

    mark = time.perf_counter()
    if connection.vendor == "postgresql":
        _prewarm_postgresql()
        return time.perf_counter() - mark
    name = Path(str(settings.DATABASES["default"]["NAME"]))
    for path in (name, Path(f"{name}-wal")):
        if path.exists():
            with path.open("rb") as f:
                while f.read(WARM_CHUNK):
                    pass
    return time.perf_counter() - mark


def _prewarm_postgresql() -> None:
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            cursor.execute(
                "SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 't', 'm')"
            )
    except DatabaseError as error:
        say(f"PostgreSQL not warmed ({error.__class__.__name__}: {error})".strip())


WARM_CHUNK = 8 << 20


def phase_load(job: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from tiercard.bench.ours import service, timed
    from tiercard.demo.load import LoadReport, load_demo
    from tiercard.demo.setup import migrate_if_needed

    mark = time.perf_counter()
    migrate_if_needed()
    migrated = time.perf_counter() - mark
    say(f"migrated the scratch {connection.vendor} database in {migrated:.1f} s; loading")
    last = [0.0]

    def progress(report: LoadReport) -> None:
        if time.monotonic() - last[0] >= 15:
            last[0] = time.monotonic()
            c = report.counts
            say(f"… {c['customers']:,} customers, {c['purchases']:,} purchases")

    report = load_demo(
        customers=job["customers"],
        purchases=job["purchases"],
        seed=job["seed"],
        as_of=dt.date.fromisoformat(job["today"]),
        progress=progress,
    )
    say(f"loaded {report.rows:,} rows in {report.seconds:.1f} s")
    # The bulk path's second half: growth entries, window figures, tiers and opening points
    # derived set-based from what was written, as ``tiercard demo`` does.
    init = service("bulk", "loyalty_bulk_init")
    init_seconds = None
    if init is not None:
        init_seconds, _report = timed(lambda: init(dt.date.fromisoformat(job["today"])))
        say(f"derived the loyalty state in {init_seconds:.1f} s")
    return {
        "backend": connection.vendor,
        "migrate_seconds": migrated,
        "seconds": report.seconds,
        "loyalty_init_seconds": init_seconds,
        "rows": report.rows,
        "customers": report.counts["customers"],
        "purchases": report.counts["purchases"],
        "database_bytes": database_bytes(),
    }


def phase_reference(job: dict[str, Any]) -> dict[str, Any]:
    from tiercard.bench.reference import export_purchases, reference_grade
    from tiercard.customers.models import Customer
    from tiercard.loyalty.services.state import active_programme

    parquet = Path(job["parquet"])
    export = export_purchases(parquet)
    say(f"exported {export.rows:,} purchases to Parquet in {export.seconds:.1f} s")
    active = active_programme()
    ref = reference_grade(parquet, active.programme, dt.date.fromisoformat(job["today"]))
    say(f"DuckDB graded them in {ref.seconds:.3f} s (best of {len(ref.runs)})")
    return {
        "export_seconds": export.seconds,
        "export_rows": export.rows,
        "parquet_bytes": export.bytes,
        "seconds": ref.seconds,
        "runs": ref.runs,
        "tiers": ref.tiers,
        "totals": {"spend": ref.spend, "orders": ref.orders, "growth": ref.growth},
        "customers": Customer.objects.count(),
    }


def phase_ours(job: dict[str, Any]) -> dict[str, Any]:
    from tiercard.bench.ours import run_ours

    say(f"database read into the page cache in {warm_database():.1f} s; timing our steps")
    result = run_ours(dt.date.fromisoformat(job["today"]), purchase_calls=job["purchase_calls"])
    result["database_bytes"] = database_bytes()
    for name, step in result["steps"].items():
        figure = step.get("seconds", step.get("p50"))
        say(f"{name}: {step['status']}" + (f", {figure:.4f} s" if figure is not None else ""))
    return result


def phase_web(job: dict[str, Any]) -> dict[str, Any]:
    """The pages' server times (``tiercard.bench.web``), after migrating what the load predates."""
    from tiercard.bench.web import run_web
    from tiercard.core.serving import settle_heap
    from tiercard.demo.setup import migrate_if_needed

    mark = time.perf_counter()
    migrate_if_needed()
    say(f"migrations checked in {time.perf_counter() - mark:.1f} s")
    say(f"database read into the page cache in {warm_database():.1f} s; timing the pages")
    settle_heap()  # as the WSGI / ASGI entry points do in a served process
    result = run_web(requests=job["requests"], seed=job["seed"])
    for name, page in result["pages"].items():
        say(f"{name}: p50 {page['p50']:.1f} ms, p95 {page['p95']:.1f} ms")
    return result


PHASES = {"load": phase_load, "reference": phase_reference, "ours": phase_ours, "web": phase_web}


def main(argv: list[str]) -> int:
    phase, job_path = argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiercard.settings")
    import django

    django.setup()
    from tiercard.core.context import interface

    job = json.loads(Path(job_path).read_text())
    with interface("cli"):
        result = PHASES[phase](job)
    Path(f"{job_path}.out").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
