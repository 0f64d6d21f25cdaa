"""Points campaigns (积分活动): bonus events that multiply the points earned for a while.

A campaign names a period of business days (``starts`` to ``ends``, both included), a
multiplier from 1 to 10 and, optionally, the tiers it is for (none listed: every tier). A
purchase made on a day a campaign covers, by a customer holding one of its tiers, earns
``× multiplier`` on top of the tier's own multiplier. Bonuses do not stack: of the birthday
month's multiplier and the campaigns that apply, the largest counts (``bonus``), so two
overlapping events never multiply each other. Growth value is never multiplied.

Pure: no database. Part of the points rules, so a campaign is versioned with the programme.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from tiercard.tiers.validation import RuleErrors, decimal_of, join

MAX_CAMPAIGNS = 20
MAX_NAME = 40
MIN_MULTIPLIER = Decimal(1)
MAX_MULTIPLIER = Decimal(10)


@dataclass(frozen=True)
class Campaign:
    name: str
    starts: date
    ends: date
    multiplier: Decimal
    tiers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.multiplier, Decimal):  # built in code with 3 or "3"
            object.__setattr__(self, "multiplier", Decimal(str(self.multiplier)))

    def applies(self, day: date, tier: str | None) -> bool:
        """Whether a purchase on ``day`` by a holder of ``tier`` earns this campaign's bonus."""
        if not self.starts <= day <= self.ends:
            return False
        return not self.tiers or tier in self.tiers


def bonus(
    campaigns: Iterable[Campaign], day: date, tier: str | None, birthday: Decimal | None
) -> Decimal:
    """The bonus multiplier of a purchase: the largest of 1, the birthday month's (when
    ``birthday`` is given) and those of the campaigns that apply."""
    found = [c.multiplier for c in campaigns if c.applies(day, tier)]
    if birthday is not None:
        found.append(birthday)
    return max([Decimal(1), *found])


def check_campaigns(campaigns: Sequence[Campaign], errors: RuleErrors, path: str) -> None:
    if len(campaigns) > MAX_CAMPAIGNS:
        errors.add(path, "too_many", _("At most 20 campaigns."))
    for i, campaign in enumerate(campaigns):
        at = f"{path}[{i}]"
        name = campaign.name
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            errors.add(join(at, "name"), "bad_name", _("Name the campaign (1–40 characters)."))
        if campaign.ends < campaign.starts:
            errors.add(join(at, "ends"), "ends_before_start", _("The end is before the start."))
        m = campaign.multiplier
        if not MIN_MULTIPLIER <= m <= MAX_MULTIPLIER or m.as_tuple().exponent < -4:  # type: ignore[operator]
            errors.add(join(at, "multiplier"), "out_of_range", _("Enter a number from 1 to 10."))


def parse_campaigns(raw: object, errors: RuleErrors, path: str) -> tuple[Campaign, ...]:
    """From the JSON form (a list of objects); problems are added to ``errors`` by path and
    the campaigns that could be read are returned."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors.add(path, "not_list", _("Expected a list."))
        return ()
    found: list[Campaign] = []
    for i, item in enumerate(raw):
        at = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            errors.add(at, "not_object", _("Expected an object."))
            continue
        for key in item:
            if key not in ("name", "starts", "ends", "multiplier", "tiers"):
                errors.add(join(at, str(key)), "unknown_key", _("Unknown field."))
        starts, ends = _day(item.get("starts")), _day(item.get("ends"))
        multiplier = decimal_of(item.get("multiplier"))
        tiers = item.get("tiers", [])
        ok = True
        for name, value in (("starts", starts), ("ends", ends)):
            if value is None:
                errors.add(join(at, name), "not_a_date", _("Enter a date as YYYY-MM-DD."))
                ok = False
        if multiplier is None:
            errors.add(join(at, "multiplier"), "not_a_number", _("Enter a number."))
            ok = False
        if not isinstance(tiers, list) or not all(isinstance(t, str) for t in tiers):
            errors.add(join(at, "tiers"), "not_list", _("Expected a list of tier codes."))
            ok = False
        if ok:
            assert starts is not None and ends is not None and multiplier is not None
            label = item.get("name")
            found.append(
                Campaign(
                    name=label.strip() if isinstance(label, str) else "",
                    starts=starts,
                    ends=ends,
                    multiplier=multiplier,
                    tiers=tuple(dict.fromkeys(tiers)),
                )
            )
    return tuple(found)  # checked with the rules they belong to (``earning.check_rules``)


def dump_campaigns(campaigns: Sequence[Campaign]) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "starts": c.starts.isoformat(),
            "ends": c.ends.isoformat(),
            "multiplier": str(c.multiplier),
            "tiers": list(c.tiers),
        }
        for c in campaigns
    ]


def _day(raw: object) -> date | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None
