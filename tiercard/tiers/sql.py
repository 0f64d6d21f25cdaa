"""The same rule tree, compiled to SQL: a ``Q`` per criterion and a ``Case`` per ladder.

For set-based grading over a per-customer aggregate table (one row per customer holding the
window's figures), e.g.::

    Membership.objects.annotate(qualified=tier_case(ladder, COLUMNS, today=today))

Nothing here touches a database; the functions only build expressions. They agree with
``Criterion.holds`` row by row, given the column contract of ``Columns``:

* amount and count columns are NOT NULL (0 when nothing was bought);
* recency is stored as the *date* of the last purchase (``NULL`` when never bought), since a
  stored day count goes stale every night. ``days_since_last_purchase`` is
  ``(today - last_purchase_on).days``, so ``days <= 90`` becomes
  ``last_purchase_on >= today - 90 days``; as in Python, never bought counts as infinitely
  long ago (``>=`` / ``>`` hold for ``NULL``, ``<=`` / ``<`` do not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import CharField, Q, Value
from django.db.models.expressions import Case, When

from tiercard.tiers.criteria import Criterion, Group, Leaf, Op
from tiercard.tiers.ladder import Ladder
from tiercard.tiers.metrics import Metric

LOOKUP = {Op.GE: "gte", Op.GT: "gt", Op.LE: "lte", Op.LT: "lt"}
MIRROR = {Op.GE: Op.LE, Op.GT: Op.LT, Op.LE: Op.GE, Op.LT: Op.GT}
"""``days op t`` is ``last_purchase_on MIRROR[op] today - t``: more days, an earlier date."""


@dataclass(frozen=True)
class Columns:
    """Names of the aggregate columns (or annotations) each metric is read from."""

    spend: str
    order_count: str
    growth_value: str
    max_order: str
    last_purchase_on: str

    def of(self, metric: Metric) -> str:
        if metric is Metric.DAYS_SINCE_LAST_PURCHASE:
            return self.last_purchase_on
        name: str = getattr(self, metric.value)
        return name


def criterion_q(criterion: Criterion, columns: Columns, *, today: date) -> Q:
    """A ``Q`` that holds for exactly the rows whose figures meet ``criterion``."""
    if isinstance(criterion, Leaf):
        return leaf_q(criterion, columns, today=today)
    connector = Q.AND if criterion.kind is Group.ALL else Q.OR
    children = [criterion_q(child, columns, today=today) for child in criterion.children]
    return Q(*children, _connector=connector)


def leaf_q(condition: Leaf, columns: Columns, *, today: date) -> Q:
    column = columns.of(condition.metric)
    if condition.metric is not Metric.DAYS_SINCE_LAST_PURCHASE:
        return Q(**{f"{column}__{LOOKUP[condition.op]}": condition.threshold})
    assert isinstance(condition.threshold, int)
    boundary = today - timedelta(days=condition.threshold)
    q = Q(**{f"{column}__{LOOKUP[MIRROR[condition.op]]}": boundary})
    if condition.op.is_lower_bound:  # never bought is infinitely long ago
        q = Q(q, Q(**{f"{column}__isnull": True}), _connector=Q.OR)
    return q


def tier_case(ladder: Ladder, columns: Columns, *, today: date) -> Case:
    """``CASE WHEN <top tier> THEN 'vip' WHEN ... ELSE '<lowest>' END``: ``qualified_tier``."""
    whens = [
        When(criterion_q(tier.criteria, columns, today=today), then=Value(tier.code))
        for tier in reversed(ladder.tiers)
        if tier.criteria is not None
    ]
    return Case(*whens, default=Value(ladder.lowest.code), output_field=CharField())
