"""Tier criteria as data: a small AND / OR tree over leaf conditions, JSON-serialisable.

The plain-dict form (what a ladder's JSON field or an API body holds)::

    {"any": [
        {"all": [
            {"metric": "spend", "op": ">=", "threshold": "5000.00"},
            {"metric": "order_count", "op": ">=", "threshold": 6}
        ]},
        {"metric": "max_order", "op": ">=", "threshold": "3000.00"}
    ]}

Invariants of a parsed tree: money thresholds are ``Decimal`` with exactly 2 decimals
(dumped as strings, so money never passes through float), other thresholds are ``int``;
every threshold is >= 0 and fits its database column; every group has at least one child;
groups nest at most ``MAX_DEPTH`` deep.
``parse_criteria(dump_criteria(node)) == node`` for every valid tree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tiercard.core.money import MAX_AMOUNT, quantize
from tiercard.tiers.metrics import Metric, Metrics, Value
from tiercard.tiers.validation import RuleErrors, decimal_of, join

MAX_DEPTH = 4
"""Groups may nest this many levels (``any`` of ``all`` of ... ); deeper trees are refused."""

LEAF_KEYS = ("metric", "op", "threshold")
MAX_COUNT = 2**31 - 1
"""Count thresholds fit a 32-bit integer column; money ones ``MAX_AMOUNT`` (12 digits, 2 places)."""

E = TypeVar("E", bound=StrEnum)


class Op(StrEnum):
    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"

    @property
    def is_lower_bound(self) -> bool:
        """``>=`` and ``>`` ask for at least something; ``<=`` and ``<`` for at most."""
        return self in (Op.GE, Op.GT)

    def compare(self, actual: Value, threshold: Value) -> bool:
        if self is Op.GE:
            return actual >= threshold
        if self is Op.GT:
            return actual > threshold
        if self is Op.LE:
            return actual <= threshold
        return actual < threshold


class Group(StrEnum):
    ALL = "all"
    ANY = "any"


@dataclass(frozen=True)
class Leaf:
    """``metric op threshold``, e.g. ``spend >= 5000.00``."""

    metric: Metric
    op: Op
    threshold: Value

    def holds(self, metrics: Metrics) -> bool:
        return leaf_holds(self, metrics.value(self.metric))


@dataclass(frozen=True)
class Node:
    """An AND (``all``) or OR (``any``) of one or more children."""

    kind: Group
    children: tuple[Criterion, ...]

    def holds(self, metrics: Metrics) -> bool:
        results = (child.holds(metrics) for child in self.children)
        return all(results) if self.kind is Group.ALL else any(results)


Criterion = Leaf | Node


def all_of(*children: Criterion) -> Node:
    return Node(Group.ALL, tuple(children))


def any_of(*children: Criterion) -> Node:
    return Node(Group.ANY, tuple(children))


def leaf(metric: Metric | str, op: Op | str, threshold: Value | str) -> Leaf:
    """A leaf from Python values; the threshold is normalised like ``parse_criteria`` does."""
    m = Metric(metric)
    value = Decimal(threshold) if m.is_money else int(threshold)
    return Leaf(m, Op(op), quantize(Decimal(value)) if m.is_money else value)


def leaf_holds(condition: Leaf, actual: Value | None) -> bool:
    """Whether ``actual`` meets the condition; ``None`` (never bought) is infinitely large."""
    if actual is None:
        return condition.op.is_lower_bound
    return condition.op.compare(actual, condition.threshold)


def leaves(criterion: Criterion) -> Iterator[Leaf]:
    """Every leaf, depth first, left to right."""
    if isinstance(criterion, Leaf):
        yield criterion
        return
    for child in criterion.children:
        yield from leaves(child)


def depth(criterion: Criterion) -> int:
    """Levels of groups: a leaf is 0, ``all`` of leaves is 1."""
    if isinstance(criterion, Leaf):
        return 0
    return 1 + max(depth(child) for child in criterion.children)


# --- Dump ------------------------------------------------------------------------------------


def dump_criteria(criterion: Criterion) -> dict[str, Any]:
    """The plain, JSON-safe dict form; money thresholds become strings like ``"5000.00"``."""
    if isinstance(criterion, Leaf):
        threshold = str(criterion.threshold) if criterion.metric.is_money else criterion.threshold
        return {"metric": criterion.metric.value, "op": criterion.op.value, "threshold": threshold}
    return {criterion.kind.value: [dump_criteria(child) for child in criterion.children]}


# --- Parse -----------------------------------------------------------------------------------


def parse_criteria(data: object, *, path: str = "criteria") -> Criterion:
    """Parse the dict form; raise ``ValidationFailed`` naming every bad field by its path."""
    errors = RuleErrors()
    result = _parse(data, path, 1, errors)
    errors.raise_if_any()
    assert result is not None  # no errors means every part parsed
    return result


def _parse(data: object, path: str, level: int, errors: RuleErrors) -> Criterion | None:
    if not isinstance(data, Mapping):
        errors.add(path, "not_object", _("Expected an object."))
        return None
    groups = [g for g in Group if g.value in data]
    if groups:
        if len(data) != 1:
            errors.add(
                path,
                "bad_node",
                _("Give either one condition (metric, op, threshold) or one group (all / any)."),
            )
            return None
        return _parse_group(groups[0], data[groups[0].value], join(path, groups[0]), level, errors)
    return _parse_leaf(data, path, errors)


def _parse_group(
    kind: Group, items: object, path: str, level: int, errors: RuleErrors
) -> Node | None:
    if level > MAX_DEPTH:
        message = format_lazy(
            _("Conditions nest too deeply (at most {max} levels)."), max=MAX_DEPTH
        )
        errors.add(path, "too_deep", message)
        return None
    if not isinstance(items, list):
        errors.add(path, "not_list", _("Expected a list."))
        return None
    if not items:
        errors.add(path, "empty_group", _("A group needs at least one condition."))
        return None
    children = [_parse(item, f"{path}[{i}]", level + 1, errors) for i, item in enumerate(items)]
    if any(child is None for child in children):
        return None
    return Node(kind, tuple(c for c in children if c is not None))


def _parse_leaf(data: Mapping[str, object], path: str, errors: RuleErrors) -> Leaf | None:
    for key in data:
        if key not in LEAF_KEYS:
            errors.add(join(path, str(key)), "unknown_key", _("Unknown field."))
    for key in LEAF_KEYS:
        if key not in data:
            errors.add(join(path, key), "required", _("This field is required."))
    metric = _parse_choice(Metric, data.get("metric"), join(path, "metric"), errors)
    op = _parse_choice(Op, data.get("op"), join(path, "op"), errors)
    threshold = None
    if metric is not None and "threshold" in data:
        threshold = parse_threshold(metric, data["threshold"], join(path, "threshold"), errors)
    if metric is None or op is None or threshold is None:
        return None
    return Leaf(metric, op, threshold)


def _parse_choice(enum: type[E], raw: object, path: str, errors: RuleErrors) -> E | None:
    if raw is None:
        return None  # reported as required
    by_value = {member.value: member for member in enum}
    if isinstance(raw, str) and raw in by_value:
        return by_value[raw]
    code = "unknown_metric" if enum is Metric else "unknown_operator"
    choices = ", ".join(by_value)
    errors.add(path, code, format_lazy(_("Unknown value. Use one of: {choices}."), choices=choices))
    return None


def parse_threshold(metric: Metric, raw: object, path: str, errors: RuleErrors) -> Value | None:
    """A non-negative threshold: Decimal with <= 2 decimals for money, int otherwise.

    Floats and booleans are refused: JSON clients send money as a string or an integer.
    """
    number = decimal_of(raw)
    if number is None:
        errors.add(path, "not_a_number", _('Enter a number (money as a string, e.g. "5000.00").'))
        return None
    if number < 0:
        errors.add(path, "negative", _("Must be zero or more."))
        return None
    if number > (MAX_AMOUNT if metric.is_money else MAX_COUNT):
        errors.add(path, "too_large", _("This number is too large."))
        return None
    if metric.is_money:
        if number != quantize(number):
            errors.add(path, "too_many_decimals", _("Use at most 2 decimal places."))
            return None
        return quantize(number)
    if number != number.to_integral_value():
        errors.add(path, "not_integer", _("Enter a whole number."))
        return None
    return int(number)
