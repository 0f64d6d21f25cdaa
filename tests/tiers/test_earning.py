"""Points rules as pure functions: how much is earned, what a return takes back, when a lot
expires under each policy, and the rules' own validation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tiercard.core.errors import ValidationFailed
from tiercard.tiers.earning import (
    Expiry,
    PointsRules,
    expires_on,
    growth_for,
    parse_rules,
    points_for,
    pro_rata,
)


@pytest.mark.parametrize(
    ("expiry", "after", "earned_on", "last_day"),
    [
        (Expiry.NEVER, 1, date(2026, 5, 20), None),
        (Expiry.AFTER_DAYS, 30, date(2026, 5, 20), date(2026, 6, 19)),
        (Expiry.AFTER_DAYS, 1, date(2026, 12, 31), date(2027, 1, 1)),
        (Expiry.END_OF_MONTH, 0, date(2026, 5, 20), date(2026, 5, 31)),
        (Expiry.END_OF_MONTH, 1, date(2026, 1, 31), date(2026, 2, 28)),
        (Expiry.END_OF_MONTH, 1, date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (Expiry.END_OF_MONTH, 3, date(2026, 11, 2), date(2027, 2, 28)),
        (Expiry.END_OF_YEAR, 0, date(2026, 5, 20), date(2026, 12, 31)),
        (Expiry.END_OF_YEAR, 1, date(2026, 12, 31), date(2027, 12, 31)),
    ],
)
def test_each_expiry_policy_gives_the_last_usable_day(
    expiry: Expiry, after: int, earned_on: date, last_day: date | None
) -> None:
    assert expires_on(PointsRules(expiry=expiry, expiry_after=after), earned_on) == last_day


def test_points_are_floored_after_the_tier_and_birthday_multipliers() -> None:
    rules = PointsRules(per_yuan=Decimal("1"), birthday_multiplier=Decimal("2"))
    assert points_for(rules, Decimal("99.99"), multiplier=Decimal("1"), birthday=False) == 99
    assert points_for(rules, Decimal("99.99"), multiplier=Decimal("1.5"), birthday=False) == 149
    assert points_for(rules, Decimal("99.99"), multiplier=Decimal("1.5"), birthday=True) == 299
    assert points_for(rules, Decimal("0"), multiplier=Decimal("3"), birthday=True) == 0
    assert growth_for(PointsRules(growth_per_yuan=Decimal("0.5")), Decimal("99.99")) == 49


def test_returns_in_any_steps_take_back_exactly_what_was_earned() -> None:
    earned, total = 149, Decimal("99.99")
    steps = [Decimal("33.33"), Decimal("0.01"), Decimal("33.32"), Decimal("33.33")]
    taken, before = [], Decimal(0)
    for step in steps:
        taken.append(pro_rata(earned, total, before, step))
        before += step
    assert sum(taken) == earned and all(t >= 0 for t in taken)
    assert pro_rata(earned, total, Decimal(0), Decimal("50.00")) == 74  # floor(149 × 0.50005)
    assert pro_rata(0, total, Decimal(0), total) == 0


@pytest.mark.parametrize(
    ("data", "path", "code"),
    [
        ({"expiry": "weekly"}, "points.expiry", "unknown_expiry"),
        ({"expiry": "after_days", "expiry_after": 0}, "points.expiry_after", "out_of_range"),
        ({"expiry_after": True}, "points.expiry_after", "not_integer"),
        ({"expiry_after": 3651}, "points.expiry_after", "out_of_range"),
        ({"per_yuan": "many"}, "points.per_yuan", "not_a_number"),
        ({"birthday_multiplier": "0.5"}, "points.birthday_multiplier", "out_of_range"),
    ],
)
def test_bad_points_rules_are_refused_at_their_path(data: dict, path: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_rules(data)
    assert caught.value.params["field_codes"] == {path: [code]}


def test_good_points_rules_parse_with_defaults_filled_in() -> None:
    rules = parse_rules({"expiry": "end_of_month", "expiry_after": 2, "per_yuan": "1.5"})
    assert (rules.expiry, rules.expiry_after, rules.per_yuan) == (
        Expiry.END_OF_MONTH,
        2,
        Decimal("1.5"),
    )
    assert rules.birthday_multiplier == PointsRules().birthday_multiplier
