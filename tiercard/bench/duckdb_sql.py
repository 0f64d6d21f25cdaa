"""The ladder compiled to a SQL ``CASE`` for the DuckDB reference, from the pure rules.

The reference must grade exactly like ``tiers.evaluation.qualified_tier``, so this compiler
follows ``tiers.sql`` (the Django compiler) rule for rule, over an aggregate with one row per
customer and these columns:

* ``spend``, ``max_order`` (DECIMAL), ``order_count``, ``growth_value`` (integers): never NULL,
  0 when nothing was bought in the window;
* ``last_on`` (DATE): the business day of the last purchase, NULL when never bought.

Recency is days between dates, ``date_diff('day', last_on, today)``; as in Python, a customer
who never bought is infinitely long ago (``>=`` / ``>`` hold for NULL, ``<=`` / ``<`` do not).
Thresholds are rendered as literals: they are validated numbers (Decimal or int), never text.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tiercard.tiers.criteria import Criterion, Group, Leaf
from tiercard.tiers.ladder import Ladder
from tiercard.tiers.metrics import Metric

COLUMNS = {
    Metric.SPEND: "spend",
    Metric.ORDER_COUNT: "order_count",
    Metric.GROWTH_VALUE: "growth_value",
    Metric.MAX_ORDER: "max_order",
}
LAST_ON = "last_on"


def literal(value: Decimal | int) -> str:
    """A numeric literal; money keeps its two decimals (DECIMAL, never a float)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"threshold must be Decimal or int, got {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"threshold must be finite, got {value!r}")
        return f"CAST({value} AS DECIMAL(18,2))"
    return str(int(value))


def days_since(today: date) -> str:
    """Whole days from the last purchase to ``today``; a later purchase counts as 0, as in
    ``loyalty.services.state.metrics_of``."""
    return f"greatest(date_diff('day', {LAST_ON}, DATE '{today.isoformat()}'), 0)"


def leaf_sql(condition: Leaf, *, today: date) -> str:
    threshold = literal(condition.threshold)
    op = condition.op.value
    if condition.metric is not Metric.DAYS_SINCE_LAST_PURCHASE:
        return f"({COLUMNS[condition.metric]} {op} {threshold})"
    test = f"{days_since(today)} {op} {threshold}"
    if condition.op.is_lower_bound:  # never bought is infinitely long ago
        return f"({LAST_ON} IS NULL OR {test})"
    return f"({LAST_ON} IS NOT NULL AND {test})"


def criterion_sql(criterion: Criterion, *, today: date) -> str:
    """A boolean SQL expression that holds for exactly the rows meeting ``criterion``."""
    if isinstance(criterion, Leaf):
        return leaf_sql(criterion, today=today)
    joiner = " AND " if criterion.kind is Group.ALL else " OR "
    return "(" + joiner.join(criterion_sql(c, today=today) for c in criterion.children) + ")"


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def tier_case_sql(ladder: Ladder, *, today: date) -> str:
    """``CASE WHEN <top tier> THEN 'vip' ... ELSE '<lowest>' END``, highest tier first."""
    whens = [
        f"WHEN {criterion_sql(tier.criteria, today=today)} THEN {quoted(tier.code)}"
        for tier in reversed(ladder.tiers)
        if tier.criteria is not None
    ]
    if not whens:
        return quoted(ladder.lowest.code)
    return "CASE " + " ".join(whens) + f" ELSE {quoted(ladder.lowest.code)} END"
