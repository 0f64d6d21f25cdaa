"""Turning one backend's raw phase results into figures, targets and the agreement check.

Targets (from the benchmark's brief, for 1M customers / 10M purchases on 2 cores):

* full re-grade (dry run) at most 2× the DuckDB reference;
* daily review (window roll + review) under 1 s;
* one purchase with points and tier check: p50 under 2 ms, p99 under 10 ms;
* peak memory of our process under 1.5 GiB.

Agreement: our qualified tier counts (the ``GROUP BY`` over the maintained memberships, and
the dry run's "to" side) must equal DuckDB's over the raw purchases, and so must the window
spend, order and growth value totals.
Customers without a purchase have no row in the reference, and may have none in ours: both
sides count them in the lowest tier.
"""

from __future__ import annotations

from typing import Any

MIB = 2**20
MEMORY_LIMIT_MB = 1536.0


def _ratio(ours: float | None, reference: float | None) -> float | None:
    if ours is None or not reference:
        return None
    return ours / reference


def figure(
    name: str,
    unit: str,
    ours: float | None,
    *,
    reference: float | None = None,
    target: str | None = None,
    passed: bool | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "unit": unit,
        "ours": ours,
        "reference": reference,
        "ratio": _ratio(ours, reference),
        "target": target,
        "pass": passed,
        "source": source,
    }


def with_lowest(counts: dict[str, int], customers: int, lowest: str) -> dict[str, int]:
    """``counts`` with the customers it does not mention added to the lowest tier."""
    full = {code: n for code, n in counts.items() if n}
    missing = customers - sum(full.values())
    if missing:
        full[lowest] = full.get(lowest, 0) + missing
    return dict(sorted(full.items()))


def _seconds(step: dict[str, Any]) -> float | None:
    value = step.get("seconds")
    return float(value) if value is not None else None


def _judge(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def assess(raw: dict[str, Any]) -> dict[str, Any]:
    load, ref, ours = raw["load"], raw["reference"], raw["ours"]
    steps = ours["steps"]
    lowest = ours["lowest_tier"]
    customers = ours["customers"]
    our_tiers = with_lowest(ours["tiers"], customers, lowest)
    ref_tiers = with_lowest(ref["tiers"], customers, lowest)
    agreement = {
        "tiers": our_tiers == ref_tiers,
        "spend": ours["totals"]["spend"] == ref["totals"]["spend"],
        "orders": ours["totals"]["orders"] == ref["totals"]["orders"],
        "growth": ours["totals"]["growth"] == ref["totals"]["growth"],
    }
    if "tiers" in steps["regrade"]:  # the dry run's "to" side, bare customers included
        agreement["dry_run_tiers"] = (
            with_lowest(steps["regrade"]["tiers"], customers, lowest) == ref_tiers
        )
    reference = float(ref["seconds"])
    regrade = steps["regrade"]
    if regrade["status"] == "ok":
        regrade_seconds, regrade_source = _seconds(regrade), regrade["service"]
    else:  # until the dry-run service exists: the bare set-based grading query
        regrade_seconds, regrade_source = _seconds(steps["regrade_sql"]), "tiers.sql.tier_case"
    regrade_ratio = _ratio(regrade_seconds, reference)
    purchase = steps["purchase"]
    p50 = purchase.get("p50")
    p99 = purchase.get("p99")
    p50_ms = None if p50 is None else p50 * 1000
    p99_ms = None if p99 is None else p99 * 1000
    timed_calls = None if p50 is None else f"{purchase['service']}, {purchase['calls']} calls"
    daily = _seconds(steps["daily_review"])
    nights = steps["daily_review"].get("nights") or []
    daily_source = steps["daily_review"]["service"]
    if nights:
        worst = steps["daily_review"]["max_seconds"]
        daily_source += f", median of {len(nights)} nights (slowest {worst:.3f} s)"
    memory = float(ours["peak_memory_mb"])
    figures = [
        figure(
            "full re-grade (dry run)",
            "s",
            regrade_seconds,
            reference=reference,
            target="<= 2x reference",
            passed=None if regrade_ratio is None else regrade_ratio <= 2,
            source=regrade_source,
        ),
        figure(
            "window figures rebuilt from purchases",
            "s",
            _seconds(steps["window_build"]),
            reference=reference,
            source=steps["window_build"]["service"],
        ),
        figure(
            "grading query over memberships",
            "s",
            _seconds(steps["regrade_sql"]),
            reference=reference,
            source="tiers.sql.tier_case",
        ),
        figure(
            "full review (every member)",
            "s",
            _seconds(steps["full_review"]),
            source=steps["full_review"]["service"],
        ),
        figure(
            "daily review (roll + review)",
            "s",
            daily,
            target="< 1 s",
            passed=_judge(daily, 1.0),
            source=daily_source,
        ),
        figure(
            "one purchase p50",
            "ms",
            p50_ms,
            target="< 2 ms",
            passed=_judge(p50_ms, 2.0),
            source=timed_calls,
        ),
        figure(
            "one purchase p99",
            "ms",
            p99_ms,
            target="< 10 ms",
            passed=_judge(p99_ms, 10.0),
            source=timed_calls,
        ),
        figure(
            "peak memory (our services)",
            "MiB",
            memory,
            target="< 1536 MiB",
            passed=memory < MEMORY_LIMIT_MB,
        ),
        figure("bulk load", "s", float(load["seconds"])),
        figure(
            "loyalty state after the load",
            "s",
            load.get("loyalty_init_seconds"),
            source="bulk.loyalty_bulk_init",
        ),
        figure("Parquet export", "s", float(ref["export_seconds"])),
        figure("database size", "MiB", ours["database_bytes"] / MIB),
        figure("Parquet size", "MiB", ref["parquet_bytes"] / MIB),
    ]
    targeted = [f for f in figures if f["target"] is not None]
    return {
        "figures": figures,
        "agree": all(agreement.values()),
        "agreement": agreement,
        "tiers": {"ours": our_tiers, "reference": ref_tiers},
        "totals": {"ours": ours["totals"], "reference": ref["totals"]},
        "pass": all(f["pass"] is True for f in targeted) and all(agreement.values()),
        "missing": sorted(s["service"] for s in steps.values() if s["status"] == "missing"),
        "steps": steps,
        "load": load,
        "reference": {k: v for k, v in ref.items() if k not in {"tiers", "totals"}},
        "memory_mb": {
            phase: raw[phase]["peak_memory_mb"] for phase in ("load", "reference", "ours")
        },
    }
