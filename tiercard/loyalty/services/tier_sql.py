"""SQL building blocks shared by the set-based tier passes (daily review, rule changes).

* ``COLUMNS`` maps the tier metrics onto ``Membership``'s window figures for ``tiers.sql``.
* ``at_least(ladder, i, today)`` holds for rows that qualify for tier ``i`` *or higher*; since
  ``qualified_tier`` is the highest tier whose criteria hold, ``qualified >= i`` is exactly the
  OR of the criteria of tiers ``i..top``. Comparing ranks this way needs no rank column.
* ``insert_select`` turns a queryset into ``INSERT INTO ... SELECT`` so history rows and
  outbox messages are written by the database in one statement, never row by row in Python.
* ``metrics_json`` is the SQL twin of ``state.metrics_snapshot`` (same keys, money as strings
  with two decimals, days since the last purchase as an integer or null).
* ``whole_months`` / ``months_cutoff`` define "months" for the downgrade policy: whole calendar
  months, ``whole_months(a, b)`` = the largest ``m`` with ``add_months(a, m) <= b``. Because
  ``add_months`` is monotone in its start date, ``whole_months(a, b) >= m`` is the same as
  ``a <= months_cutoff(b, m)``: a plain date comparison the database can run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connection, models
from django.db.models import ExpressionWrapper, F, Func, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONObject

from tiercard.core.timeutils import local_day_bounds
from tiercard.tiers.ladder import Ladder
from tiercard.tiers.policy import DowngradePolicy
from tiercard.tiers.sql import Columns, criterion_q
from tiercard.tiers.window import add_months

COLUMNS = Columns(
    spend="win_spend",
    order_count="win_orders",
    growth_value="win_growth",
    max_order="win_max_order",
    last_purchase_on="last_purchase_on",
)


def at_least(ladder: Ladder, index: int, today: dt.date) -> Q | None:
    """Rows qualifying for ``ladder.tiers[index]`` or above; ``None`` means every row."""
    if index <= 0:
        return None
    q = Q()
    for tier in ladder.tiers[index:]:
        assert tier.criteria is not None  # only the lowest tier has none
        q |= criterion_q(tier.criteria, COLUMNS, today=today)
    return q


def not_q(q: Q | None) -> Q:
    """The negation of an ``at_least`` result (``None`` = every row, so: no row)."""
    return Q(pk__in=[]) if q is None else ~q


def and_q(a: Q, b: Q | None) -> Q:
    return a if b is None else a & b


def below_held_q(ladder: Ladder, today: dt.date) -> Q:
    """Rows holding a tier above the lowest whose criteria they no longer meet (recency judged
    on ``today``). A row holding a code the ladder lacks is not matched."""
    q = Q(pk__in=[])
    for index, tier in enumerate(ladder.tiers[1:], start=1):
        q |= Q(tier=tier.code) & not_q(at_least(ladder, index, today))
    return q


def may_downgrade_q(policy: DowngradePolicy, day: dt.date, fell: dt.date | None = None) -> Q:
    """Rows the policy lets go down on ``day``: no lock still running, the protection months
    since the last upgrade over, and the grace over — counted from ``below_since`` or, for a
    projected fall (``fell``), from that date. Whether the row is below is the caller's part."""
    q = Q(lock_until__isnull=True) | Q(lock_until__lt=day)
    if policy.protected_months:
        cutoff = months_cutoff(day, policy.protected_months)
        q &= Q(upgraded_at__isnull=True) | Q(
            upgraded_at__lt=day_start(cutoff + dt.timedelta(days=1))
        )
    if policy.grace_months or fell is not None:
        cutoff = months_cutoff(day, policy.grace_months)
        if fell is None:
            q &= Q(below_since__lte=cutoff)
        elif fell > cutoff:
            q = Q(pk__in=[])
    return q


def whole_months(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start`` to ``end`` (0 when ``end`` is before a month)."""
    months = max((end.year - start.year) * 12 + end.month - start.month, 0)
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months


def months_cutoff(today: dt.date, months: int) -> dt.date:
    """The latest start date with ``whole_months(start, today) >= months``."""
    day = add_months(today, -months)
    while add_months(day + dt.timedelta(days=1), months) <= today:
        day += dt.timedelta(days=1)
    return day


def day_start(day: dt.date) -> dt.datetime:
    """Business midnight opening ``day`` (for comparing stored timestamps with dates)."""
    return local_day_bounds(day)[0]


class MoneyText(Func):
    """A money column as text with exactly two decimals (SQLite stores decimals as REAL)."""

    output_field = models.CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "printf('%%%%.2f', %(expressions)s)"
        return super().as_sql(compiler, connection, template=template)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS text)")


class DaysSince(Func):
    """Whole days from a date column to ``today``; NULL when the column is NULL."""

    output_field = models.IntegerField()

    def __init__(self, column: str, today: dt.date) -> None:
        super().__init__(Value(today, output_field=models.DateField()), F(column))

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "CAST(julianday(%(expressions)s) AS INTEGER)"
        return super().as_sql(compiler, connection, template=template, arg_joiner=") - julianday(")

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "(%(expressions)s)"
        return super().as_sql(compiler, connection, template=template, arg_joiner=" - ")


def metrics_json(today: dt.date) -> JSONObject:
    """The metrics snapshot of a membership row, built by the database."""
    return JSONObject(
        spend=MoneyText(F("win_spend")),
        order_count=F("win_orders"),
        growth_value=F("win_growth"),
        max_order=MoneyText(F("win_max_order")),
        days_since_last_purchase=DaysSince("last_purchase_on", today),
    )


def const(value: object, field: models.Field[Any, Any]) -> Value:
    """A typed constant for a SELECT list (NULLs need a type on PostgreSQL)."""
    return Value(value, output_field=field)


def insert_select(
    model: type[models.Model],
    source: QuerySet[Any],
    columns: Mapping[str, Any],
    *,
    skip_conflicts: bool = False,
) -> int:
    """``INSERT INTO model (columns) SELECT <expressions> FROM <source>``; rows inserted.

    ``columns`` maps model field names to expressions over ``source``'s rows.
    ``skip_conflicts`` adds ``ON CONFLICT DO NOTHING``: rows whose unique key is taken, also
    by a concurrent statement, are left out instead of failing the statement.
    """
    aliases = {f"ins_{name}": expr for name, expr in columns.items()}
    qs = source.order_by().annotate(**aliases).values_list(*aliases)
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    quote = connection.ops.quote_name
    targets = ", ".join(quote(_column(model, name)) for name in columns)
    if skip_conflicts:
        # The SELECT wrapped, with a WHERE of its own: SQLite would otherwise read the ON of
        # ON CONFLICT as a join constraint of the SELECT's last table.
        sql = f"SELECT * FROM ({sql}) AS src WHERE 1 = 1 ON CONFLICT DO NOTHING"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({targets}) {sql}", params)
        return int(cursor.rowcount)


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field.column


def ids_in(model: type[models.Model], ids: list[int]) -> Q:
    """``<model's customer column> IN (ids)`` with the ids written into the SQL.

    The ids are integers read from the database, so inlining them is safe; it spares the ORM
    preparing each of thousands of parameters through the related field on every statement.
    Only for the outer query of a statement (the column is qualified by the table name).
    """
    quote = connection.ops.quote_name
    column = f"{quote(model._meta.db_table)}.{quote(_column(model, 'customer'))}"
    listed = ",".join(str(int(i)) for i in ids)
    if connection.vendor == "postgresql":
        # One array literal: PostgreSQL plans ``IN (5000 literals)`` two to three times slower
        # (each a parsed constant), ~8 ms a statement for a review chunk at 1M members.
        sql = f"{column} = ANY('{{{listed}}}'::bigint[])"
    else:
        sql = f"{column} IN ({listed or 'NULL'})"
    condition = RawSQL(sql, ())  # noqa: S611 (integers only)
    return Q(ExpressionWrapper(condition, output_field=models.BooleanField()))
