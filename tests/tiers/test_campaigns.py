"""Points campaigns (积分活动) as pure rules: when a bonus applies, that bonuses do not stack,
the JSON round trip, and every malformed campaign refused at its path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tiercard.core.errors import ValidationFailed
from tiercard.tiers.campaigns import Campaign, bonus
from tiercard.tiers.earning import PointsRules, dump_rules, parse_rules, points_for
from tiercard.tiers.programme import default_programme, dump_programme, parse_programme

DOUBLE_11 = Campaign("双11", date(2026, 11, 1), date(2026, 11, 11), Decimal("3"))
VIP_WEEK = Campaign("VIP周", date(2026, 11, 5), date(2026, 11, 20), Decimal("5"), ("vip",))


@pytest.mark.parametrize(
    ("day", "tier", "birthday", "expected"),
    [
        (date(2026, 10, 31), "basic", None, "1"),  # the day before
        (date(2026, 11, 1), "basic", None, "3"),  # first day included
        (date(2026, 11, 11), "basic", None, "3"),  # last day included
        (date(2026, 11, 12), "basic", None, "1"),
        (date(2026, 11, 6), "vip", None, "5"),  # both apply: the larger, not 15
        (date(2026, 11, 15), "basic", None, "1"),  # VIP week is not for basic
        (date(2026, 11, 15), "vip", None, "5"),
        (date(2026, 11, 2), "basic", Decimal("2"), "3"),  # birthday ×2 and ×3: 3
        (date(2026, 12, 2), "basic", Decimal("2"), "2"),
    ],
)
def test_the_largest_bonus_applies(
    day: date, tier: str, birthday: Decimal | None, expected: str
) -> None:
    assert bonus((DOUBLE_11, VIP_WEEK), day, tier, birthday) == Decimal(expected)


def test_points_for_takes_the_campaign_of_the_day_and_tier() -> None:
    rules = PointsRules(campaigns=(DOUBLE_11, VIP_WEEK))
    amount, vip = Decimal("99.90"), Decimal("1.5")

    on_day = points_for(
        rules, amount, multiplier=vip, birthday=False, day=date(2026, 11, 6), tier="vip"
    )
    no_day = points_for(rules, amount, multiplier=vip, birthday=False)

    assert on_day == 749  # floor(99.90 × 1.5 × 5)
    assert no_day == 149


def test_campaigns_round_trip_and_old_documents_stay_as_they_were() -> None:
    rules = PointsRules(campaigns=(DOUBLE_11, VIP_WEEK))
    dumped = dump_rules(rules)

    assert dumped["campaigns"][1] == {
        "name": "VIP周",
        "starts": "2026-11-05",
        "ends": "2026-11-20",
        "multiplier": "5",
        "tiers": ["vip"],
    }
    assert parse_rules(dumped) == rules
    assert "campaigns" not in dump_rules(PointsRules())  # no key for none


def _codes(points: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse_rules(points, path="")
    return caught.value.params["field_codes"]  # type: ignore[no-any-return]


GOOD = {"name": "双11", "starts": "2026-11-01", "ends": "2026-11-11", "multiplier": "3"}


@pytest.mark.parametrize(
    ("campaign", "path", "code"),
    [
        ({**GOOD, "ends": "2026-10-01"}, "campaigns[0].ends", "ends_before_start"),
        ({**GOOD, "starts": "2026-13-01"}, "campaigns[0].starts", "not_a_date"),
        ({**GOOD, "starts": 20261101}, "campaigns[0].starts", "not_a_date"),
        ({**GOOD, "multiplier": "0.5"}, "campaigns[0].multiplier", "out_of_range"),
        ({**GOOD, "multiplier": "11"}, "campaigns[0].multiplier", "out_of_range"),
        ({**GOOD, "multiplier": "1.00001"}, "campaigns[0].multiplier", "out_of_range"),
        ({**GOOD, "multiplier": "NaN"}, "campaigns[0].multiplier", "not_a_number"),
        ({**GOOD, "name": "  "}, "campaigns[0].name", "bad_name"),
        ({**GOOD, "name": "长" * 41}, "campaigns[0].name", "bad_name"),
        ({**GOOD, "tiers": "vip"}, "campaigns[0].tiers", "not_list"),
        ({**GOOD, "colour": "red"}, "campaigns[0].colour", "unknown_key"),
        ("双11", "campaigns[0]", "not_object"),
    ],
)
def test_a_malformed_campaign_is_refused_at_its_path(campaign: Any, path: str, code: str) -> None:
    assert _codes({"campaigns": [campaign]}).get(path) == [code]  # once, not twice


def test_too_many_campaigns_and_a_campaign_for_an_unknown_tier_are_refused() -> None:
    assert "too_many" in _codes({"campaigns": [GOOD] * 21})["campaigns"]
    document = dump_programme(default_programme())
    document["points"]["campaigns"] = [{**GOOD, "tiers": ["vip", "gold"]}]

    with pytest.raises(ValidationFailed) as caught:
        parse_programme(document)

    assert caught.value.params["field_codes"] == {"points.campaigns[0].tiers": ["unknown_tier"]}
    assert "“双11”" in str(caught.value.fields["points.campaigns[0].tiers"][0])
    assert "gold" in str(caught.value.fields["points.campaigns[0].tiers"][0])
    document["points"]["campaigns"] = [{**GOOD, "tiers": ["vip"]}]
    assert parse_programme(document).points.campaigns[0].tiers == ("vip",)
