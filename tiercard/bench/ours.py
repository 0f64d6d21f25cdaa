"""Our side of the benchmark: the loyalty services, timed one by one on the loaded database.

Each step calls the real service. A service that does not exist (yet) in this build is reported
as ``missing`` with null figures instead of failing the run, so the benchmark can be run while
the services are still being written.

Steps, in order (each leaves the database as the next one expects):

1. ``window_build``: ``window.window_rebuild`` — every membership's window figures from the
   purchases (the same aggregate as the reference, written into ``Membership``).
2. ``regrade``: the full re-grade dry run (``ladders.ladder_dry_run``) over the memberships;
   ``regrade_sql`` is the bare set-based ``GROUP BY`` over ``tiers.sql.tier_case``, always
   timed, whose counts are compared with the reference.
3. ``full_review``: a review of every member (``full=True``), as after a bulk load.
4. ``daily_review``: the next day's work: ``window.window_roll`` one day on, then
   ``grading.tiers_review`` of the rows with something due.
5. ``purchase``: ``checkout.purchase_record`` on random customers, timed one by one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import connection
from django.db.models import Count, Sum

from tiercard.accounts.models import Role, User
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.loyalty.models import Membership
from tiercard.loyalty.services.state import Active, active_programme
from tiercard.tiers.sql import Columns, tier_case

COLUMNS = Columns(
    spend="win_spend",
    order_count="win_orders",
    growth_value="win_growth",
    max_order="win_max_order",
    last_purchase_on="last_purchase_on",
)
PURCHASE_CALLS = 1000
NIGHTS = 3
PURCHASE_BUDGET = 180.0  # seconds; a slow build stops early and reports the calls it timed
WARM_UP = 20

Step = dict[str, Any]


def service(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name`` when this build has it, else None."""
    try:
        found = importlib.import_module(f"tiercard.loyalty.services.{module}")
    except ImportError:
        return None
    function = getattr(found, name, None)
    return function if callable(function) else None


def missing(name: str) -> Step:
    return {"status": "missing", "service": name, "seconds": None}


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    mark = time.perf_counter()
    result = function()
    return time.perf_counter() - mark, result


def admin_user() -> User:
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first() or (
        User.objects.order_by("pk").first()  # type: ignore[return-value]
    )


def qualified_counts(active: Active, today: dt.date) -> dict[str, int]:
    """Members per qualified tier: one ``GROUP BY`` over the compiled ladder."""
    case = tier_case(active.programme.ladder, COLUMNS, today=today)
    rows = (
        Membership.objects.annotate(qualified=case)
        .values("qualified")
        .annotate(n=Count("pk"))
        .order_by("qualified")
    )
    return {row["qualified"]: row["n"] for row in rows}


def figure_totals() -> dict[str, Any]:
    sums = Membership.objects.aggregate(orders=Sum("win_orders"), growth=Sum("win_growth"))
    # Money summed exactly in Python: SQLite's SUM adds binary floats, which over a million
    # rows drifts by cents from the exact total DuckDB computes in decimals.
    spend = sum(
        Membership.objects.values_list("win_spend", flat=True).iterator(chunk_size=20000),
        Decimal(0),
    )
    return {
        "spend": str(spend.quantize(Decimal("0.01"))),
        "orders": int(sums["orders"] or 0),
        "growth": int(sums["growth"] or 0),
    }


def step_window_build(active: Active, today: dt.date) -> Step:
    rebuild = service("window", "window_rebuild")
    if rebuild is None:
        return missing("window.window_rebuild")
    seconds, _state = timed(lambda: rebuild(active, today))
    return {"status": "ok", "service": "window.window_rebuild", "seconds": seconds}


def step_regrade(active: Active, today: dt.date, actor: User) -> Step:
    dry_run = service("ladders", "ladder_dry_run")
    if dry_run is None:
        return missing("ladders.ladder_dry_run")
    seconds, result = timed(lambda: dry_run(actor=actor, version=active.version, today=today))
    step: Step = {"status": "ok", "service": "ladders.ladder_dry_run", "seconds": seconds}
    matrix = getattr(result, "matrix", None)
    if isinstance(matrix, dict):  # from-tier -> to-tier -> customers; the "to" side is graded
        counts: dict[str, int] = {}
        for row in matrix.values():
            for code, n in row.items():
                counts[code] = counts.get(code, 0) + int(n)
        step["tiers"] = dict(sorted(counts.items()))
    return step


def step_regrade_sql(active: Active, today: dt.date) -> Step:
    seconds, counts = timed(lambda: qualified_counts(active, today))
    return {"status": "ok", "service": "tiers.sql.tier_case", "seconds": seconds, "tiers": counts}


def _summary(report: Any) -> dict[str, Any]:
    """The JSON-safe numbers of a service's report dataclass (counts only)."""
    if not dataclasses.is_dataclass(report) or isinstance(report, type):
        return {}
    fields = dataclasses.asdict(report)
    return {k: v for k, v in fields.items() if isinstance(v, int) and not isinstance(v, bool)}


def step_reviews(active: Active, today: dt.date, *, nights: int = NIGHTS) -> tuple[Step, Step]:
    """The full review on ``today``, then ``nights`` nightly runs (roll + review) one after the
    other from the day after. The daily figure is the median night's, every night is kept:
    the first night after a bulk load is not a typical one (the write-ahead log and the
    connection's page cache start empty) and one night alone measures the machine's moment
    as much as the job."""
    review = service("grading", "tiers_review")
    roll = service("window", "window_roll")
    if review is None or roll is None:
        name = "grading.tiers_review" if review is None else "window.window_roll"
        return missing(name), missing(name)
    full, full_report = timed(lambda: review(today=today, full=True))
    runs: list[Step] = []
    for n in range(1, nights + 1):
        day = today + dt.timedelta(days=n)
        roll_seconds, rolled = timed(partial(roll, active, day))
        review_seconds, report = timed(partial(review, today=day))
        runs.append(
            {
                "day": day.isoformat(),
                "seconds": roll_seconds + review_seconds,
                "roll_seconds": roll_seconds,
                "review_seconds": review_seconds,
                "rows_rolled": rolled.rows,
                "rows_fell_below": rolled.fell_below,
                "report": _summary(report),
            }
        )
    median = sorted(runs, key=lambda run: run["seconds"])[(len(runs) - 1) // 2]
    return (
        {
            "status": "ok",
            "service": "grading.tiers_review(full)",
            "seconds": full,
            "report": _summary(full_report),
        },
        {
            "status": "ok",
            "service": "window.window_roll + grading.tiers_review",
            **median,
            "max_seconds": max(run["seconds"] for run in runs),
            "nights": runs,
        },
    )


def purchase_data(rng: random.Random, n: int) -> dict[str, Any]:
    price = Decimal(rng.randint(1_000, 500_000)) / 100
    return {
        "external_ref": f"bench-{n}",
        "channel": "store",
        "lines": [{"sku": "BENCH", "item_name": "bench", "quantity": "1", "unit_price": price}],
    }


def settle_wal() -> None:
    """SQLite: fold the write-ahead log the previous steps left into the database first, so
    the timed purchases pay for their own checkpoints and not for the bulk steps' ones."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def step_purchases(
    actor: User, *, calls: int = PURCHASE_CALLS, seed: int = 1, budget: float = PURCHASE_BUDGET
) -> Step:
    record = service("checkout", "purchase_record")
    if record is None:
        return missing("checkout.purchase_record")
    ids = list(
        Customer.objects.exclude(status=CustomerStatus.ARCHIVED).values_list("pk", flat=True)
    )
    settle_wal()
    rng = random.Random(seed)
    times: list[float] = []
    deadline = time.perf_counter() + budget
    for n in range(WARM_UP + calls):
        if times and time.perf_counter() > deadline:
            break
        data = purchase_data(rng, n)
        customer_id = rng.choice(ids)
        mark = time.perf_counter()
        record(actor=actor, customer_id=customer_id, data=data)
        seconds = time.perf_counter() - mark
        if n >= WARM_UP:
            times.append(seconds)
    times.sort()
    return {
        "status": "ok",
        "service": "checkout.purchase_record",
        "calls": len(times),
        "truncated": len(times) < calls,
        "p50": statistics.median(times),
        "p99": times[min(len(times) - 1, round(0.99 * len(times)) - 1)],
        "mean": statistics.fmean(times),
        "max": times[-1],
    }


def run_ours(today: dt.date, *, purchase_calls: int = PURCHASE_CALLS) -> dict[str, Any]:
    """Every step, in order; the counts and totals of step 1 for the agreement check."""
    active = active_programme()
    actor = admin_user()
    steps: dict[str, Step] = {"window_build": step_window_build(active, today)}
    steps["regrade"] = step_regrade(active, today, actor)
    steps["regrade_sql"] = step_regrade_sql(active, today)
    totals = figure_totals()
    steps["full_review"], steps["daily_review"] = step_reviews(active, today)
    steps["purchase"] = step_purchases(actor, calls=purchase_calls)
    return {
        "steps": steps,
        "tiers": steps["regrade_sql"]["tiers"],
        "totals": totals,
        "customers": Customer.objects.count(),
        "ladder_version": active.version,
        "lowest_tier": active.programme.ladder.lowest.code,
    }
