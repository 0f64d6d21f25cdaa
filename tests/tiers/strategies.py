"""Hypothesis strategies for metrics, rule trees and ladders."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from tiercard.tiers.criteria import MAX_DEPTH, Criterion, Group, Leaf, Node, Op, any_of
from tiercard.tiers.ladder import Ladder, Tier
from tiercard.tiers.metrics import Metric, Metrics
from tiercard.tiers.presets import card_ladder, default_ladder

money = st.decimals(min_value=0, max_value=100_000, places=2)
counts = st.integers(min_value=0, max_value=1_000)


def thresholds(metric: Metric) -> st.SearchStrategy[Decimal | int]:
    return money if metric.is_money else counts


@st.composite
def leaves(draw: st.DrawFn, *, rewarding: bool = False) -> Leaf:
    """Any leaf; with ``rewarding`` only the directions a ladder accepts."""
    metric = draw(st.sampled_from(Metric))
    ops = list(Op)
    if rewarding:
        ops = [op for op in ops if op.is_lower_bound != metric.lower_is_better]
    op = draw(st.sampled_from(ops))
    threshold = draw(thresholds(metric))
    if rewarding and op is Op.LT:
        threshold = max(threshold, 1)  # "< 0 days" can never be met; ladders refuse it
    return Leaf(metric, op, threshold)


def trees(levels: int = MAX_DEPTH, *, rewarding: bool = False) -> st.SearchStrategy[Criterion]:
    """Rule trees whose groups nest at most ``levels`` deep."""
    base = leaves(rewarding=rewarding)
    if levels == 0:
        return base
    groups = st.builds(
        Node,
        st.sampled_from(Group),
        st.lists(trees(levels - 1, rewarding=rewarding), min_size=1, max_size=3).map(tuple),
    )
    return st.one_of(base, groups)


@st.composite
def random_ladders(draw: st.DrawFn) -> Ladder:
    """1-5 tiers with arbitrary rewarding criteria, each wrapped in an ``any``.

    An ``any`` is never compared for rising thresholds, so every drawn ladder is valid and
    the evaluation properties hold for criteria far stranger than the presets.
    """
    size = draw(st.integers(min_value=1, max_value=5))
    tiers = [Tier("t0", 0, "零", "Zero", "#000000")]
    for rank in range(1, size):
        criteria = any_of(draw(trees(2, rewarding=True)))
        tiers.append(Tier(f"t{rank}", rank, f"级{rank}", f"Tier {rank}", "#123ABC", criteria))
    return Ladder(tuple(tiers))


ladders = st.one_of(st.just(default_ladder()), st.just(card_ladder()), random_ladders())

metrics = st.builds(
    Metrics,
    spend=st.decimals(min_value=-1_000, max_value=120_000, places=2),
    order_count=st.integers(min_value=0, max_value=1_200),
    growth_value=st.integers(min_value=-100, max_value=50_000),
    max_order=st.decimals(min_value=0, max_value=120_000, places=2),
    days_since_last_purchase=st.none() | st.integers(min_value=0, max_value=1_200),
)
