"""Window figures: building them from purchases (set-based) and rolling the window each night.

Invariant kept here and by the checkout: for every membership,

* ``win_spend`` = Σ (total − returned_amount), ``win_orders`` = count of purchases not fully
  returned, ``win_max_order`` = max (total − returned_amount), over purchases with
  ``occurred_at >= WindowState.window_start`` (business midnight);
* ``win_growth`` = Σ growth entries with ``occurred_on >= window_start``;
* ``last_purchase_on`` = business date of the latest purchase not fully returned (any date);
* ``growth_total`` = Σ all growth entries.

Both functions are set-based SQL (a handful of statements whatever the number of customers);
they run on SQLite (3.33+, ``UPDATE ... FROM``) and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from tiercard.core.timeutils import local_day_bounds
from tiercard.loyalty.models import Membership, WindowState
from tiercard.loyalty.services.state import Active, active_programme, spec_of
from tiercard.loyalty.services.tier_sql import below_held_q, ids_in

NOT_RETURNED = "p.returned_amount < p.total - 0.005"
"""A purchase still counts (as an order, for recency) unless fully returned. Compared with half
a cent to spare: SQLite holds the running sum of returns as a binary float."""


def _local_date(expr: str) -> tuple[str, list[Any]]:
    """SQL for the business date of a UTC timestamp expression, with its parameters."""
    from tiercard.core.timeutils import business_tz

    zone = business_tz()
    if connection.vendor == "postgresql":
        return f"(({expr}) AT TIME ZONE %s)::date", [str(zone)]
    offset = _fixed_offset_minutes(zone)
    if offset is not None:
        # SQLite's own date arithmetic: ten times faster than a Python function per row.
        return f"date({expr}, %s)", [f"{offset:+d} minutes"]
    # Django registers this function on every SQLite connection (the ORM's TruncDate uses it).
    return f"django_datetime_cast_date({expr}, %s, 'UTC')", [str(zone)]


def _fixed_offset_minutes(zone: dt.tzinfo) -> int | None:
    """The zone's UTC offset in minutes when it has no daylight saving (Asia/Shanghai since
    1991), judged over the years purchases can carry (2000 on); else ``None``."""
    offsets = {
        zone.utcoffset(dt.datetime(year, month, 15, 12))  # noqa: DTZ001 (probing the zone)
        for year in range(2000, dt.date.today().year + 2)  # noqa: DTZ011 (a year range)
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        return None
    (offset,) = offsets
    return None if offset is None else int(offset.total_seconds() // 60)


def db_time(value: dt.datetime) -> Any:
    """A datetime parameter in the form the backend stores (SQLite compares text)."""
    return connection.ops.adapt_datetimefield_value(value)


def window_exclusive_lock() -> None:
    """Take the window row for update: purchases, returns and tier overrides hold it shared, so
    the rebuild, the roll and each review chunk wait for them, and they wait in turn."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM loyalty_windowstate WHERE id = 1 FOR UPDATE")


def window_share_lock() -> None:
    """Held by a purchase, return or tier override while it changes a membership's figures or
    marks it for review (see ``window_roll`` and ``grading._Review.run``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM loyalty_windowstate WHERE id = 1 FOR SHARE")


def memberships_ensure(active: Active) -> int:
    """Insert a lowest-tier membership for every customer that has none; returns how many."""
    now = timezone.now()
    sql = """
        INSERT INTO loyalty_membership (
            customer_id, tier, tier_since, upgraded_at, below_since, warned_for, lock_until,
            override_reason, override_by_id, override_approved_by_id, ladder_version,
            win_spend, win_orders, win_max_order, win_growth, last_purchase_on, growth_total,
            points_balance, points_owed, updated_at)
        SELECT c.id, %s, %s, NULL, NULL, NULL, NULL, '', NULL, NULL, %s,
               0, 0, 0, 0, NULL, 0, 0, 0, %s
        FROM customers_customer c
        WHERE NOT EXISTS (SELECT 1 FROM loyalty_membership m WHERE m.customer_id = c.id)
        ON CONFLICT DO NOTHING
    """
    with connection.cursor() as cur:
        cur.execute(sql, [active.programme.ladder.lowest.code, now, active.version, now])
        return int(cur.rowcount)


def window_rebuild(active: Active, today: dt.date) -> WindowState:
    """Recompute every membership's figures from purchases and growth entries.

    Used when the window definition changes, when the figures are first built (an existing
    database, the bulk loader, the benchmark) and as the reference the tests compare against.
    One transaction; tiers are not changed here (grading decides those). One statement that
    writes only the rows whose figures differ: a rebuild over figures already right writes
    nothing, and no row is written twice (each row version costs an entry in every index of
    the membership and, on PostgreSQL, a dead row for vacuum).
    """
    start = active.programme.window.start(today)
    since = local_day_bounds(start)[0]
    with transaction.atomic():
        # Create the window row first and lock it: two first uses at once (or a first use
        # beside the nightly job) then rebuild one after the other instead of deadlocking
        # over every membership row. The loser's insert waits for the winner's commit.
        WindowState.objects.get_or_create(
            pk=1, defaults={"window_start": start, "spec": spec_of(active)}
        )
        window_exclusive_lock()
        memberships_ensure(active)
        with connection.cursor() as cur:
            cur.execute(*_rebuild_sql(start, since))
        state, _created = WindowState.objects.update_or_create(
            pk=1,
            defaults={"window_start": start, "spec": spec_of(active), "rolled_at": timezone.now()},
        )
    return state


def _rebuild_sql(start: dt.date, since: dt.datetime) -> tuple[str, list[Any]]:
    """The rebuild's UPDATE: every figure of every membership from one pass over the purchases
    and one over the growth entries, compared with the stored figures."""
    last_day, last_params = _local_date("MAX(u.last_at)")
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    sql = f"""UPDATE loyalty_membership SET
            win_spend = n.spend, win_orders = n.orders, win_max_order = n.max_order,
            win_growth = n.win_growth, last_purchase_on = n.last_on, growth_total = n.growth
        FROM (SELECT m.customer_id AS cid, COALESCE(a.spend, 0) AS spend,
                     COALESCE(a.orders, 0) AS orders, COALESCE(a.max_order, 0) AS max_order,
                     COALESCE(a.win_growth, 0) AS win_growth, a.last_on AS last_on,
                     COALESCE(a.growth, 0) AS growth
              FROM loyalty_membership m LEFT JOIN (
                SELECT u.cid AS cid, SUM(u.spend) AS spend, SUM(u.orders) AS orders,
                       MAX(u.top) AS max_order, SUM(u.win_growth) AS win_growth,
                       SUM(u.growth) AS growth, {last_day} AS last_on
                FROM (SELECT p.customer_id AS cid,
                             CASE WHEN p.occurred_at >= %s
                                  THEN p.total - p.returned_amount ELSE 0 END AS spend,
                             CASE WHEN p.occurred_at >= %s AND {NOT_RETURNED}
                                  THEN 1 ELSE 0 END AS orders,
                             CASE WHEN p.occurred_at >= %s
                                  THEN p.total - p.returned_amount END AS top,
                             0 AS win_growth, 0 AS growth,
                             CASE WHEN {NOT_RETURNED} THEN p.occurred_at END AS last_at
                      FROM sales_purchase p
                      UNION ALL
                      SELECT g.customer_id, 0, 0, NULL,
                             CASE WHEN g.occurred_on >= %s THEN g.amount ELSE 0 END,
                             g.amount, NULL
                      FROM loyalty_growthentry g) u
                GROUP BY u.cid) a ON a.cid = m.customer_id) n
        WHERE loyalty_membership.customer_id = n.cid
          AND (loyalty_membership.win_spend <> n.spend
               OR loyalty_membership.win_orders <> n.orders
               OR loyalty_membership.win_max_order <> n.max_order
               OR loyalty_membership.win_growth <> n.win_growth
               OR loyalty_membership.growth_total <> n.growth
               OR loyalty_membership.last_purchase_on {differs} n.last_on)"""  # noqa: S608 (constant SQL fragments only)
    at = db_time(since)
    return sql, [*last_params, at, at, at, start]


@dataclass(frozen=True)
class Rolled:
    """What one nightly roll did: ``rows`` memberships had figures leave the window;
    ``fell_below`` of them no longer meet their held tier and start their grace today."""

    rows: int
    fell_below: int = 0


FALL_CHUNK = 10_000
"""Rolled rows judged per statement (their ids are written into it)."""


def window_roll(active: Active, today: dt.date) -> Rolled:
    """Advance the window to ``window.start(today)``; returns what changed.

    Subtracts the purchases and growth entries dated from the old start up to (not including)
    the new one, and recomputes ``win_max_order`` only for customers whose largest purchase may
    have left (a removed purchase at least as large as the stored maximum). Figures only fall
    here and tier criteria only reward activity (``tiers.ladder`` refuses any other
    direction), so the one thing a roll can change about a tier is that its holder no longer
    meets it: the roll sets ``below_since = today`` on those rows itself, in its transaction,
    as the day's review would have (``grading``: falling below starts the grace). The review
    then only reads rows with something due; rows the roll touched that keep their tier are
    not read again. Safe to re-run (a second run the same day finds the window already there)
    and safe beside live purchases: it takes the window row for update, purchases take it
    shared (PostgreSQL; SQLite serialises writers). A changed window definition rebuilds
    instead. ``active`` is the caller's reading of the programme; under the window row's lock
    the programme is read again (a rule change takes that lock too).
    """
    state = WindowState.objects.filter(pk=1).first()
    if state is None or state.spec != spec_of(active):
        window_rebuild(active, today)
        return Rolled(Membership.objects.count())
    with transaction.atomic():
        window_exclusive_lock()
        # Read again under the lock: a rule change holds the window row too, and one applied
        # while this waited has already rebuilt the window if its definition changed.
        active = active_programme()
        new_start = active.programme.window.start(today)
        state = WindowState.objects.get(pk=1)
        if new_start <= state.window_start:
            # Nothing left the window (a calendar period, or a re-run); note the run anyway:
            # the daily job reads ``rolled_at`` to tell a missed day from a quiet one.
            WindowState.objects.filter(pk=1).update(rolled_at=timezone.now())
            return Rolled(0)
        old, new = local_day_bounds(state.window_start)[0], local_day_bounds(new_start)[0]
        with connection.cursor() as cur:
            cur.execute(*_roll_sql(old, new, state.window_start, new_start))
            ids = [row[0] for row in cur.fetchall()]
        fell = 0
        below = below_held_q(active.programme.ladder, today)
        for i in range(0, len(ids), FALL_CHUNK):
            chunk = ids[i : i + FALL_CHUNK]
            fell += (
                Membership.objects.filter(ids_in(Membership, chunk), below_since__isnull=True)
                .filter(below)
                .update(below_since=today)
            )
        WindowState.objects.filter(pk=1).update(window_start=new_start, rolled_at=timezone.now())
    return Rolled(len(ids), fell)


def _roll_sql(
    old: dt.datetime, new: dt.datetime, old_start: dt.date, new_start: dt.date
) -> tuple[str, list[Any]]:
    """The roll's UPDATE, returning the customer id of every row it wrote.

    Purchases and growth entries leaving the window, summed per customer in one pass,
    subtracted in one statement: each membership row is written once (a second version of a
    row costs an entry in each of its indexes on PostgreSQL). The largest order is looked up
    again only where the largest leaving one may have been it (``gone``: NULL when only growth
    entries leave)."""
    sql = f"""UPDATE loyalty_membership SET
            win_spend = win_spend - a.spend, win_orders = win_orders - a.orders,
            win_growth = win_growth - a.growth,
            win_max_order = CASE
                WHEN a.gone >= loyalty_membership.win_max_order - 0.005 THEN COALESCE(
                    (SELECT MAX(p.total - p.returned_amount) FROM sales_purchase p
                     WHERE p.customer_id = loyalty_membership.customer_id
                       AND p.occurred_at >= %s), 0)
                ELSE loyalty_membership.win_max_order END
        FROM (SELECT cid, SUM(spend) AS spend, SUM(orders) AS orders,
                     SUM(growth) AS growth, MAX(gone) AS gone
              FROM (SELECT p.customer_id AS cid, p.total - p.returned_amount AS spend,
                           CASE WHEN {NOT_RETURNED} THEN 1 ELSE 0 END AS orders,
                           0 AS growth, p.total - p.returned_amount AS gone
                    FROM sales_purchase p
                    WHERE p.occurred_at >= %s AND p.occurred_at < %s
                    UNION ALL
                    SELECT g.customer_id, 0, 0, g.amount, NULL
                    FROM loyalty_growthentry g
                    WHERE g.occurred_on >= %s AND g.occurred_on < %s) u
              GROUP BY cid) a
        WHERE loyalty_membership.customer_id = a.cid
        RETURNING loyalty_membership.customer_id"""  # noqa: S608 (constant SQL fragments only)
    return sql, [db_time(new), db_time(old), db_time(new), old_start, new_start]
