"""A loyalty programme: everything an administrator configures, as one versioned document.

``Programme`` bundles the tier ladder, the downgrade policy, the counting window, how many days
before a downgrade the customer is warned, the points and growth-value rules, and the benefits of
each tier. It is stored as one immutable JSON document per version; every tier change and every
points entry names the version it was made under, so a later rule change never rewrites what an
earlier one decided.

JSON form (``dump_programme`` / ``parse_programme``; ``parse(dump(p)) == p``)::

    {"ladder": {"tiers": [...]},
     "policy": {"protected_months": 3, "grace_months": 1, "landing": "one_step"},
     "window": {"kind": "rolling", "months": 12},
     "warning_days": 14,
     "points": {"per_yuan": "1", "expiry": "end_of_year", ...},
     "benefits": {"vip": {"discount_percent": "12.0", "quotas": [...]}, ...}}

Invariants: every tier has a ``Benefits`` entry (defaults when absent from the JSON); benefit
keys and the tiers a points campaign is for name tiers of the ladder (``unknown_tier``);
``0 <= warning_days <= 90``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tiercard.core.errors import ValidationFailed
from tiercard.tiers.benefits import Benefits, Quota, dump_benefits, parse_benefits
from tiercard.tiers.earning import PointsRules, dump_rules, parse_rules
from tiercard.tiers.ladder import Ladder, dump_ladder, parse_ladder
from tiercard.tiers.policy import DowngradePolicy, dump_policy, parse_policy
from tiercard.tiers.presets import card_ladder, default_ladder
from tiercard.tiers.validation import RuleErrors, absorb
from tiercard.tiers.window import Period, Window, dump_window, parse_window

MAX_WARNING_DAYS = 90
KEYS = ("ladder", "policy", "window", "warning_days", "points", "benefits")


@dataclass(frozen=True)
class Programme:
    ladder: Ladder
    policy: DowngradePolicy = field(default_factory=DowngradePolicy)
    window: Window = field(default_factory=Window)
    warning_days: int = 14
    points: PointsRules = field(default_factory=PointsRules)
    benefits: Mapping[str, Benefits] = field(default_factory=dict)

    def __post_init__(self) -> None:
        errors = RuleErrors()
        if isinstance(self.warning_days, bool) or not isinstance(self.warning_days, int):
            errors.add("warning_days", "not_integer", _("Enter a whole number."))
        elif not 0 <= self.warning_days <= MAX_WARNING_DAYS:
            errors.add("warning_days", "out_of_range", _("Enter a number of days from 0 to 90."))
        codes = {tier.code for tier in self.ladder.tiers}
        for code in self.benefits:
            if code not in codes:
                errors.add(f"benefits.{code}", "unknown_tier", _("No tier has this code."))
        for i, campaign in enumerate(self.points.campaigns):
            for code in campaign.tiers:
                if code not in codes:
                    message = format_lazy(
                        _(
                            "The points campaign “{name}” is for tier {code}, which the ladder "
                            "does not have: change the campaign in the JSON editor."
                        ),
                        name=campaign.name,
                        code=code,
                    )
                    errors.add(f"points.campaigns[{i}].tiers", "unknown_tier", message)
        errors.raise_if_any()
        full = {tier.code: self.benefits.get(tier.code, Benefits()) for tier in self.ladder.tiers}
        object.__setattr__(self, "benefits", full)

    def benefits_of(self, code: str) -> Benefits:
        """The benefits of tier ``code``; a code the ladder lacks (an older version's, until
        the next review regrades its holder) counts as the lowest tier, as in grading."""
        found = self.benefits.get(code)
        if found is None:
            found = self.benefits.get(self.ladder.lowest.code, Benefits())
        return found


def parse_programme(data: object) -> Programme:
    """The JSON form to a valid ``Programme``; every problem reported by path, all at once."""
    errors = RuleErrors()
    if not isinstance(data, Mapping):
        errors.add("", "not_object", _("Expected an object."))
        errors.raise_if_any()
    assert isinstance(data, Mapping)
    for key in data:
        if key not in KEYS:
            errors.add(str(key), "unknown_key", _("Unknown field."))
    parts: dict[str, Any] = {}
    for key, parse in (
        ("ladder", parse_ladder),
        ("policy", lambda raw: parse_policy(_mapping(raw))),
        ("window", lambda raw: parse_window(_mapping(raw))),
        ("points", lambda raw: parse_rules(_mapping(raw), path="")),
    ):
        if key not in data and key != "ladder":
            continue
        try:
            parts[key] = parse(data.get(key))
        except ValidationFailed as exc:
            absorb(errors, exc, key)
    raw_benefits = data.get("benefits", {})
    if not isinstance(raw_benefits, Mapping):
        errors.add("benefits", "not_object", _("Expected an object."))
        raw_benefits = {}
    parts["benefits"] = {
        str(code): parse_benefits(raw, f"benefits.{code}", errors)
        for code, raw in raw_benefits.items()
    }
    if "warning_days" in data:
        parts["warning_days"] = data["warning_days"]
    errors.raise_if_any()
    try:
        return Programme(**parts)
    except ValidationFailed as exc:
        absorb(errors, exc)
        errors.raise_if_any()
        raise


def _mapping(raw: object) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValidationFailed(
            code="not_object",
            fields={"": [_("Expected an object.")]},
            params={"field_codes": {"": ["not_object"]}},
        )
    return raw


def dump_programme(programme: Programme) -> dict[str, Any]:
    return {
        "ladder": dump_ladder(programme.ladder),
        "policy": dump_policy(programme.policy),
        "window": dump_window(programme.window),
        "warning_days": programme.warning_days,
        "points": dump_rules(programme.points),
        "benefits": {code: dump_benefits(b) for code, b in programme.benefits.items()},
    }


def _delivery(limit: int) -> Quota:
    return Quota("free_delivery", "免费配送", "Free delivery", limit, Period.MONTH)


def default_programme() -> Programme:
    """基础级 / 标准级 / 高级 / VIP级 with the benefits the seed documents describe."""
    return Programme(
        ladder=default_ladder(),
        policy=DowngradePolicy(protected_months=3, grace_months=1),
        benefits={
            "basic": Benefits(follow_up_days=180),
            "standard": Benefits(
                discount_percent=Decimal("2.0"),
                points_multiplier=Decimal("1.2"),
                birthday_gift="生日优惠券 ¥50",
                response_hours=48,
                follow_up_days=90,
            ),
            "premium": Benefits(
                discount_percent=Decimal("5.0"),
                points_multiplier=Decimal("1.5"),
                birthday_gift="生日礼盒",
                response_hours=24,
                follow_up_days=30,
                priority_booking=True,
                quotas=(_delivery(1),),
            ),
            "vip": Benefits(
                discount_percent=Decimal("10.0"),
                points_multiplier=Decimal("2"),
                birthday_gift="定制生日礼品",
                dedicated_manager=True,
                response_hours=4,
                follow_up_days=14,
                priority_booking=True,
                quotas=(
                    _delivery(2),
                    Quota("vip_lounge", "贵宾室预约", "VIP lounge booking", 4, Period.QUARTER),
                ),
            ),
        },
    )


def card_programme() -> Programme:
    """普通会员 / 银卡 / 金卡 / 钻石 on growth value, the usual membership-card scheme."""
    return Programme(
        ladder=card_ladder(),
        policy=DowngradePolicy(protected_months=12, grace_months=1),
        benefits={
            "silver": Benefits(discount_percent=Decimal("2.0"), points_multiplier=Decimal("1.2")),
            "gold": Benefits(
                discount_percent=Decimal("5.0"),
                points_multiplier=Decimal("1.5"),
                birthday_gift="生日礼盒",
                quotas=(_delivery(2),),
            ),
            "diamond": Benefits(
                discount_percent=Decimal("8.0"),
                points_multiplier=Decimal("2"),
                birthday_gift="定制生日礼品",
                dedicated_manager=True,
                priority_booking=True,
                quotas=(_delivery(4),),
            ),
        },
    )


PROGRAMME_PRESETS = {"default": default_programme, "card": card_programme}
