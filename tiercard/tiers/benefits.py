"""Benefits (权益) per tier, with usage quotas per period.

A tier's benefits: discount percentage off list prices, points multiplier, birthday gift,
whether a dedicated account manager is required, service response time (hours), follow-up
cadence (days), priority booking, and quotas such as "2 free deliveries a month".

Invariants of a parsed ``Benefits``: ``0 <= discount_percent < 100`` with at most one decimal
(9.5折 is 5.0), ``0 < points_multiplier <= 10``, hours and days are ``None`` or 1..8760,
quota codes are unique ``[a-z][a-z0-9_]*`` and limits are 1..1000 per period.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from tiercard.tiers.validation import RuleErrors, join
from tiercard.tiers.window import Period

QUOTA_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_HOURS = 8760


@dataclass(frozen=True)
class Quota:
    code: str
    name_zh: str
    name_en: str
    limit: int
    period: Period = Period.MONTH


@dataclass(frozen=True)
class Benefits:
    discount_percent: Decimal = Decimal("0")
    points_multiplier: Decimal = Decimal("1")
    birthday_gift: str = ""
    dedicated_manager: bool = False
    response_hours: int | None = None
    follow_up_days: int | None = None
    priority_booking: bool = False
    quotas: tuple[Quota, ...] = field(default_factory=tuple)

    def quota(self, code: str) -> Quota | None:
        return next((q for q in self.quotas if q.code == code), None)


def parse_benefits(data: object, path: str, errors: RuleErrors) -> Benefits:
    """One tier's benefits; problems go to ``errors`` and defaults stand in for bad values."""
    if not isinstance(data, Mapping):
        errors.add(path, "not_an_object", _("Must be an object."))
        return Benefits()
    discount = _decimal_in(data, "discount_percent", Decimal(0), Decimal("99.9"), path, errors)
    multiplier = _decimal_in(data, "points_multiplier", Decimal("0.1"), Decimal(10), path, errors)
    return Benefits(
        discount_percent=discount if discount is not None else Decimal(0),
        points_multiplier=multiplier if multiplier is not None else Decimal(1),
        birthday_gift=_text(data, "birthday_gift", 100, path, errors),
        dedicated_manager=_flag(data, "dedicated_manager", path, errors),
        response_hours=_optional_int(data, "response_hours", path, errors),
        follow_up_days=_optional_int(data, "follow_up_days", path, errors),
        priority_booking=_flag(data, "priority_booking", path, errors),
        quotas=_quotas(data.get("quotas", []), join(path, "quotas"), errors),
    )


def dump_benefits(benefits: Benefits) -> dict[str, Any]:
    return {
        "discount_percent": str(benefits.discount_percent),
        "points_multiplier": str(benefits.points_multiplier),
        "birthday_gift": benefits.birthday_gift,
        "dedicated_manager": benefits.dedicated_manager,
        "response_hours": benefits.response_hours,
        "follow_up_days": benefits.follow_up_days,
        "priority_booking": benefits.priority_booking,
        "quotas": [
            {
                "code": q.code,
                "name_zh": q.name_zh,
                "name_en": q.name_en,
                "limit": q.limit,
                "period": q.period.value,
            }
            for q in benefits.quotas
        ],
    }


def _decimal_in(
    data: Mapping[str, Any],
    key: str,
    low: Decimal,
    high: Decimal,
    path: str,
    errors: RuleErrors,
) -> Decimal | None:
    raw = data.get(key)
    if raw is None:
        return None
    number: Decimal | None = None
    if not isinstance(raw, bool) and isinstance(raw, int | str | Decimal):
        try:
            number = Decimal(raw.strip() if isinstance(raw, str) else raw)
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        errors.add(join(path, key), "not_a_number", _("Enter a number."))
        return None
    if not low <= number <= high or number != number.quantize(Decimal("0.1")):
        errors.add(join(path, key), "out_of_range", _("This number is out of range."))
        return None
    return number


def _optional_int(data: Mapping[str, Any], key: str, path: str, errors: RuleErrors) -> int | None:
    raw = data.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_HOURS:
        errors.add(join(path, key), "out_of_range", _("Enter a whole number from 1 to 8760."))
        return None
    return raw


def _flag(data: Mapping[str, Any], key: str, path: str, errors: RuleErrors) -> bool:
    raw = data.get(key, False)
    if not isinstance(raw, bool):
        errors.add(join(path, key), "not_boolean", _("Use true or false."))
        return False
    return raw


def _text(data: Mapping[str, Any], key: str, limit: int, path: str, errors: RuleErrors) -> str:
    raw = data.get(key, "")
    if not isinstance(raw, str):
        errors.add(join(path, key), "not_text", _("Enter text."))
        return ""
    if len(raw.strip()) > limit:
        errors.add(join(path, key), "too_long", _("This text is too long."))
        return ""
    return raw.strip()


def _quotas(raw: object, path: str, errors: RuleErrors) -> tuple[Quota, ...]:
    if not isinstance(raw, list):
        errors.add(path, "not_a_list", _("Must be a list."))
        return ()
    quotas: list[Quota] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            errors.add(where, "not_an_object", _("Must be an object."))
            continue
        code = item.get("code")
        if not isinstance(code, str) or not QUOTA_CODE.fullmatch(code):
            errors.add(join(where, "code"), "bad_code", _("Use lower-case letters, digits and _."))
            continue
        if code in seen:
            errors.add(join(where, "code"), "duplicate_code", _("This code is used twice."))
            continue
        seen.add(code)
        limit = item.get("limit")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            errors.add(
                join(where, "limit"), "out_of_range", _("Enter a whole number from 1 to 1000.")
            )
            continue
        period = item.get("period", Period.MONTH.value)
        if period not in {p.value for p in Period}:
            errors.add(join(where, "period"), "unknown_period", _("Use month, quarter or year."))
            continue
        names = [_text(item, key, 40, where, errors) for key in ("name_zh", "name_en")]
        if not all(names):
            errors.add(join(where, "name_zh"), "required", _("Enter a name in both languages."))
            continue
        quotas.append(Quota(code, names[0], names[1], limit, Period(period)))
    return tuple(quotas)
