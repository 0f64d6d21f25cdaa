"""Points (积分) and growth value (成长值) arithmetic: pure functions over integers and Decimals.

* Points earned on a purchase: ``floor(amount × per_yuan × tier multiplier × bonus)``, where the
  bonus is the largest of 1, the birthday-month multiplier when the purchase falls in the
  customer's birthday month, and the multipliers of the campaigns covering the purchase's day
  and the customer's tier (``campaigns``; bonuses do not stack). Always an integer >= 0; money
  never passes through float.
* Growth value earned on a purchase: ``floor(amount × growth_per_yuan)``; no multipliers, so
  growth value measures what the customer bought, not the promotions they hit.
* A return takes back the same share of both as it takes of the purchase's amount, computed on
  the cumulative returned amount so that the parts always add up: returning everything in three
  steps takes back exactly what was earned, never one point more or less (``pro_rata``).
* Expiry: each earn is a lot with a last valid day (``expires_on``); ``None`` never expires.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from tiercard.tiers.campaigns import (
    Campaign,
    bonus,
    check_campaigns,
    dump_campaigns,
    parse_campaigns,
)
from tiercard.tiers.validation import RuleErrors, decimal_of, join
from tiercard.tiers.window import add_months

MAX_RATE = Decimal("1000")
MAX_MULTIPLIER = Decimal("10")


class Expiry(StrEnum):
    NEVER = "never"
    AFTER_DAYS = "after_days"
    END_OF_MONTH = "end_of_month"
    END_OF_YEAR = "end_of_year"


@dataclass(frozen=True)
class PointsRules:
    """How points and growth value are earned and when points expire.

    ``expiry_after``: days for ``after_days`` (>= 1); for ``end_of_month`` / ``end_of_year`` the
    number of whole months / years added before taking the period's end (0 = the end of the
    month or year the points were earned in). ``point_value`` is what one point is worth in
    CNY when redeemed, used to value the outstanding liability.
    """

    per_yuan: Decimal = Decimal("1")
    growth_per_yuan: Decimal = Decimal("1")
    birthday_multiplier: Decimal = Decimal("2")
    expiry: Expiry = Expiry.END_OF_YEAR
    expiry_after: int = 1
    point_value: Decimal = Decimal("0.01")
    campaigns: tuple[Campaign, ...] = ()

    def __post_init__(self) -> None:
        errors = RuleErrors()
        check_rules(self, errors, "points")
        errors.raise_if_any()


def check_rules(rules: PointsRules, errors: RuleErrors, path: str) -> None:
    for name, low, high in (
        ("per_yuan", Decimal(0), MAX_RATE),
        ("growth_per_yuan", Decimal(0), MAX_RATE),
        ("birthday_multiplier", Decimal(1), MAX_MULTIPLIER),
        ("point_value", Decimal(0), Decimal(100)),
    ):
        value = getattr(rules, name)
        if not isinstance(value, Decimal) or not value.is_finite():
            errors.add(join(path, name), "not_a_number", _("Enter a number."))
        elif not low <= value <= high or value.as_tuple().exponent < -4:  # type: ignore[operator]
            errors.add(join(path, name), "out_of_range", _("This number is out of range."))
    if not isinstance(rules.expiry, Expiry):
        errors.add(
            join(path, "expiry"),
            "unknown_expiry",
            _("Use never, after_days, end_of_month or end_of_year."),
        )
    after = rules.expiry_after
    if isinstance(after, bool) or not isinstance(after, int):
        errors.add(join(path, "expiry_after"), "not_integer", _("Enter a whole number."))
    elif not 0 <= after <= 3650 or (rules.expiry is Expiry.AFTER_DAYS and after < 1):
        errors.add(join(path, "expiry_after"), "out_of_range", _("This number is out of range."))
    check_campaigns(rules.campaigns, errors, join(path, "campaigns"))


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def points_for(
    rules: PointsRules,
    amount: Decimal,
    *,
    multiplier: Decimal,
    birthday: bool,
    day: date | None = None,
    tier: str | None = None,
) -> int:
    """Points earned on ``amount`` CNY (>= 0) at a tier ``multiplier``, on business ``day`` by
    a holder of ``tier`` (the campaigns apply only when ``day`` is given)."""
    extra = bonus(
        rules.campaigns if day is not None else (),
        day or date.min,
        tier,
        rules.birthday_multiplier if birthday else None,
    )
    return max(_floor(amount * rules.per_yuan * multiplier * extra), 0)


def growth_for(rules: PointsRules, amount: Decimal) -> int:
    return max(_floor(amount * rules.growth_per_yuan), 0)


def pro_rata(earned: int, total: Decimal, returned_before: Decimal, returned_now: Decimal) -> int:
    """The part of ``earned`` a return of ``returned_now`` takes back.

    Computed as ``floor(earned × cumulative share)`` minus the same for the returns before, so
    returning the whole ``total`` in any number of steps takes back exactly ``earned``.
    Requires ``0 <= returned_before`` and ``returned_before + returned_now <= total``.
    """
    if total <= 0 or earned <= 0:
        return 0
    after = returned_before + returned_now
    return _floor(earned * after / total) - _floor(earned * returned_before / total)


def expires_on(rules: PointsRules, earned_on: date) -> date | None:
    """The last day points earned on ``earned_on`` can be used; ``None``: they never expire."""
    if rules.expiry is Expiry.NEVER:
        return None
    if rules.expiry is Expiry.AFTER_DAYS:
        return earned_on + timedelta(days=rules.expiry_after)
    if rules.expiry is Expiry.END_OF_MONTH:
        moved = add_months(earned_on.replace(day=1), rules.expiry_after)
        return moved.replace(day=calendar.monthrange(moved.year, moved.month)[1])
    return date(earned_on.year + rules.expiry_after, 12, 31)


def in_birthday_month(birthday_month: int | None, day: date) -> bool:
    return birthday_month is not None and birthday_month == day.month


def parse_rules(data: Mapping[str, Any], path: str = "points") -> PointsRules:
    """From the JSON form; every problem is reported by field path, all at once."""
    errors = RuleErrors()
    defaults = PointsRules()
    values: dict[str, Any] = {}
    for name in ("per_yuan", "growth_per_yuan", "birthday_multiplier", "point_value"):
        raw = data.get(name, getattr(defaults, name))
        number = decimal_of(raw)
        if number is None:
            errors.add(join(path, name), "not_a_number", _("Enter a number."))
            number = getattr(defaults, name)
        values[name] = number
    raw_expiry = data.get("expiry", defaults.expiry.value)
    if raw_expiry not in {e.value for e in Expiry}:
        errors.add(
            join(path, "expiry"),
            "unknown_expiry",
            _("Use never, after_days, end_of_month or end_of_year."),
        )
        raw_expiry = defaults.expiry.value
    values["expiry"] = Expiry(raw_expiry)
    values["expiry_after"] = data.get("expiry_after", defaults.expiry_after)
    values["campaigns"] = parse_campaigns(data.get("campaigns"), errors, join(path, "campaigns"))
    unchecked = PointsRules.__new__(PointsRules)
    for name, value in values.items():
        object.__setattr__(unchecked, name, value)
    check_rules(unchecked, errors, path)
    errors.raise_if_any()
    return PointsRules(**values)


def dump_rules(rules: PointsRules) -> dict[str, Any]:
    return {
        "per_yuan": str(rules.per_yuan),
        "growth_per_yuan": str(rules.growth_per_yuan),
        "birthday_multiplier": str(rules.birthday_multiplier),
        "expiry": rules.expiry.value,
        "expiry_after": rules.expiry_after,
        "point_value": str(rules.point_value),
        # Only when there are campaigns: documents stored before they existed stay as they were.
        **({"campaigns": dump_campaigns(rules.campaigns)} if rules.campaigns else {}),
    }
