from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.tiers.strategies import ladders, metrics
from tiercard.tiers.criteria import Group, Op
from tiercard.tiers.evaluation import (
    Explanation,
    GroupResult,
    LeafResult,
    Result,
    explain,
    qualified_tier,
)
from tiercard.tiers.ladder import Ladder
from tiercard.tiers.metrics import Metric, Metrics
from tiercard.tiers.presets import card_ladder, default_ladder


def m(spend: str = "0", orders: int = 0, max_order: str = "0", days: int | None = 5) -> Metrics:
    return Metrics(
        spend=Decimal(spend),
        order_count=orders,
        max_order=Decimal(max_order),
        days_since_last_purchase=days,
    )


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        (m(), "basic"),
        (m("1999.99", 2), "basic"),
        (m("2000", 2), "standard"),
        (m("8000", 4), "premium"),
        (m("8000", 4, days=181), "standard"),
        (m("20000", 8), "vip"),
        (m("20000", 8, days=91), "premium"),
        (m("0", 1, "10000", days=None), "vip"),  # one big order is another route to VIP
    ],
)
def test_qualified_tier_on_the_default_ladder(figures: Metrics, expected: str) -> None:
    assert qualified_tier(default_ladder(), figures).code == expected


@pytest.mark.parametrize(
    ("growth", "expected"), [(999, "member"), (1000, "silver"), (20000, "diamond")]
)
def test_qualified_tier_on_the_card_ladder(growth: int, expected: str) -> None:
    assert qualified_tier(card_ladder(), Metrics(growth_value=growth)).code == expected


def test_explain_answers_why_this_customer_is_vip() -> None:
    why = explain(default_ladder(), m("25000", 9, "1200", days=30), "vip")
    assert why.met and why.tier.code == "vip"
    assert [(x.metric, x.op, x.threshold, x.actual, x.met) for x in why.leaves()] == [
        (Metric.SPEND, Op.GE, Decimal("20000.00"), Decimal("25000"), True),
        (Metric.ORDER_COUNT, Op.GE, 8, 9, True),
        (Metric.DAYS_SINCE_LAST_PURCHASE, Op.LE, 90, 30, True),
        (Metric.MAX_ORDER, Op.GE, Decimal("10000.00"), Decimal("1200"), False),
    ]
    assert isinstance(why.result, GroupResult) and why.result.kind is Group.ANY
    assert [child.met for child in why.result.children] == [True, False]


def test_explain_the_lowest_tier_has_nothing_to_meet() -> None:
    assert explain(default_ladder(), m(), "basic").leaves() == []
    assert explain(default_ladder(), m(), "basic").met


def test_explain_of_a_tier_not_reached() -> None:
    why = explain(default_ladder(), m("3000", 1), default_ladder().get("standard"))
    assert not why.met
    assert [x.met for x in why.leaves()] == [True, False]


# --- Properties ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Better:
    """Non-negative gains, and how many days the recency shrinks to (``None``: unchanged)."""

    spend: Decimal = Decimal("0")
    orders: int = 0
    growth: int = 0
    max_order: Decimal = Decimal("0")
    days: int | None = None

    def applied_to(self, base: Metrics) -> Metrics:
        days = base.days_since_last_purchase
        if self.days is not None and (days is None or self.days < days):
            days = self.days  # only ever more recent
        return replace(
            base,
            spend=base.spend + self.spend,
            order_count=base.order_count + self.orders,
            growth_value=base.growth_value + self.growth,
            max_order=base.max_order + self.max_order,
            days_since_last_purchase=days,
        )


gains = st.decimals(min_value=0, max_value=50_000, places=2)
betters = st.builds(
    Better,
    gains,
    st.integers(0, 50),
    st.integers(0, 50_000),
    gains,
    st.none() | st.integers(0, 2_000),
)


@settings(max_examples=300)
@given(ladders, metrics, betters)
@example(default_ladder(), m("9000", 5, days=None), Better(days=500))
def test_more_activity_never_lowers_the_tier(
    ladder: Ladder, before: Metrics, better: Better
) -> None:
    after = better.applied_to(before)
    assert ladder.index(qualified_tier(ladder, after)) >= ladder.index(
        qualified_tier(ladder, before)
    )


def test_never_bought_ranks_like_bought_long_ago() -> None:
    """Never bought counts as infinitely long ago: buying 500 days ago is more recent."""
    never = m("9000", 5, days=None)
    long_ago = m("9000", 5, days=500)
    assert qualified_tier(default_ladder(), never).code == "standard"
    assert qualified_tier(default_ladder(), long_ago).code == "standard"


def met_by_rule(result: Result) -> bool:
    """Recompute ``met`` from the leaves alone, by AND / OR, independently of the code."""
    if isinstance(result, LeafResult):
        return result.met
    mets = [met_by_rule(child) for child in result.children]
    return all(mets) if result.kind is Group.ALL else any(mets)


def leaf_is_right(leaf: LeafResult) -> bool:
    if leaf.actual is None:
        return leaf.met is (leaf.op in (Op.GE, Op.GT))
    expected = {
        Op.GE: leaf.actual >= leaf.threshold,
        Op.GT: leaf.actual > leaf.threshold,
        Op.LE: leaf.actual <= leaf.threshold,
        Op.LT: leaf.actual < leaf.threshold,
    }[leaf.op]
    return leaf.met is expected


def consistent(why: Explanation) -> bool:
    return all(leaf_is_right(x) for x in why.leaves()) and (
        why.result is None or met_by_rule(why.result) is why.met
    )


@given(ladders, metrics)
def test_the_qualified_tier_is_explained_as_met_and_the_next_one_as_not(
    ladder: Ladder, figures: Metrics
) -> None:
    tier = qualified_tier(ladder, figures)
    why = explain(ladder, figures, tier)
    assert why.met and consistent(why)
    above = ladder.above(tier)
    if above is not None:
        why_not = explain(ladder, figures, above)
        assert not why_not.met and consistent(why_not)
        assert any(not x.met for x in why_not.leaves())


@given(ladders, metrics)
def test_no_tier_above_the_qualified_one_holds(ladder: Ladder, figures: Metrics) -> None:
    position = ladder.index(qualified_tier(ladder, figures))
    assert not any(explain(ladder, figures, t).met for t in ladder.tiers[position + 1 :])
