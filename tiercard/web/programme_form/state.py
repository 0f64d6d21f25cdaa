"""The programme form's state: every input of the page, its text, its name and its messages.

Invariants: a ``Field`` holds text exactly as shown or typed (never a parsed value), so a
refused form comes back as the user left it. Input names follow positions (``t{i}-code``,
``t{i}-g{g}-c{j}-threshold``, ``t{i}-q{k}-limit``) and are only ever set by
``Editor.renumber``, which every reader and every structural action calls last; counts travel
in ``t-count``, ``t{i}-groups``, ``t{i}-g{g}-count`` and ``t{i}-quotas``, capped by the
``MAX_*`` limits below. No database, no service calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from tiercard.cards.loyalty_presenters import localised
from tiercard.tiers.criteria import Op
from tiercard.tiers.metrics import Metric
from tiercard.tiers.policy import Landing
from tiercard.tiers.window import Period, WindowKind
from tiercard.web.programme_form.labels import UNITS

MAX_TIERS = 12
MAX_GROUPS = 8
MAX_CONDITIONS = 8
MAX_QUOTAS = 12
NEW_COLOUR = "#607D8B"
COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")

TIER_FIELDS = ("rank", "code", "name_zh", "name_en", "colour")
BENEFIT_FIELDS = (
    "discount_percent",
    "points_multiplier",
    "birthday_gift",
    "dedicated_manager",
    "response_hours",
    "follow_up_days",
    "priority_booking",
)
QUOTA_FIELDS = ("code", "name_zh", "name_en", "limit", "period")
TOP_FIELDS = (
    "window_kind",
    "window_months",
    "window_period",
    "protected_months",
    "grace_months",
    "landing",
    "warning_days",
    "note",
)


@dataclass
class Field:
    """One input: its name (set by ``renumber``), the text shown, and its error messages."""

    value: str = ""
    name: str = ""
    errors: list[str] = field(default_factory=list)
    focus: bool = False
    unknown: bool = False
    """A choice outside the list (sent by hand): shown as typed, beside its error."""

    @property
    def checked(self) -> bool:
        return self.value == "on"

    @property
    def is_colour(self) -> bool:
        """Whether a colour input can show the value (it would silently replace any other)."""
        return bool(COLOUR.fullmatch(self.value))


@dataclass
class Condition:
    metric: Field = field(default_factory=lambda: Field(Metric.SPEND.value))
    op: Field = field(default_factory=lambda: Field(Op.GE.value))
    threshold: Field = field(default_factory=Field)

    @property
    def unit(self) -> str:
        return str(UNITS.get(self.metric.value, ""))


@dataclass
class Group:
    conditions: list[Condition] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    prefix: str = ""


@dataclass
class Quota:
    code: Field = field(default_factory=Field)
    name_zh: Field = field(default_factory=Field)
    name_en: Field = field(default_factory=Field)
    limit: Field = field(default_factory=lambda: Field("1"))
    period: Field = field(default_factory=lambda: Field(Period.MONTH.value))
    prefix: str = ""


@dataclass
class TierForm:
    rank: Field = field(default_factory=Field)
    code: Field = field(default_factory=Field)
    name_zh: Field = field(default_factory=Field)
    name_en: Field = field(default_factory=Field)
    colour: Field = field(default_factory=lambda: Field(NEW_COLOUR))
    groups: list[Group] = field(default_factory=list)
    criteria_json: Field = field(default_factory=Field)
    criteria_text: str = ""
    criteria_errors: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    discount_percent: Field = field(default_factory=Field)
    points_multiplier: Field = field(default_factory=lambda: Field("1"))
    birthday_gift: Field = field(default_factory=Field)
    dedicated_manager: Field = field(default_factory=Field)
    response_hours: Field = field(default_factory=Field)
    follow_up_days: Field = field(default_factory=Field)
    priority_booking: Field = field(default_factory=Field)
    quotas: list[Quota] = field(default_factory=list)
    quota_errors: list[str] = field(default_factory=list)
    prefix: str = ""
    position: int = 0

    @property
    def label(self) -> str:
        name = localised(self.name_zh.value.strip(), self.name_en.value.strip())
        return name or self.code.value or _("New tier")

    @property
    def complex_criteria(self) -> bool:
        return bool(self.criteria_json.value) and not self.groups


@dataclass
class Problem:
    """One entry of the error summary: where (an input id), which field, what is wrong."""

    anchor: str
    label: str
    message: str


@dataclass
class Editor:
    window_kind: Field = field(default_factory=lambda: Field(WindowKind.ROLLING.value))
    window_months: Field = field(default_factory=lambda: Field("12"))
    window_period: Field = field(default_factory=lambda: Field(Period.YEAR.value))
    protected_months: Field = field(default_factory=lambda: Field("0"))
    grace_months: Field = field(default_factory=lambda: Field("0"))
    landing: Field = field(default_factory=lambda: Field(Landing.ONE_STEP.value))
    warning_days: Field = field(default_factory=lambda: Field("14"))
    note: Field = field(default_factory=Field)
    tiers: list[TierForm] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def renumber(self) -> None:
        """Give every input the name of its current position (after adds, moves, removes)."""
        for name in TOP_FIELDS:
            getattr(self, name).name = name
        for i, tier in enumerate(self.tiers):
            tier.prefix, tier.position = f"t{i}", i
            for name in (*TIER_FIELDS, *BENEFIT_FIELDS, "criteria_json"):
                getattr(tier, name).name = f"t{i}-{name}"
            for g, group in enumerate(tier.groups):
                group.prefix = f"t{i}-g{g}"
                for j, condition in enumerate(group.conditions):
                    for name in ("metric", "op", "threshold"):
                        getattr(condition, name).name = f"t{i}-g{g}-c{j}-{name}"
            for k, quota in enumerate(tier.quotas):
                quota.prefix = f"t{i}-q{k}"
                for name in QUOTA_FIELDS:
                    getattr(quota, name).name = f"t{i}-q{k}-{name}"
