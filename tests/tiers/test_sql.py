"""The compiled ``Q`` / ``Case`` are inspected, and evaluated by a tiny interpreter, no database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, Value
from hypothesis import given

from tests.tiers.strategies import ladders, metrics, trees
from tiercard.tiers.criteria import Criterion, all_of, any_of, leaf
from tiercard.tiers.evaluation import qualified_tier
from tiercard.tiers.ladder import Ladder
from tiercard.tiers.metrics import Metrics
from tiercard.tiers.presets import card_ladder
from tiercard.tiers.sql import Columns, criterion_q, tier_case

TODAY = date(2026, 3, 1)
COLS = Columns("w_spend", "w_orders", "growth", "w_max", "last_on")


def test_an_and_of_or_compiles_to_nested_q() -> None:
    tree = any_of(
        all_of(leaf("spend", ">=", "5000"), leaf("order_count", ">=", 6)),
        leaf("max_order", ">", "3000"),
    )
    assert criterion_q(tree, COLS, today=TODAY) == Q(
        Q(Q(w_spend__gte=Decimal("5000.00")), Q(w_orders__gte=6)),
        Q(w_max__gt=Decimal("3000.00")),
        _connector=Q.OR,
    )


def test_recency_compiles_to_a_date_bound() -> None:
    recent = leaf("days_since_last_purchase", "<=", 90)
    assert criterion_q(recent, COLS, today=TODAY) == Q(last_on__gte=date(2025, 12, 1))
    lapsed = leaf("days_since_last_purchase", ">", 90)
    assert criterion_q(lapsed, COLS, today=TODAY) == Q(
        Q(last_on__lt=date(2025, 12, 1)), Q(last_on__isnull=True), _connector=Q.OR
    )


def test_tier_case_tries_the_highest_tier_first() -> None:
    case = tier_case(card_ladder(), COLS, today=TODAY)
    assert [(w.condition, w.result) for w in case.cases] == [
        (Q(growth__gte=20000), Value("diamond")),
        (Q(growth__gte=5000), Value("gold")),
        (Q(growth__gte=1000), Value("silver")),
    ]
    assert case.default == Value("member")


# --- A tiny interpreter of the Q objects built above ------------------------------------------


def row_of(figures: Metrics) -> dict[str, Any]:
    days = figures.days_since_last_purchase
    return {
        "w_spend": figures.spend,
        "w_orders": figures.order_count,
        "growth": figures.growth_value,
        "w_max": figures.max_order,
        "last_on": None if days is None else TODAY - timedelta(days=days),
    }


def matches(q: Q | tuple[str, Any], row: dict[str, Any]) -> bool:
    """SQL semantics: a comparison with NULL is not true."""
    if isinstance(q, tuple):
        column, lookup = q[0].rsplit("__", 1)
        actual = row[column]
        if lookup == "isnull":
            return (actual is None) is q[1]
        if actual is None:
            return False
        ops = {
            "gte": actual >= q[1],
            "gt": actual > q[1],
            "lte": actual <= q[1],
            "lt": actual < q[1],
        }
        return ops[lookup]
    results = [matches(child, row) for child in q.children]
    result = all(results) if q.connector == Q.AND else any(results)
    return result is not q.negated


@given(trees(), metrics)
def test_the_q_agrees_with_holds(tree: Criterion, figures: Metrics) -> None:
    assert matches(criterion_q(tree, COLS, today=TODAY), row_of(figures)) is tree.holds(figures)


@given(ladders, metrics)
def test_the_case_agrees_with_qualified_tier(ladder: Ladder, figures: Metrics) -> None:
    case = tier_case(ladder, COLS, today=TODAY)
    row = row_of(figures)
    chosen = next((w.result for w in case.cases if matches(w.condition, row)), case.default)
    assert chosen == Value(qualified_tier(ladder, figures).code)
