from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tiercard.core.errors import ValidationFailed
from tiercard.tiers.ladder import Ladder, Tier, dump_ladder, parse_ladder, unreachable_tiers
from tiercard.tiers.presets import PRESETS, card_ladder, default_ladder


def spend(threshold: str, op: str = ">=") -> dict[str, Any]:
    return {"metric": "spend", "op": op, "threshold": threshold}


def orders(threshold: int) -> dict[str, Any]:
    return {"metric": "order_count", "op": ">=", "threshold": threshold}


def tier(code: str, rank: int, criteria: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "rank": rank,
        "name_zh": code + "级",
        "name_en": code.title(),
        "colour": "#112233",
        "criteria": criteria,
    }


def good() -> dict[str, Any]:
    return {
        "tiers": [
            tier("basic", 1),
            tier("silver", 2, {"all": [spend("1000"), orders(2)]}),
            tier("gold", 3, {"all": [spend("5000"), orders(6)]}),
        ]
    }


def codes_of(data: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_ladder(data)
    codes: dict[str, list[str]] = caught.value.params["field_codes"]
    return codes


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_validate_and_round_trip_through_json(name: str) -> None:
    ladder = PRESETS[name]()
    assert parse_ladder(json.loads(json.dumps(dump_ladder(ladder)))) == ladder


def test_preset_names_and_order() -> None:
    assert [(t.code, t.name_zh) for t in default_ladder().tiers] == [
        ("basic", "基础级"),
        ("standard", "标准级"),
        ("premium", "高级"),
        ("vip", "VIP级"),
    ]
    assert [t.name_zh for t in card_ladder().tiers] == ["普通会员", "银卡", "金卡", "钻石"]


def test_tiers_are_sorted_by_rank_and_navigable() -> None:
    data = good()
    data["tiers"].reverse()
    ladder = parse_ladder(data)
    assert [t.code for t in ladder.tiers] == ["basic", "silver", "gold"]
    assert ladder.lowest.code == "basic" and ladder.highest.code == "gold"
    assert ladder.above("silver") == ladder.get("gold") and ladder.above("gold") is None
    assert ladder.below("silver") == ladder.lowest and ladder.below("basic") is None
    assert ladder.index(ladder.get("gold")) == 2


def test_unknown_tier_code() -> None:
    with pytest.raises(ValidationFailed) as caught:
        default_ladder().get("platinum")
    assert caught.value.code == "unknown_tier" and "tier" in caught.value.fields


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(good())
    change(data["tiers"])
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.clear(), {"tiers": ["empty_ladder"]}),
        (lambda t: t[2].update(code="silver"), {"tiers[2].code": ["duplicate_code"]}),
        (lambda t: t[2].update(rank=2), {"tiers[2].rank": ["duplicate_rank"]}),
        (lambda t: t[2].update(code="Gold!"), {"tiers[2].code": ["bad_code"]}),
        (lambda t: t[2].update(rank="3"), {"tiers[2].rank": ["not_integer"]}),
        (lambda t: t[1].update(colour="blue"), {"tiers[1].colour": ["bad_colour"]}),
        (lambda t: t[1].update(colour="#12345"), {"tiers[1].colour": ["bad_colour"]}),
        (lambda t: t[1].update(name_zh=" "), {"tiers[1].name_zh": ["required"]}),
        (lambda t: t[1].pop("name_en"), {"tiers[1].name_en": ["required"]}),
        (lambda t: t[1].update(level=1), {"tiers[1].level": ["unknown_key"]}),
        (lambda t: t.append(7), {"tiers[3]": ["not_object"]}),
        (
            lambda t: t[0].update(criteria=orders(0)),
            {"tiers[0].criteria": ["lowest_has_criteria"]},
        ),
        (lambda t: t[2].update(criteria=None), {"tiers[2].criteria": ["missing_criteria"]}),
        (
            lambda t: t[2].update(criteria={"all": [spend("5000"), orders(2)]}),
            {"tiers[2].criteria.all[1].threshold": ["thresholds_not_rising"]},
        ),
        (
            lambda t: t[2].update(criteria={"all": [spend("900"), orders(6)]}),
            {"tiers[2].criteria.all[0].threshold": ["thresholds_not_rising"]},
        ),
        (
            lambda t: t[2].update(criteria={"all": [spend("1000", ">="), orders(9)]}),
            {"tiers[2].criteria.all[0].threshold": ["thresholds_not_rising"]},
        ),
        (
            lambda t: t[2].update(criteria={"all": [spend("5000", "<="), orders(9)]}),
            {"tiers[2].criteria.all[0].op": ["wrong_direction"]},
        ),
        (
            lambda t: t[2].update(
                criteria={"metric": "days_since_last_purchase", "op": ">=", "threshold": 30}
            ),
            {"tiers[2].criteria.op": ["wrong_direction"]},
        ),
        (
            lambda t: t[2].update(
                criteria={"metric": "days_since_last_purchase", "op": "<", "threshold": 0}
            ),
            {"tiers[2].criteria.threshold": ["never_met"]},
        ),
        (
            lambda t: t[2].update(criteria={"all": []}),
            {"tiers[2].criteria.all": ["empty_group"]},
        ),
    ],
)
def test_each_broken_ladder_is_refused_at_its_path(
    change: Any, expected: dict[str, list[str]]
) -> None:
    assert codes_of(broken(change)) == expected


def test_not_a_ladder() -> None:
    assert codes_of([]) == {"tiers": ["not_list"]}
    assert codes_of({"tiers": {}}) == {"tiers": ["not_list"]}


def test_a_strict_operator_at_the_same_threshold_counts_as_rising() -> None:
    data = broken(lambda t: t[2].update(criteria={"all": [spend("1000", ">"), orders(9)]}))
    assert parse_ladder(data).highest.code == "gold"


def test_non_neighbours_are_compared_too() -> None:
    """gold (orders only) shares nothing with silver, but platinum's spend is below silver's."""
    data = good()
    data["tiers"][2]["criteria"] = orders(6)
    data["tiers"].append(tier("platinum", 4, {"all": [spend("800"), orders(7)]}))
    assert codes_of(data) == {"tiers[3].criteria.all[0].threshold": ["thresholds_not_rising"]}


def test_every_condition_that_does_not_rise_is_reported_once() -> None:
    data = good()
    data["tiers"][2]["criteria"] = {"all": [spend("900"), orders(1)]}
    data["tiers"].append(tier("platinum", 4, {"all": [spend("900"), orders(9)]}))
    assert codes_of(data) == {
        "tiers[2].criteria.all[0].threshold": ["thresholds_not_rising"],
        "tiers[2].criteria.all[1].threshold": ["thresholds_not_rising"],
        "tiers[3].criteria.all[0].threshold": ["thresholds_not_rising"],
    }


def test_recency_must_shrink_going_up() -> None:
    def recency(days: int) -> dict[str, Any]:
        return {"metric": "days_since_last_purchase", "op": "<=", "threshold": days}

    data = good()
    data["tiers"][1]["criteria"] = {"all": [spend("1000"), recency(180)]}
    data["tiers"][2]["criteria"] = {"all": [spend("5000"), recency(90)]}
    assert parse_ladder(data).highest.code == "gold"
    data["tiers"][2]["criteria"] = {"all": [spend("5000"), recency(365)]}
    assert codes_of(data) == {"tiers[2].criteria.all[1].threshold": ["thresholds_not_rising"]}


def test_each_branch_of_an_or_must_ask_more_than_the_lower_tier() -> None:
    """gold reached by spend alone at 500, below silver's 1,000: refused at that branch; the
    branch on orders alone shares no metric with silver and is a way of its own."""
    data = good()
    data["tiers"][2]["criteria"] = {"any": [spend("500"), orders(20)]}
    assert codes_of(data) == {"tiers[2].criteria.any[0].threshold": ["thresholds_not_rising"]}
    data["tiers"][2]["criteria"] = {"any": [{"all": [spend("5000"), orders(1)]}, orders(20)]}
    assert codes_of(data) == {
        "tiers[2].criteria.any[0].all[1].threshold": ["thresholds_not_rising"]
    }
    data["tiers"][2]["criteria"] = {"any": [spend("5000"), orders(20)]}
    assert parse_ladder(data).highest.code == "gold"


def test_a_ladder_cannot_be_built_invalid_in_python_either() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Ladder((Tier("a", 1, "甲", "A", "#FFFFFF"), Tier("b", 1, "乙", "B", "#FFFFFF")))
    assert caught.value.code == "duplicate_rank"  # the first problem found
    assert caught.value.params["field_codes"] == {
        "tiers[1].rank": ["duplicate_rank"],
        "tiers[1].criteria": ["missing_criteria"],
    }


@pytest.mark.parametrize(
    ("silver", "gold"),
    [
        # An OR below a simple tier: each way into silver already meets gold.
        ({"any": [spend("5000"), orders(10)]}, {"any": [spend("1000"), orders(5)]}),
        # An OR below an AND-free single condition on one of its metrics, strict or not.
        ({"any": [spend("5000"), spend("9000")]}, spend("5000")),
        # Nested: every branch of silver asks at least ¥5,000, more than all gold asks.
        (
            {
                "all": [
                    spend("5000"),
                    {"any": [orders(10), {"metric": "growth_value", "op": ">=", "threshold": 500}]},
                ]
            },
            spend("3000"),
        ),
    ],
)
def test_a_tier_whose_criteria_always_meet_a_higher_one_is_found(
    silver: dict[str, Any], gold: dict[str, Any]
) -> None:
    data = broken(lambda t: (t[1].update(criteria=silver), t[2].update(criteria=gold)))

    assert unreachable_tiers(parse_ladder(data)) == [("silver", "gold")]


@pytest.mark.parametrize(
    ("silver", "gold"),
    [
        # Another route into silver that gold does not give: silver stays reachable.
        ({"any": [spend("5000"), orders(10)]}, {"all": [spend("1000"), orders(20)]}),
        ({"any": [spend("5000"), orders(10)]}, spend("1000")),
        # A strict bound above a lenient one at the same threshold asks more.
        (spend("5000"), spend("5000", ">")),
    ],
)
def test_a_tier_with_a_way_of_its_own_is_kept(silver: dict[str, Any], gold: dict[str, Any]) -> None:
    data = broken(lambda t: (t[1].update(criteria=silver), t[2].update(criteria=gold)))

    assert unreachable_tiers(parse_ladder(data)) == []
