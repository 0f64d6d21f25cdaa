"""Loyalty state for customers and purchases written in bulk (demo data, benchmarks, imports).

Bulk writers bypass the checkout for speed, so afterwards the loyalty state is derived from
what they wrote, set-based, in a few statements whatever the size:

1. a growth entry per purchase not yet credited (``growth_for`` in SQL: floor of total × rate);
2. every membership's window figures (``window_rebuild``);
3. tiers: every customer still on the lowest tier moves to the tier they qualify for, with a
   ``joined`` history row (one INSERT ... SELECT and one UPDATE; no messages are queued:
   customers are not told they were "upgraded" by a data load);
4. an opening points balance per customer without ledger entries: one ``adjust`` entry and lot,
   worth the points the window's spend would have earned at the lowest tier's rate (the
   "opening balance" a business migrating from another system brings along).

Re-running is safe: each step skips what already exists (keys are unique).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone

from tiercard.core import suspend
from tiercard.loyalty.models import ChangeReason, EntryKind, GrowthKind, Membership, TierChange
from tiercard.loyalty.services.state import Active, active_programme
from tiercard.loyalty.services.statistics import analyze
from tiercard.loyalty.services.tier_sql import COLUMNS, const, insert_select, metrics_json
from tiercard.loyalty.services.window import _local_date, window_rebuild
from tiercard.tiers.earning import expires_on
from tiercard.tiers.sql import tier_case


@dataclass(frozen=True)
class BulkReport:
    growth_entries: int
    tier_changes: int
    opening_balances: int


def _floor_sql(expr: str) -> str:
    """Floor of a non-negative decimal expression, equal to ``Decimal`` flooring.

    SQLite computes with binary floats (0.29 × 100 = 28.999…), so a nudge far below a cent
    of a point lifts such values back before truncating; PostgreSQL's numeric is exact.
    """
    if connection.vendor == "postgresql":
        return f"FLOOR({expr})::bigint"
    return f"CAST(({expr}) + 0.0000001 AS INTEGER)"


def _key(prefix: str, column: str, suffix: str) -> str:
    if connection.vendor == "postgresql":
        return f"'{prefix}' || {column}::text || '{suffix}'"
    return f"'{prefix}' || {column} || '{suffix}'"


def growth_backfill(active: Active) -> int:
    """A growth entry for every purchase that has none (set-based)."""
    rate = active.programme.points.growth_per_yuan
    day_sql, day_params = _local_date("p.occurred_at")
    amount = _floor_sql("p.total * %s")
    sql = f"""
        INSERT INTO loyalty_growthentry
            (customer_id, occurred_on, amount, kind, key, purchase_id, ladder_version, note,
             actor_id, created_at)
        SELECT p.customer_id, {day_sql}, {amount}, %s, {_key("purchase:", "p.id", ":growth")},
               p.id, %s, '', NULL, %s
        FROM sales_purchase p
        WHERE {amount} > 0
          AND NOT EXISTS (SELECT 1 FROM loyalty_growthentry g WHERE g.purchase_id = p.id)
    """  # noqa: S608 (constant SQL fragments only)
    params: list[Any] = [
        *day_params,
        rate,
        GrowthKind.PURCHASE.value,
        active.version,
        connection.ops.adapt_datetimefield_value(timezone.now()),
        rate,
    ]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.rowcount)


def opening_balances(active: Active, today: dt.date) -> int:
    """One opening ``adjust`` entry and lot for every membership without points entries."""
    rules = active.programme.points
    points = _floor_sql("m.win_spend * %s")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    key = _key("opening:", "m.customer_id", "")
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO loyalty_pointsentry
                (customer_id, kind, points, balance_after, occurred_at, key, purchase_id,
                 reverses_id, ladder_version, note, actor_id, created_at)
            SELECT m.customer_id, %s, {points}, {points}, %s, {key}, NULL, NULL, %s,
                   %s, NULL, %s
            FROM loyalty_membership m
            WHERE {points} > 0
              AND NOT EXISTS (SELECT 1 FROM loyalty_pointsentry e
                              WHERE e.customer_id = m.customer_id)
            """,  # noqa: S608 (constant SQL fragments only)
            [
                EntryKind.ADJUST.value,
                rules.per_yuan,
                rules.per_yuan,
                now,
                active.version,
                "期初积分 / opening balance",
                now,
                rules.per_yuan,
            ],
        )
        created = int(cur.rowcount)
        cur.execute(
            """
            INSERT INTO loyalty_pointslot
                (entry_id, customer_id, points, remaining, earned_on, expires_on)
            SELECT e.id, e.customer_id, e.points, e.points, %s, %s
            FROM loyalty_pointsentry e
            WHERE e.key LIKE 'opening:%%'
              AND NOT EXISTS (SELECT 1 FROM loyalty_pointslot l WHERE l.entry_id = e.id)
            """,
            [today, expires_on(rules, today)],
        )
        cur.execute(
            """
            UPDATE loyalty_membership SET points_balance = e.points
            FROM loyalty_pointsentry e
            WHERE e.customer_id = loyalty_membership.customer_id
              AND e.key LIKE 'opening:%%' AND loyalty_membership.points_balance = 0
              AND NOT EXISTS (SELECT 1 FROM loyalty_pointsentry o
                              WHERE o.customer_id = e.customer_id AND o.id <> e.id)
            """
        )
    return created


def loyalty_bulk_init(today: dt.date) -> BulkReport:
    """Derive growth, figures, tiers and opening points after a bulk load (see module doc)."""
    active = active_programme()
    # SQLite: the member table's sort indexes on memberships (points, window spend, window
    # orders; listviews migration 0002) would be updated row by row by every statement below
    # and made the derivation at 1M customers 3.6 times slower; they are set aside and built
    # once at the end (crash-safe: the bookkeeping table restores them on the next run).
    # PostgreSQL keeps them: there the derivation runs outside one transaction and dropped
    # indexes would not come back after an interruption.
    aside = connection.vendor == "sqlite"
    if aside:
        suspend.restore_suspended()
        suspend.suspend([Membership._meta.db_table])
    try:
        with transaction.atomic():
            grown = growth_backfill(active)
        window_rebuild(active, today)
        with transaction.atomic():
            graded = initial_grading(active, today)
            opened = opening_balances(active, today)
    finally:
        if aside:
            suspend.restore_suspended()
    analyze()  # the planner needs to know how the new rows are spread (see statistics.py)
    return BulkReport(grown, graded, opened)


def initial_grading(active: Active, today: dt.date) -> int:
    """Lowest-tier memberships move to their qualified tier; returns how many moved."""
    ladder = active.programme.ladder
    lowest = ladder.lowest.code
    qualified = tier_case(ladder, COLUMNS, today=today)
    movers = Membership.objects.filter(tier=lowest).annotate(q=qualified).exclude(q=lowest)
    now = timezone.now()
    moved = insert_select(
        TierChange,
        movers,
        {
            "customer": F("customer_id"),
            "at": const(now, models.DateTimeField()),
            "effective_on": const(today, models.DateField()),
            "from_tier": const(lowest, models.CharField()),
            "to_tier": F("q"),
            "reason": const(ChangeReason.JOINED.value, models.CharField()),
            "ladder_version": const(active.version, models.IntegerField()),
            "metrics": metrics_json(today),
            "purchase": const(None, models.BigIntegerField()),
            "actor": const(None, models.BigIntegerField()),
            "note": const("", models.CharField()),
        },
    )
    Membership.objects.filter(tier=lowest).annotate(q=qualified).exclude(q=lowest).update(
        tier=qualified, tier_since=now, upgraded_at=now, ladder_version=active.version
    )
    return moved
