from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given

from tests.tiers.strategies import trees
from tiercard.core.errors import ValidationFailed
from tiercard.tiers.criteria import (
    Criterion,
    Group,
    Leaf,
    Node,
    Op,
    all_of,
    any_of,
    depth,
    dump_criteria,
    leaf,
    leaves,
    parse_criteria,
)
from tiercard.tiers.metrics import Metric, Metrics

# spend >= 5000 AND orders >= 6, OR one order >= 3000
EXAMPLE = {
    "any": [
        {
            "all": [
                {"metric": "spend", "op": ">=", "threshold": "5000.00"},
                {"metric": "order_count", "op": ">=", "threshold": 6},
            ]
        },
        {"metric": "max_order", "op": ">=", "threshold": "3000.00"},
    ]
}


def codes_of(data: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_criteria(data)
    assert set(caught.value.fields) == set(caught.value.params["field_codes"])
    codes: dict[str, list[str]] = caught.value.params["field_codes"]
    return codes


def test_parse_builds_the_tree() -> None:
    assert parse_criteria(EXAMPLE) == any_of(
        all_of(leaf("spend", ">=", "5000"), leaf("order_count", ">=", 6)),
        Leaf(Metric.MAX_ORDER, Op.GE, Decimal("3000.00")),
    )


def test_dump_is_the_dict_form_with_money_as_strings() -> None:
    assert dump_criteria(parse_criteria(EXAMPLE)) == EXAMPLE
    assert json.loads(json.dumps(dump_criteria(parse_criteria(EXAMPLE)))) == EXAMPLE


def test_thresholds_are_normalised() -> None:
    parsed = parse_criteria({"metric": "spend", "op": ">", "threshold": " 5000.5 "})
    assert parsed == Leaf(Metric.SPEND, Op.GT, Decimal("5000.50"))
    assert str(parsed.threshold) == "5000.50"  # type: ignore[union-attr]
    assert parse_criteria({"metric": "spend", "op": ">=", "threshold": "7.000"}) == Leaf(
        Metric.SPEND, Op.GE, Decimal("7.00")
    )
    assert parse_criteria({"metric": "order_count", "op": "<", "threshold": "6.00"}) == Leaf(
        Metric.ORDER_COUNT, Op.LT, 6
    )


@pytest.mark.parametrize(
    ("spend", "orders", "max_order", "expected"),
    [
        ("5000", 6, "0", True),
        ("4999.99", 6, "0", False),
        ("5000", 5, "0", False),
        ("0", 0, "3000", True),
        ("0", 0, "2999.99", False),
    ],
)
def test_holds_follows_and_or(spend: str, orders: int, max_order: str, expected: bool) -> None:
    metrics = Metrics(spend=Decimal(spend), order_count=orders, max_order=Decimal(max_order))
    assert parse_criteria(EXAMPLE).holds(metrics) is expected


@pytest.mark.parametrize(
    ("op", "days", "expected"),
    [
        ("<=", 90, True),
        ("<=", 91, False),
        ("<", 90, False),
        ("<=", None, False),  # never bought: not recent
        (">=", None, True),  # never bought: infinitely long ago
        (">", 90, False),
    ],
)
def test_recency_treats_never_bought_as_infinitely_long_ago(
    op: str, days: int | None, expected: bool
) -> None:
    criterion = leaf(Metric.DAYS_SINCE_LAST_PURCHASE, op, 90)
    assert criterion.holds(Metrics(days_since_last_purchase=days)) is expected


def test_leaves_and_depth() -> None:
    tree = parse_criteria(EXAMPLE)
    assert [x.metric for x in leaves(tree)] == [
        Metric.SPEND,
        Metric.ORDER_COUNT,
        Metric.MAX_ORDER,
    ]
    assert depth(tree) == 2
    assert depth(leaf("spend", ">=", 1)) == 0


def nest(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"metric": "spend", "op": ">=", "threshold": 1}
    for _ in range(levels):
        node = {"all": [node]}
    return node


def test_four_levels_of_groups_are_allowed_five_are_not() -> None:
    assert depth(parse_criteria(nest(4))) == 4
    assert codes_of(nest(5)) == {"criteria.all[0].all[0].all[0].all[0].all": ["too_deep"]}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], {"criteria": ["not_object"]}),
        ({"all": []}, {"criteria.all": ["empty_group"]}),
        ({"any": {}}, {"criteria.any": ["not_list"]}),
        ({"all": [], "any": []}, {"criteria": ["bad_node"]}),
        ({"all": [1]}, {"criteria.all[0]": ["not_object"]}),
        (
            {"metric": "visits", "op": ">=", "threshold": 1},
            {"criteria.metric": ["unknown_metric"]},
        ),
        ({"metric": "spend", "op": "==", "threshold": 1}, {"criteria.op": ["unknown_operator"]}),
        ({"metric": "spend", "op": ">=", "threshold": -1}, {"criteria.threshold": ["negative"]}),
        (
            {"metric": "spend", "op": ">=", "threshold": "1.005"},
            {"criteria.threshold": ["too_many_decimals"]},
        ),
        (
            {"metric": "spend", "op": ">=", "threshold": "10000000000"},
            {"criteria.threshold": ["too_large"]},
        ),
        (
            {"metric": "growth_value", "op": ">=", "threshold": 2**31},
            {"criteria.threshold": ["too_large"]},
        ),
        (
            {"metric": "spend", "op": ">=", "threshold": 1.5},
            {"criteria.threshold": ["not_a_number"]},
        ),
        (
            {"metric": "spend", "op": ">=", "threshold": "abc"},
            {"criteria.threshold": ["not_a_number"]},
        ),
        (
            {"metric": "spend", "op": ">=", "threshold": "Infinity"},
            {"criteria.threshold": ["not_a_number"]},
        ),
        (
            {"metric": "order_count", "op": ">=", "threshold": True},
            {"criteria.threshold": ["not_a_number"]},
        ),
        (
            {"metric": "order_count", "op": ">=", "threshold": "2.5"},
            {"criteria.threshold": ["not_integer"]},
        ),
        (
            {"metric": "spend", "op": ">="},
            {"criteria.threshold": ["required"]},
        ),
        (
            {"metric": "spend", "op": ">=", "threshold": 1, "unit": "CNY"},
            {"criteria.unit": ["unknown_key"]},
        ),
    ],
)
def test_each_problem_is_reported_at_its_path(data: Any, expected: dict[str, list[str]]) -> None:
    assert codes_of(data) == expected


def test_every_problem_is_reported_at_once() -> None:
    data = {
        "any": [
            {"metric": "spend", "op": ">=", "threshold": "5000.001"},
            {"all": [{"op": "=>", "threshold": 3}]},
        ]
    }
    assert codes_of(data) == {
        "criteria.any[0].threshold": ["too_many_decimals"],
        "criteria.any[1].all[0].metric": ["required"],
        "criteria.any[1].all[0].op": ["unknown_operator"],
    }


def test_the_error_code_and_messages_are_stable_and_translated() -> None:
    from django.utils import translation

    with pytest.raises(ValidationFailed) as caught:
        parse_criteria({"all": []}, path="body.criteria")
    error = caught.value
    assert error.code == "empty_group"
    assert error.http_status == 422
    with translation.override("en"):
        assert error.as_dict()["fields"] == {
            "body.criteria.all": ["A group needs at least one condition."]
        }


@given(trees())
def test_parse_of_dump_is_the_identity(tree: Criterion) -> None:
    assert parse_criteria(json.loads(json.dumps(dump_criteria(tree)))) == tree


@given(trees())
def test_generated_trees_respect_the_depth_limit_and_dump_money_as_strings(
    tree: Criterion,
) -> None:
    for condition in leaves(tree):
        expected = str if condition.metric.is_money else int
        assert isinstance(dump_criteria(condition)["threshold"], expected)
    assert depth(tree) <= 4


def test_group_holds_is_and_or() -> None:
    yes, no = leaf("order_count", ">=", 0), leaf("order_count", ">=", 1)
    m = Metrics()
    assert Node(Group.ANY, (no, yes)).holds(m) and not Node(Group.ALL, (no, yes)).holds(m)
