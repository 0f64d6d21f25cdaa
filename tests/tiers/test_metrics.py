from __future__ import annotations

from decimal import Decimal

import pytest

from tiercard.tiers.metrics import Metric, Metrics


def test_value_reads_the_named_figure() -> None:
    m = Metrics(spend=Decimal("12.50"), order_count=3, growth_value=7, max_order=Decimal("9"))
    assert [m.value(x) for x in Metric] == [Decimal("12.50"), 3, 7, Decimal("9"), None]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"spend": 12.5},
        {"max_order": Decimal("NaN")},
        {"order_count": True},
        {"growth_value": "3"},
        {"days_since_last_purchase": 1.0},
    ],
)
def test_wrong_types_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        Metrics(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"order_count": -1}, {"days_since_last_purchase": -1}])
def test_negative_counts_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        Metrics(**kwargs)  # type: ignore[arg-type]


def test_metric_kinds() -> None:
    assert {m for m in Metric if m.is_money} == {Metric.SPEND, Metric.MAX_ORDER}
    assert {m for m in Metric if m.lower_is_better} == {Metric.DAYS_SINCE_LAST_PURCHASE}


def test_the_facade_exports_what_it_lists() -> None:
    from tiercard.tiers import rules

    assert all(hasattr(rules, name) for name in rules.__all__)
    assert rules.qualified_tier(rules.default_ladder(), Metrics()).code == "basic"
