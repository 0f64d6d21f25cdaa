"""Downgrade warnings ahead of the fall: for customers who still meet their tier today.

The review warns a customer below their tier ``warning_days`` before the planned downgrade
(``grading._Review.warn``). When the grace is shorter than the warning — no grace at all, or
one month of grace against 60 days of warning — a customer falls below fewer than
``warning_days`` before the downgrade is due, and that warning came late or never. This pass
finds them before they fall: if nothing more is bought, the figures only change as purchases
and growth entries leave the window and as the days since the last purchase grow, all known
today.

Method (set-based: a fixed number of statements, whatever the number of customers):

1. ``latest_warned_fall`` gives the last fall date ``L`` whose downgrade can be due by the
   horizon ``today + warning_days``; none (a grace long enough) means nothing to do.
2. Events: each purchase and growth entry leaving the window by ``L`` as (customer, ``k``),
   ``k`` the day (``today + k``) it leaves; each recency bound passing by ``L`` as an event
   without figures. Only for rows holding a tier above the lowest, not below it yet, whose
   lock and protection let them go down by the horizon.
3. Running sums per customer over ``k`` give the figures on each event day (figures change on
   no other day); the largest order is looked up again, among the purchases still in the
   window that day, only where a leaving purchase may have been it. The same ``Q`` as the
   review's (``below_held_q``) judges them, with ``last_purchase_on`` moved back ``k`` days:
   the days since the last purchase on ``today + k``, judged on ``today``.
4. The first event below is the fall, kept per customer in a temporary table of the
   connection (``FALLS``). The planned downgrade is the first day from it that the policy
   allows (lock, protection, grace counted from the fall): the date the card shows as
   ``Keep.downgrade_on``. ``downgrade_warnings.warnings_queue`` warns once per planned date,
   one set of statements per fall day over the table's rows; no customer passes through Python.

Rows warned ahead whose plan no longer holds (they bought again) lose ``warned_for``: a later
fall is a new plan and a new warning. Held under the window row, like a review chunk.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection, models, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from tiercard.loyalty.models import Membership
from tiercard.loyalty.services.downgrade_warnings import warnings_queue
from tiercard.loyalty.services.state import Active, active_programme
from tiercard.loyalty.services.tier_sql import (
    COLUMNS,
    below_held_q,
    day_start,
    may_downgrade_q,
)
from tiercard.loyalty.services.window import NOT_RETURNED, db_time, window_exclusive_lock
from tiercard.tiers.criteria import leaves
from tiercard.tiers.ladder import Ladder, recency_spans
from tiercard.tiers.metrics import Metric
from tiercard.tiers.policy import Landing, latest_warned_fall
from tiercard.tiers.sql import tier_case
from tiercard.tiers.window import add_months

TABLE = '"loyalty_membership"'
"""The projected rows are selected under the membership table's own name, so that ``Q``
objects written for ``Membership`` compile against them unchanged."""


def forecast_warn(today: dt.date) -> tuple[int, int]:
    """Warn the customers due to fall below their tier soon; returns (warned, cleared).

    ``warned`` counts messages written; ``cleared`` the rows whose earlier warning ahead no
    longer holds. Safe to re-run: a second run the same day writes nothing. The projection is
    computed first, without locks, into a temporary table of this connection (it is the slow
    part: one pass over the purchases leaving the window); the writes then run in one short
    transaction under the window row, set-based over that table (a fixed number of statements
    per fall day, never a loop over customers), and only if the programme is still the one
    projected under (a rule change in between: the next night's run warns under the new one).
    """
    active = active_programme()
    programme = active.programme
    last = None
    if programme.warning_days:
        last = latest_warned_fall(today, programme.warning_days, programme.policy.grace_months)
    try:
        _project(active, today, last)
        with transaction.atomic():
            window_exclusive_lock()
            if active_programme().version != active.version:
                return 0, 0
            return _warn_projected(active, today)
    finally:
        _drop()


def _warn_projected(active: Active, today: dt.date) -> tuple[int, int]:
    programme = active.programme
    one_step = programme.policy.landing is Landing.ONE_STEP
    with connection.cursor() as cur:
        # A row written since it was projected (a purchase, a return, an override) is left
        # for the next night: what was projected of it may no longer hold, and a customer
        # just upgraded must not be warned about the tier they left.
        cur.execute(
            f"DELETE FROM {FALLS} WHERE NOT EXISTS (SELECT 1 FROM {TABLE} "  # noqa: S608
            f"WHERE {TABLE}.customer_id = {FALLS}.customer_id "
            f"AND {TABLE}.updated_at = {FALLS}.seen)"
        )
        # The groups, not the customers: one per fall day (and landing tier, when it is not
        # one step down), each warned by one set of statements.
        landing = "''" if one_step else "landing"
        cur.execute(f"SELECT DISTINCT fc_k, {landing} FROM {FALLS} ORDER BY 1, 2")  # noqa: S608
        groups = cur.fetchall()
    now = timezone.now()
    horizon = today + dt.timedelta(days=programme.warning_days)
    warned = 0
    for k, to_tier in groups:
        fell = today + dt.timedelta(days=k)
        # The grace alone allows the downgrade from add_months(fell, grace) on; later days
        # only for rows a lock or the protection holds longer.
        first = add_months(fell, programme.policy.grace_months)
        days = [first + dt.timedelta(days=n) for n in range((horizon - first).days + 1)]
        members = f"SELECT customer_id FROM {FALLS} WHERE fc_k = %s"  # noqa: S608
        params: list[Any] = [k]
        if not one_step:
            members += " AND landing = %s"
            params.append(to_tier)
        warned += warnings_queue(
            # Still not below: a row the review or a return moved below meanwhile is the
            # review's to warn, from its own ``below_since``.
            Membership.objects.filter(
                pk__in=RawSQL(members, params),  # noqa: S611 (constant SQL, values as params)
                below_since__isnull=True,
            ),
            [(may_downgrade_q(programme.policy, day, fell), day) for day in days],
            to_tier=one_step_landing(programme.ladder)
            if one_step
            else Value(to_tier, output_field=models.CharField()),
            version=active.version,
            now=now,
        )
    # Warnings ahead whose plan no longer holds (they bought again): a later fall is a new
    # plan and a new warning. The partial index of the few warned rows serves the read, and a
    # night that changes nothing writes nothing.
    stale = Membership.objects.filter(below_since__isnull=True, warned_for__isnull=False).exclude(
        pk__in=RawSQL(f"SELECT customer_id FROM {FALLS}", ())  # noqa: S611, S608
    )
    cleared = stale.update(warned_for=None) if stale.exists() else 0
    return warned, cleared


def one_step_landing(ladder: Ladder) -> Case:
    """The tier one step below the held one, as SQL over the membership row."""
    codes = [tier.code for tier in ladder.tiers]
    return Case(
        *[When(tier=code, then=Value(codes[i - 1])) for i, code in enumerate(codes) if i],
        default=Value(codes[0]),
        output_field=models.CharField(),
    )


FALLS = "tc_forecast_falls"
"""The projection: a temporary table of this connection, (customer_id, fc_k, landing, seen),
one row per candidate: its first projected fall on ``today + fc_k``, the tier it would land on,
and the row's ``updated_at`` when projected (every writer of a membership sets it)."""


def _drop() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {FALLS}")


def _project(active: Active, today: dt.date, last: dt.date | None) -> int:
    """Fill ``FALLS`` with the first projected fall of every candidate; returns how many.
    Read without locks; written to this connection's own temporary table only."""
    _drop()
    types = (
        "bigint PRIMARY KEY, fc_k integer, landing varchar(32), seen timestamptz"
        if connection.vendor == "postgresql"
        else "integer PRIMARY KEY, fc_k integer, landing text, seen text"
    )
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE {FALLS} (customer_id {types})")
    projected = _projection_sql(active, today, last) if last is not None else None
    if projected is None:
        return 0
    sql, params = projected
    with connection.cursor() as cur:
        # The first fall of each customer (its earliest event day judged below), in one pass.
        cur.execute(
            f"INSERT INTO {FALLS} (customer_id, fc_k, landing, seen) "  # noqa: S608
            "SELECT customer_id, fc_k, landing, updated_at FROM ("
            "SELECT j.customer_id, j.fc_k, j.landing, j.updated_at, ROW_NUMBER() OVER "
            f"(PARTITION BY j.customer_id ORDER BY j.fc_k) AS nth FROM ({sql}) j) first "
            "WHERE nth = 1",
            params,
        )
        cur.execute(f"SELECT COUNT(*) FROM {FALLS}")  # noqa: S608
        return int(cur.fetchone()[0])


def _projection_sql(
    active: Active, today: dt.date, last: dt.date
) -> tuple[str, tuple[Any, ...]] | None:
    """Every candidate's projected rows judged below its tier: (customer_id, fc_k, landing,
    updated_at); None when nothing can fall by ``last``."""
    programme = active.programme
    ladder = programme.ladder
    if len(ladder.tiers) < 2:
        return None
    horizon = today + dt.timedelta(days=programme.warning_days)
    candidates = Membership.objects.filter(
        Q(tier__in=[tier.code for tier in ladder.tiers[1:]], below_since__isnull=True)
        & ~below_held_q(ladder, today)
        & may_downgrade_q(programme.policy, horizon, fell=today)
    )
    events_sql, events_params = _events_sql(active, today, last, candidates)
    if not events_sql:
        return None
    if programme.policy.landing is Landing.QUALIFIED:
        landing: Any = tier_case(ladder, COLUMNS, today=today)
    else:
        landing = one_step_landing(ladder)
    judged = (
        Membership.objects.filter(below_held_q(ladder, today))
        .annotate(fc_k=RawSQL(f"{TABLE}.fc_k", (), output_field=models.IntegerField()))  # noqa: S611 (a constant column name)
        .annotate(landing=landing)
        .order_by()
        .values_list("customer_id", "fc_k", "landing", "updated_at")
    )
    sql, params = judged.query.sql_with_params()
    source = f"FROM {TABLE}"
    assert sql.count(source) == 1, "the judged query reads one table"
    sql = sql.replace(source, f"FROM ({events_sql}) {TABLE}")
    before = sql.partition(events_sql)[0].count("%s")  # the judged query's own parameters
    return sql, (*params[:before], *events_params, *params[before:])


def _events_sql(
    active: Active, today: dt.date, last: dt.date, candidates: QuerySet[Membership]
) -> tuple[str, list[Any]]:
    """The candidates' projected rows, one per (customer, event day), under membership column
    names plus ``fc_k``; ``("", [])`` when nothing can change by ``last``.

    Money is cast to NUMERIC: SQLite gives a computed column no affinity, and Django passes
    decimal thresholds as text, which such a column would compare as greater than any number.
    """
    programme = active.programme
    window, ladder = programme.window, programme.ladder
    used = {
        leaf.metric
        for tier in ladder.tiers[1:]
        if tier.criteria is not None
        for leaf in leaves(tier.criteria)
    }
    n = (last - today).days
    starts = [window.start(today + dt.timedelta(days=k)) for k in range(n + 1)]
    parts: list[str] = []
    params: list[Any] = []
    leave_days = [k for k in range(1, n + 1) if starts[k] > starts[k - 1]]
    # Only the sources of the metrics the ladder reads: a ladder on spend and orders needs no
    # growth entries (as many again as purchases), one on growth value needs no purchases.
    if leave_days and used & {Metric.SPEND, Metric.ORDER_COUNT, Metric.MAX_ORDER}:
        at_case = " ".join(f"WHEN p.occurred_at < %s THEN {k}" for k in leave_days)
        parts.append(
            f"""SELECT p.customer_id AS cid, CASE {at_case} END AS k,
                       p.total - p.returned_amount AS spend,
                       CASE WHEN {NOT_RETURNED} THEN 1 ELSE 0 END AS orders,
                       0 AS growth, p.total - p.returned_amount AS top
                FROM sales_purchase p WHERE p.occurred_at >= %s AND p.occurred_at < %s"""  # noqa: S608 (constant SQL fragments only)
        )
        params += [db_time(day_start(starts[k])) for k in leave_days]
        params += [db_time(day_start(starts[0])), db_time(day_start(starts[n]))]
    if leave_days and Metric.GROWTH_VALUE in used:
        on_case = " ".join(f"WHEN g.occurred_on < %s THEN {k}" for k in leave_days)
        parts.append(
            f"""SELECT g.customer_id AS cid, CASE {on_case} END AS k, 0 AS spend, 0 AS orders,
                       g.amount AS growth, CAST(NULL AS DECIMAL) AS top
                FROM loyalty_growthentry g WHERE g.occurred_on >= %s AND g.occurred_on < %s"""  # noqa: S608
        )
        params += [starts[k] for k in leave_days] + [starts[0], starts[n]]
    for span in sorted(recency_spans(ladder)):
        # Lapses on ``last_purchase_on + span``: on day k for last = today + k - span.
        lapse = [(today + dt.timedelta(days=k - span), k) for k in range(1, n + 1)]
        by_day = " ".join(f"WHEN %s THEN {k}" for _day, k in lapse)
        parts.append(
            f"""SELECT r.customer_id AS cid, CASE r.last_purchase_on {by_day} END AS k,
                       0 AS spend, 0 AS orders, 0 AS growth, CAST(NULL AS DECIMAL) AS top
                FROM loyalty_membership r
                WHERE r.last_purchase_on >= %s AND r.last_purchase_on <= %s"""  # noqa: S608
        )
        params += [day for day, _k in lapse] + [lapse[0][0], lapse[-1][0]]
    if not parts:
        return "", []
    try:
        where_sql, where_params = _where(candidates)
    except EmptyResultSet:
        return "", []
    window_k = "PARTITION BY e.cid ORDER BY e.k ROWS UNBOUNDED PRECEDING"
    m = TABLE
    max_order = f"{m}.win_max_order"
    max_params: list[Any] = []
    if Metric.MAX_ORDER in used:
        # Looked up again only once a leaving purchase at least as large as the stored
        # largest has left: among the purchases still in the window on that day.
        still_in = " ".join(f"WHEN {k} THEN %s" for k in range(1, n + 1))
        max_order = f"""CASE WHEN COALESCE(MAX(e.top) OVER ({window_k}), -1)
                                  < {m}.win_max_order - 0.005
                             THEN {m}.win_max_order
                             ELSE COALESCE((SELECT MAX(q.total - q.returned_amount)
                                            FROM sales_purchase q
                                            WHERE q.customer_id = {m}.customer_id
                                              AND q.occurred_at >= CASE e.k {still_in} END),
                                           0) END"""  # noqa: S608 (constant SQL fragments only)
        max_params = [db_time(day_start(starts[k])) for k in range(1, n + 1)]
    sql = f"""SELECT {m}.customer_id AS customer_id, {m}.tier AS tier,
                     {m}.updated_at AS updated_at,
                     CAST({m}.win_spend - SUM(e.spend) OVER ({window_k}) AS NUMERIC)
                         AS win_spend,
                     {m}.win_orders - SUM(e.orders) OVER ({window_k}) AS win_orders,
                     {m}.win_growth - SUM(e.growth) OVER ({window_k}) AS win_growth,
                     CAST({max_order} AS NUMERIC) AS win_max_order,
                     {_days_back(f"{m}.last_purchase_on", "e.k")} AS last_purchase_on,
                     e.k AS fc_k
              FROM (SELECT u.cid AS cid, u.k AS k, SUM(u.spend) AS spend,
                           SUM(u.orders) AS orders, SUM(u.growth) AS growth, MAX(u.top) AS top
                    FROM ({" UNION ALL ".join(parts)}) u
                    GROUP BY u.cid, u.k) e
              JOIN {m} ON {m}.customer_id = e.cid
              WHERE {where_sql}"""  # noqa: S608 (constant SQL fragments only)
    return sql, [*max_params, *params, *where_params]


def _where(candidates: QuerySet[Membership]) -> tuple[str, list[Any]]:
    """The WHERE clause of ``candidates`` as SQL over the membership table's own name."""
    query = candidates.query
    compiler = query.get_compiler(using=candidates.db)
    try:
        sql, params = compiler.compile(query.where)
    except FullResultSet:
        return "1 = 1", []
    return sql, list(params)


def _days_back(date_sql: str, days_sql: str) -> str:
    """A date expression moved ``days_sql`` days earlier (NULL stays NULL)."""
    if connection.vendor == "postgresql":
        return f"({date_sql} - {days_sql})"
    return f"date({date_sql}, '-' || {days_sql} || ' days')"
