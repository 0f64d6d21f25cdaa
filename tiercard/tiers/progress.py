"""Progress to the next tier: per condition, how much is still missing.

For every leaf the *gap* is what the customer still has to add:

* ``spend >= 5000.00`` with 3200.00 spent: gap ``Decimal("1800.00")``;
  ``order_count > 5`` with 4 orders: gap ``2`` (strict bounds need one more unit, a cent for
  money); a met condition has gap 0;
* recency (``days_since_last_purchase <= 90``): gap 0 when met, ``None`` when not: no amount
  closes it, only a new purchase does.

An ``any`` group is reached through its *closest* branch. Closeness is the *shortfall*: for a
leaf, the gap as a fraction of what is needed, between 0 (met) and 1 (nothing done yet, or a
purchase is needed); an ``all`` adds its children's shortfalls, an ``any`` takes the smallest
(the first on a tie). ``todo`` lists the unmet leaves along the closest route: meeting all of
them meets the target tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tiercard.tiers.criteria import Criterion, Group, Leaf, Op, leaf_holds
from tiercard.tiers.evaluation import qualified_tier
from tiercard.tiers.ladder import Ladder, Tier
from tiercard.tiers.metrics import Metrics, Value

CENT = Decimal("0.01")
ZERO = Decimal("0")
ONE = Decimal("1")


@dataclass(frozen=True)
class LeafGap:
    """One condition: the actual figure, whether it is met, and the gap (see module doc)."""

    leaf: Leaf
    actual: Value | None
    met: bool
    gap: Value | None
    shortfall: Decimal


@dataclass(frozen=True)
class GroupGap:
    """An ``all`` / ``any``; ``closest`` is the index of the nearest branch of an ``any``."""

    kind: Group
    met: bool
    shortfall: Decimal
    children: tuple[Gap, ...]
    closest: int | None = None


Gap = LeafGap | GroupGap


@dataclass(frozen=True)
class Progress:
    """From ``current`` to ``target`` (the tier just above); ``todo`` is the closest route."""

    current: Tier
    target: Tier
    gaps: Gap
    todo: tuple[LeafGap, ...]


def progress(
    ladder: Ladder, metrics: Metrics, current: Tier | str | None = None
) -> Progress | None:
    """What is missing for the tier above ``current`` (default: the qualified tier).

    ``None`` at the top tier. Pass the customer's held tier as ``current`` when it differs
    from the qualified one (protection, grace or a manual override).
    """
    held = qualified_tier(ladder, metrics) if current is None else ladder.get(_code(current))
    target = ladder.above(held)
    if target is None:
        return None
    assert target.criteria is not None  # only the lowest tier has none
    result = gaps(target.criteria, metrics)
    return Progress(held, target, result, todo(result))


def _code(tier: Tier | str) -> str:
    return tier if isinstance(tier, str) else tier.code


def gaps(criterion: Criterion, metrics: Metrics) -> Gap:
    """The criterion tree with a gap per leaf and the closest branch of every ``any``."""
    if isinstance(criterion, Leaf):
        return leaf_gap(criterion, metrics.value(criterion.metric))
    children = tuple(gaps(child, metrics) for child in criterion.children)
    shortfalls = [child.shortfall for child in children]
    if criterion.kind is Group.ALL:
        return GroupGap(Group.ALL, all(c.met for c in children), sum(shortfalls, ZERO), children)
    closest = shortfalls.index(min(shortfalls))
    met = any(c.met for c in children)
    return GroupGap(Group.ANY, met, shortfalls[closest], children, closest)


def leaf_gap(condition: Leaf, actual: Value | None) -> LeafGap:
    met = leaf_holds(condition, actual)
    if met:
        return LeafGap(condition, actual, True, 0, ZERO)
    if actual is None or not condition.op.is_lower_bound:
        return LeafGap(condition, actual, False, None, ONE)
    needed = condition.threshold
    if condition.op is Op.GT:
        needed = needed + (CENT if condition.metric.is_money else 1)
    gap = needed - actual
    shortfall = min(ONE, Decimal(gap) / Decimal(needed)) if needed > 0 else ONE
    return LeafGap(condition, actual, False, gap, shortfall)


def todo(result: Gap) -> tuple[LeafGap, ...]:
    """Unmet leaves along the closest route; empty when ``result`` is met."""
    if result.met:
        return ()
    if isinstance(result, LeafGap):
        return (result,)
    if result.kind is Group.ANY:
        assert result.closest is not None
        return todo(result.children[result.closest])
    return tuple(leaf for child in result.children for leaf in todo(child))
