"""Which tier a customer qualifies for, and why.

``qualified_tier`` is the highest tier whose criteria hold; the lowest tier (no criteria)
always qualifies, so there is always an answer. Because a ``Ladder`` only holds criteria that
reward activity, the result is monotone: more spend / orders / growth value / a bigger single
order / a more recent purchase never gives a lower tier.
"""

from __future__ import annotations

from dataclasses import dataclass

from tiercard.tiers.criteria import Criterion, Group, Leaf, Op, leaf_holds
from tiercard.tiers.ladder import Ladder, Tier
from tiercard.tiers.metrics import Metric, Metrics, Value


def qualified_tier(ladder: Ladder, metrics: Metrics) -> Tier:
    """The highest tier whose criteria hold for ``metrics``."""
    for tier in reversed(ladder.tiers):
        if tier.criteria is None or tier.criteria.holds(metrics):
            return tier
    raise AssertionError("unreachable: a Ladder's lowest tier has no criteria")


@dataclass(frozen=True)
class LeafResult:
    """One condition with the customer's actual figure: ``spend >= 5000.00``, actual 6200.00."""

    metric: Metric
    op: Op
    threshold: Value
    actual: Value | None
    met: bool


@dataclass(frozen=True)
class GroupResult:
    """An ``all`` / ``any`` group: ``met`` follows AND / OR over the children."""

    kind: Group
    met: bool
    children: tuple[Result, ...]


Result = LeafResult | GroupResult


@dataclass(frozen=True)
class Explanation:
    """Why ``tier`` does or does not hold. ``result`` is ``None`` for the lowest tier."""

    tier: Tier
    met: bool
    result: Result | None

    def leaves(self) -> list[LeafResult]:
        return [] if self.result is None else list(_leaf_results(self.result))


def explain(ladder: Ladder, metrics: Metrics, tier: Tier | str) -> Explanation:
    """Every condition of ``tier`` with the actual value and whether it is met.

    ``tier`` may be a code; an unknown code raises ``ValidationFailed`` (``unknown_tier``).
    """
    rung = ladder.get(tier if isinstance(tier, str) else tier.code)
    if rung.criteria is None:
        return Explanation(rung, True, None)
    result = evaluate(rung.criteria, metrics)
    return Explanation(rung, result.met, result)


def evaluate(criterion: Criterion, metrics: Metrics) -> Result:
    """The criterion tree annotated with actual values; ``met`` equals ``criterion.holds``."""
    if isinstance(criterion, Leaf):
        actual = metrics.value(criterion.metric)
        met = leaf_holds(criterion, actual)
        return LeafResult(criterion.metric, criterion.op, criterion.threshold, actual, met)
    children = tuple(evaluate(child, metrics) for child in criterion.children)
    met = _combine(criterion.kind, [child.met for child in children])
    return GroupResult(criterion.kind, met, children)


def _combine(kind: Group, mets: list[bool]) -> bool:
    return all(mets) if kind is Group.ALL else any(mets)


def _leaf_results(result: Result) -> list[LeafResult]:
    if isinstance(result, LeafResult):
        return [result]
    return [leaf for child in result.children for leaf in _leaf_results(child)]
