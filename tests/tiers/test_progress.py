from __future__ import annotations

from decimal import Decimal

from hypothesis import given

from tests.tiers.strategies import ladders, metrics
from tiercard.tiers.criteria import all_of, any_of, leaf
from tiercard.tiers.evaluation import qualified_tier
from tiercard.tiers.ladder import Ladder
from tiercard.tiers.metrics import Metric, Metrics
from tiercard.tiers.presets import default_ladder
from tiercard.tiers.progress import GroupGap, LeafGap, gaps, leaf_gap, progress


def test_progress_from_standard_to_premium_lists_each_gap() -> None:
    figures = Metrics(spend=Decimal("3200"), order_count=2, days_since_last_purchase=200)
    step = progress(default_ladder(), figures)
    assert step is not None
    assert (step.current.code, step.target.code) == ("standard", "premium")
    assert [(g.leaf.metric, g.met, g.gap) for g in step.todo] == [
        (Metric.SPEND, False, Decimal("4800.00")),
        (Metric.ORDER_COUNT, False, 2),
        (Metric.DAYS_SINCE_LAST_PURCHASE, False, None),  # only a new purchase helps
    ]


def test_progress_takes_the_closest_branch_of_an_or() -> None:
    figures = Metrics(
        spend=Decimal("9000"), order_count=4, max_order=Decimal("9500"), days_since_last_purchase=3
    )
    step = progress(default_ladder(), figures)
    assert step is not None and step.target.code == "vip"
    assert isinstance(step.gaps, GroupGap) and step.gaps.closest == 1
    assert [(g.leaf.metric, g.gap) for g in step.todo] == [(Metric.MAX_ORDER, Decimal("500.00"))]

    figures = Metrics(spend=Decimal("19000"), order_count=8, days_since_last_purchase=3)
    step = progress(default_ladder(), figures)
    assert step is not None and isinstance(step.gaps, GroupGap) and step.gaps.closest == 0
    assert [(g.leaf.metric, g.gap) for g in step.todo] == [(Metric.SPEND, Decimal("1000.00"))]


def test_no_progress_at_the_top() -> None:
    assert progress(default_ladder(), Metrics(max_order=Decimal("10000"))) is None


def test_progress_from_a_held_tier_above_the_qualified_one() -> None:
    step = progress(default_ladder(), Metrics(), current="premium")
    assert step is not None and (step.current.code, step.target.code) == ("premium", "vip")


def test_strict_bounds_need_one_more_unit() -> None:
    assert leaf_gap(leaf("order_count", ">", 5), 4).gap == 2
    assert leaf_gap(leaf("spend", ">", "100"), Decimal("100")).gap == Decimal("0.01")
    assert leaf_gap(leaf("spend", ">=", "100"), Decimal("100")).gap == 0


def test_shortfall_is_the_missing_fraction() -> None:
    assert leaf_gap(leaf("spend", ">=", "200"), Decimal("150")).shortfall == Decimal("0.25")
    assert leaf_gap(leaf("spend", ">=", "200"), Decimal("-50")).shortfall == 1
    tree = gaps(
        any_of(
            all_of(leaf("order_count", ">=", 4), leaf("growth_value", ">=", 10)),
            leaf("spend", ">=", "100"),
        ),
        Metrics(order_count=2, growth_value=5),
    )
    assert isinstance(tree, GroupGap)
    assert [c.shortfall for c in tree.children] == [Decimal("1.0"), 1]
    assert tree.closest == 0  # first on a tie


def meets(ladder: Ladder, figures: Metrics, todo: tuple[LeafGap, ...]) -> Metrics:
    """``figures`` after closing every gap in ``todo`` (a purchase today for recency)."""
    changes: dict[str, object] = {}
    for gap in todo:
        name = gap.leaf.metric.value
        if gap.gap is None:
            changes[name] = 0
        else:
            # Two conditions on one metric (spend >= 100 and spend > 50): the larger need wins.
            reached = getattr(figures, name) + gap.gap
            changes[name] = max(reached, changes.get(name, reached))  # type: ignore[type-var]
    return Metrics(**{**figures.__dict__, **changes})  # type: ignore[arg-type]


@given(ladders, metrics)
def test_closing_every_gap_reaches_the_target_tier(ladder: Ladder, figures: Metrics) -> None:
    step = progress(ladder, figures)
    if step is None:
        assert qualified_tier(ladder, figures) == ladder.highest
        return
    assert step.todo and all(not g.met for g in step.todo)
    after = meets(ladder, figures, step.todo)
    assert step.target.criteria is not None and step.target.criteria.holds(after)
