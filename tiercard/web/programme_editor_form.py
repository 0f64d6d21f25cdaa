"""The programme form editor: a programme document as named inputs, and back.

A shop manager edits a draft programme as a form instead of JSON. This module only moves data
between three shapes; every rule stays with ``parse_programme`` behind ``ladder_draft_create``:

* ``from_document``: a stored programme document (``dump_programme``) to an ``Editor`` whose
  fields hold the text shown in the inputs;
* ``from_post``: the submitted inputs to an ``Editor`` (everything typed is kept as typed);
* ``to_document``: an ``Editor`` to the document the service validates. It is built the way a
  person writing the JSON would: one condition is a leaf, conditions of one group an ``all``,
  several groups an ``any``; numbers typed with full-width digits or grouping commas are
  normalised, anything else is passed on as typed so the service reports it;
* ``attach_errors``: the service's field paths (``ladder.tiers[2].criteria.any[0].all[1].
  threshold``, ``benefits.vip.quotas[0].limit``, ``policy.grace_months``) back onto the input
  they came from, so each message shows beside its field.

Input names: ``t{i}-code``; a condition ``t{i}-g{g}-c{j}-threshold``; a quota
``t{i}-q{k}-limit``; counts in ``t-count``, ``t{i}-groups``, ``t{i}-g{g}-count``,
``t{i}-quotas``. Names follow positions and are renumbered after every structural action.

Criteria that do not fit "groups of AND-ed conditions, OR-ed together" (deeper trees) are kept
unchanged as JSON in a hidden input and described in words; they are edited in the JSON editor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from tiercard.cards.loyalty_presenters import localised
from tiercard.core.errors import ValidationFailed
from tiercard.tiers.criteria import Op
from tiercard.tiers.metrics import Metric
from tiercard.tiers.policy import Landing
from tiercard.tiers.window import Period, WindowKind

MAX_TIERS = 12
MAX_GROUPS = 8
MAX_CONDITIONS = 8
MAX_QUOTAS = 12
NEW_COLOUR = "#607D8B"
FULL_WIDTH = str.maketrans("０１２３４５６７８９－＋．", "0123456789-+.")
INTEGER = re.compile(r"[+-]?\d+")
COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")

OP_LABELS: dict[str, Promise] = {
    Op.GE.value: gettext_lazy("at least (≥)"),
    Op.GT.value: gettext_lazy("more than (>)"),
    Op.LE.value: gettext_lazy("at most (≤)"),
    Op.LT.value: gettext_lazy("less than (<)"),
}
METRIC_LABELS: dict[str, Promise] = {
    Metric.SPEND.value: gettext_lazy("Spend (¥)"),
    Metric.ORDER_COUNT.value: gettext_lazy("Number of orders"),
    Metric.GROWTH_VALUE.value: gettext_lazy("Growth value"),
    Metric.MAX_ORDER.value: gettext_lazy("Largest single order (¥)"),
    Metric.DAYS_SINCE_LAST_PURCHASE.value: gettext_lazy("Days since the last purchase"),
}
UNITS: dict[str, Promise] = {
    Metric.SPEND.value: pgettext_lazy("unit", "yuan"),
    Metric.ORDER_COUNT.value: pgettext_lazy("unit", "orders"),
    Metric.GROWTH_VALUE.value: pgettext_lazy("unit", "growth"),
    Metric.MAX_ORDER.value: pgettext_lazy("unit", "yuan"),
    Metric.DAYS_SINCE_LAST_PURCHASE.value: pgettext_lazy("unit", "days"),
}
PERIOD_LABELS: dict[str, Promise] = {
    Period.MONTH.value: gettext_lazy("per month"),
    Period.QUARTER.value: gettext_lazy("per quarter"),
    Period.YEAR.value: gettext_lazy("per year"),
}
WINDOW_PERIOD_LABELS: dict[str, Promise] = {
    Period.MONTH.value: gettext_lazy("Calendar month"),
    Period.QUARTER.value: gettext_lazy("Calendar quarter"),
    Period.YEAR.value: gettext_lazy("Calendar year"),
}
# Messages written for JSON authors, said the way a form user understands them (by code).
FORM_MESSAGES: dict[str, Promise] = {
    "not_a_number": gettext_lazy("Enter a number, e.g. 5000."),
    "unknown_metric": gettext_lazy("Choose a figure from the list."),
    "unknown_operator": gettext_lazy("Choose a comparison from the list."),
    "unknown_landing": gettext_lazy("Choose one of the options."),
    "unknown_period": gettext_lazy("Choose one of the options."),
    "unknown_window": gettext_lazy("Choose one of the options."),
    "bad_code": gettext_lazy(
        "Use 1–32 lower-case letters, digits or underscores, starting with a letter."
    ),
}
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


T = TypeVar("T")


def _fill(target: T, names: tuple[str, ...], values: Mapping[str, Any], prefix: str = "") -> T:
    """Set each named ``Field`` of ``target`` from ``values[prefix + name]`` (as text)."""
    for name in names:
        setattr(target, name, Field(_text(values.get(prefix + name))))
    return target


# --- From a stored document --------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


def _money(value: object) -> str:
    text = _text(value)
    return text[:-3] if text.endswith(".00") else text


def _condition(leaf: Mapping[str, Any]) -> Condition:
    metric = _text(leaf.get("metric"))
    is_money = metric in (Metric.SPEND.value, Metric.MAX_ORDER.value)
    threshold = leaf.get("threshold")
    return Condition(
        Field(metric),
        Field(_text(leaf.get("op"))),
        Field(_money(threshold) if is_money else _text(threshold)),
    )


def _is_leaf(node: object) -> bool:
    return isinstance(node, Mapping) and "metric" in node


def _groups(criteria: object) -> list[Group] | None:
    """The criteria as OR-ed groups of AND-ed conditions; ``None`` when they do not fit."""
    if criteria is None:
        return []
    if _is_leaf(criteria):
        assert isinstance(criteria, Mapping)
        return [Group([_condition(criteria)])]
    if not isinstance(criteria, Mapping) or len(criteria) != 1:
        return None
    if "all" in criteria and all(_is_leaf(c) for c in criteria["all"]):
        return [Group([_condition(c) for c in criteria["all"]])]
    if "any" not in criteria:
        return None
    groups = []
    for child in criteria["any"]:
        if _is_leaf(child):
            groups.append(Group([_condition(child)]))
        elif isinstance(child, Mapping) and list(child) == ["all"]:
            if not all(_is_leaf(c) for c in child["all"]):
                return None
            groups.append(Group([_condition(c) for c in child["all"]]))
        else:
            return None
    return groups


def from_document(document: Mapping[str, Any], describe: Any = None) -> Editor:
    """The editor prefilled with a valid stored programme (``dump_programme`` form).

    ``describe(tier_index)`` gives the words shown for criteria the form cannot edit.
    """
    window = document.get("window", {})
    policy = document.get("policy", {})
    editor = Editor(
        window_kind=Field(_text(window.get("kind", WindowKind.ROLLING.value))),
        window_months=Field(_text(window.get("months", 12))),
        window_period=Field(_text(window.get("period", Period.YEAR.value))),
        protected_months=Field(_text(policy.get("protected_months", 0))),
        grace_months=Field(_text(policy.get("grace_months", 0))),
        landing=Field(_text(policy.get("landing", Landing.ONE_STEP.value))),
        warning_days=Field(_text(document.get("warning_days", 14))),
    )
    benefits = document.get("benefits", {})
    for i, raw in enumerate(document.get("ladder", {}).get("tiers", [])):
        tier = TierForm()
        _fill(tier, TIER_FIELDS, raw)
        groups = _groups(raw.get("criteria"))
        if groups is None:
            tier.criteria_json = Field(json.dumps(raw["criteria"], ensure_ascii=False))
            tier.criteria_text = describe(i) if describe else ""
        else:
            tier.groups = groups
        own = benefits.get(raw.get("code"), {})
        for name in BENEFIT_FIELDS:
            setattr(tier, name, Field(_text(own.get(name))))
        if not tier.points_multiplier.value:
            tier.points_multiplier = Field("1")
        for q in own.get("quotas", []):
            tier.quotas.append(_fill(Quota(), QUOTA_FIELDS, q))
        editor.tiers.append(tier)
    editor.renumber()
    return editor


# --- From the submitted form -------------------------------------------------------------------


def _count(data: QueryDict, name: str, cap: int) -> int:
    raw = data.get(name, "0")
    return min(int(raw), cap) if raw.isdigit() else 0


def from_post(data: QueryDict) -> Editor:
    """Everything the user typed, as typed, in the order submitted."""

    def get(name: str) -> Field:
        return Field(data.get(name, ""))

    editor = _fill(Editor(), TOP_FIELDS, data)
    for i in range(_count(data, "t-count", MAX_TIERS)):
        p = f"t{i}"
        names = (*TIER_FIELDS, *BENEFIT_FIELDS, "criteria_json")
        tier = _fill(TierForm(), names, data, f"{p}-")
        for g in range(_count(data, f"{p}-groups", MAX_GROUPS)):
            q = f"{p}-g{g}"
            conditions = [
                Condition(get(f"{q}-c{j}-metric"), get(f"{q}-c{j}-op"), get(f"{q}-c{j}-threshold"))
                for j in range(_count(data, f"{q}-count", MAX_CONDITIONS))
            ]
            tier.groups.append(Group(conditions))
        tier.quotas = [
            _fill(Quota(), QUOTA_FIELDS, data, f"{p}-q{k}-")
            for k in range(_count(data, f"{p}-quotas", MAX_QUOTAS))
        ]
        editor.tiers.append(tier)
    _mark_unknown(editor)
    editor.renumber()
    return editor


def _mark_unknown(editor: Editor) -> None:
    def mark(f: Field, known: Mapping[str, object] | set[str]) -> None:
        f.unknown = bool(f.value) and f.value not in known

    mark(editor.window_kind, {k.value for k in WindowKind})
    mark(editor.window_period, WINDOW_PERIOD_LABELS)
    mark(editor.landing, {k.value for k in Landing})
    for tier in editor.tiers:
        for group in tier.groups:
            for condition in group.conditions:
                mark(condition.metric, METRIC_LABELS)
                mark(condition.op, OP_LABELS)
        for quota in tier.quotas:
            mark(quota.period, PERIOD_LABELS)


# --- Structural actions (add, remove, move) ----------------------------------------------------


def _rank(tier: TierForm) -> int | None:
    text = _normalised(tier.rank.value)
    return int(text) if INTEGER.fullmatch(text) else None


def apply_action(editor: Editor, action: str) -> str:
    """Carry out one add / remove / move button; returns the input id to focus ("" if none).

    Unknown or out-of-range actions change nothing. Tiers are then shown in rank order, so
    what the page shows is the order the ladder will have.
    """
    verb, _sep, rest = action.partition(":")
    try:
        args = [int(x) for x in rest.split(":")] if rest else []
    except ValueError:
        return ""
    tiers = editor.tiers
    target: Any
    try:
        if verb == "add_tier" and len(tiers) < MAX_TIERS:
            ranks = [r for r in (_rank(t) for t in tiers) if r is not None]
            tier = TierForm(rank=Field(str(max(ranks, default=0) + 10)))
            if tiers:
                tier.groups = [Group([Condition()])]
            tiers.append(tier)
            target = tier.name_zh
        elif verb == "remove_tier" and len(tiers) > 1:
            tiers.pop(args[0])
            target = "add-tier"
        elif verb in ("lower", "higher"):
            i = args[0]
            j = i - 1 if verb == "lower" else i + 1
            if not (0 <= i < len(tiers) and 0 <= j < len(tiers)):
                return ""
            a, b = tiers[i], tiers[j]
            if _rank(a) is not None and _rank(b) is not None:
                a.rank, b.rank = b.rank, a.rank
            tiers[i], tiers[j] = b, a
            target = ("move", a, verb)
        elif verb == "add_group" and len(tiers[args[0]].groups) < MAX_GROUPS:
            group = Group([Condition()])
            tiers[args[0]].groups.append(group)
            target = group.conditions[0].metric
        elif verb == "add_condition":
            group = tiers[args[0]].groups[args[1]]
            if len(group.conditions) >= MAX_CONDITIONS:
                return ""
            group.conditions.append(Condition())
            target = group.conditions[-1].metric
        elif verb == "remove_condition":
            tier = tiers[args[0]]
            tier.groups[args[1]].conditions.pop(args[2])
            if not tier.groups[args[1]].conditions:
                tier.groups.pop(args[1])
            target = ("criteria", tier)
        elif verb == "add_quota" and len(tiers[args[0]].quotas) < MAX_QUOTAS:
            quota = Quota()
            tiers[args[0]].quotas.append(quota)
            target = quota.name_zh
        elif verb == "remove_quota":
            tier = tiers[args[0]]
            tier.quotas.pop(args[1])
            target = ("quotas", tier)
        else:
            return ""
    except IndexError:
        return ""
    ranked = sorted(enumerate(tiers), key=lambda it: (_rank(it[1]) is None, _rank(it[1]) or 0))
    editor.tiers = [t for _i, t in ranked]
    editor.renumber()
    if isinstance(target, Field):
        target.focus = True
        return target.name
    if isinstance(target, str):
        return target
    if target[0] == "move":
        moved, direction = target[1], target[2]
        if direction == "higher" and moved.position == len(editor.tiers) - 1:
            direction = "lower"
        elif direction == "lower" and moved.position == 0:
            direction = "higher"
        return f"{moved.prefix}-{direction}"
    return f"{target[1].prefix}-{target[0]}"


# --- To the service's document -----------------------------------------------------------------


def _normalised(text: str) -> str:
    return text.strip().translate(FULL_WIDTH).replace(",", "").replace("，", "").replace(" ", "")


def _whole(text: str, *, blank: Any = "") -> Any:
    """An int when the text is a whole number; ``blank`` when empty; else the text as typed."""
    clean = _normalised(text)
    if not clean:
        return blank
    return int(clean) if INTEGER.fullmatch(clean) else text


def _criteria(tier: TierForm) -> object:
    groups = [g for g in tier.groups if g.conditions]
    if not groups:
        if tier.criteria_json.value:
            try:
                return json.loads(tier.criteria_json.value)
            except ValueError:
                return tier.criteria_json.value  # reported by the service as not an object
        return None
    parts = []
    for group in groups:
        leaves = [_leaf(c) for c in group.conditions]
        parts.append(leaves[0] if len(leaves) == 1 else {"all": leaves})
    return parts[0] if len(parts) == 1 else {"any": parts}


def _leaf(condition: Condition) -> dict[str, Any]:
    leaf: dict[str, Any] = {"metric": condition.metric.value, "op": condition.op.value}
    threshold = _normalised(condition.threshold.value)
    if threshold:
        leaf["threshold"] = threshold
    return leaf


QUOTA_SLUG = re.compile(r"[^a-z0-9]+")


def quota_code(quota: Quota, position: int) -> str:
    """The quota's code as typed, else one made from its English name (``free_delivery``)."""
    typed = quota.code.value.strip()
    if typed:
        return typed
    slug = QUOTA_SLUG.sub("_", quota.name_en.value.strip().lower()).strip("_")
    if slug and slug[0].isalpha():
        return slug[:32]
    return f"quota_{position + 1}"


def _benefits(tier: TierForm) -> dict[str, Any]:
    own: dict[str, Any] = {
        "birthday_gift": tier.birthday_gift.value,
        "dedicated_manager": tier.dedicated_manager.checked,
        "priority_booking": tier.priority_booking.checked,
        "response_hours": _whole(tier.response_hours.value, blank=None),
        "follow_up_days": _whole(tier.follow_up_days.value, blank=None),
        "quotas": [
            {
                "code": quota_code(q, k),
                "name_zh": q.name_zh.value,
                "name_en": q.name_en.value,
                "limit": _whole(q.limit.value),
                "period": q.period.value,
            }
            for k, q in enumerate(tier.quotas)
        ],
    }
    for name in ("discount_percent", "points_multiplier"):
        value = _normalised(getattr(tier, name).value)
        if value:
            own[name] = value
    return own


def to_document(
    editor: Editor, *, points: Mapping[str, Any], colours: Mapping[str, str]
) -> dict[str, Any]:
    """The programme document for ``ladder_draft_create``; points rules carried over as given.

    ``colours`` (code -> stored colour) keeps a colour's spelling when only its letter case
    differs (colour inputs send lower case), so an untouched tier stays byte-for-byte equal.
    """
    tiers = []
    benefits: dict[str, Any] = {}
    for tier in editor.tiers:
        code = tier.code.value.strip()
        colour = tier.colour.value.strip()
        if colours.get(code, "").lower() == colour.lower():
            colour = colours[code]
        tiers.append(
            {
                "code": code,
                "rank": _whole(tier.rank.value),
                "name_zh": tier.name_zh.value.strip(),
                "name_en": tier.name_en.value.strip(),
                "colour": colour,
                "criteria": _criteria(tier),
            }
        )
        benefits.setdefault(code, _benefits(tier))
    if editor.window_kind.value == WindowKind.CALENDAR.value:
        window: dict[str, Any] = {"kind": "calendar", "period": editor.window_period.value}
    else:
        window = {"kind": editor.window_kind.value, "months": _whole(editor.window_months.value)}
    return {
        "ladder": {"tiers": tiers},
        "policy": {
            "protected_months": _whole(editor.protected_months.value),
            "grace_months": _whole(editor.grace_months.value),
            "landing": editor.landing.value,
        },
        "window": window,
        "warning_days": _whole(editor.warning_days.value),
        "points": dict(points),
        "benefits": benefits,
    }


# --- Errors back onto the inputs ---------------------------------------------------------------

TIER_PATH = re.compile(r"^(?:ladder\.)?tiers\[(\d+)\]\.?(.*)$")
BENEFIT_PATH = re.compile(r"^benefits\.([^.\[]+)\.?(.*)$")
QUOTA_PATH = re.compile(r"^quotas(?:\[(\d+)\])?\.?(.*)$")
STEP = re.compile(r"\.?(all|any)\[(\d+)\]")


def attach_errors(editor: Editor, error: ValidationFailed) -> None:
    """Put each of the service's messages beside its input; what cannot be placed goes on top."""
    codes: dict[str, list[str]] = error.params.get("field_codes", {})
    for path, messages in error.fields.items():
        for n, message in enumerate(messages):
            code = codes.get(path, [error.code] * len(messages))[n]
            text = str(FORM_MESSAGES.get(code, message))
            if code == "thresholds_not_rising":
                text = _named(editor, text)
            if not _place(editor, path, text):
                editor.errors.append(text)
    if not error.fields:
        editor.errors.append(str(error.message))
    editor.problems = problems(editor)


def _named(editor: Editor, message: str) -> str:
    """The message with the tier code it names replaced by the tier's name on this page."""
    for tier in editor.tiers:
        code = tier.code.value.strip()
        if code:
            pattern = CODE_WORD.format(code=re.escape(code))
            named, count = re.subn(pattern, tier.label, message, count=1)
            if count:
                return named
    return message


CODE_WORD = r"(?<![A-Za-z0-9_]){code}(?![A-Za-z0-9_])"


def _place(editor: Editor, path: str, message: str) -> bool:
    if path in TOP_FIELDS:
        getattr(editor, path).errors.append(message)
        return True
    head, _sep, last = path.rpartition(".")
    if head.startswith("policy") and last in ("protected_months", "grace_months", "landing"):
        getattr(editor, last).errors.append(message)
        return True
    if path.startswith("window"):
        target = {"months": editor.window_months, "period": editor.window_period}
        target.get(last, editor.window_kind).errors.append(message)
        return True
    found = TIER_PATH.match(path)
    if found:
        index = int(found.group(1))
        if index >= len(editor.tiers):
            return False
        return _place_in_tier(editor.tiers[index], found.group(2), message)
    found = BENEFIT_PATH.match(path)
    if found:
        tier = next((t for t in editor.tiers if t.code.value.strip() == found.group(1)), None)
        return tier is not None and _place_benefit(tier, found.group(2), message)
    return False


def _place_in_tier(tier: TierForm, rest: str, message: str) -> bool:
    if rest in TIER_FIELDS:
        getattr(tier, rest).errors.append(message)
        return True
    if not rest.startswith("criteria"):
        tier.errors.append(message)
        return True
    rest = rest[len("criteria") :]
    if not rest or tier.complex_criteria or not tier.groups:
        tier.criteria_errors.append(message)
        return True
    steps = STEP.findall(rest)
    last = STEP.sub("", rest).lstrip(".")
    groups = [g for g in tier.groups if g.conditions]
    g = j = 0
    if steps and steps[0][0] == "any":
        g = int(steps[0][1])
        steps = steps[1:]
    if steps and steps[0][0] == "all":
        j = int(steps[0][1])
        steps = steps[1:]
    if g >= len(groups) or j >= len(groups[g].conditions) or steps:
        tier.criteria_errors.append(message)
        return True
    condition = groups[g].conditions[j]
    if last in ("metric", "op", "threshold"):
        getattr(condition, last).errors.append(message)
    elif last:
        condition.threshold.errors.append(message)
    else:
        groups[g].errors.append(message)
    return True


def _place_benefit(tier: TierForm, rest: str, message: str) -> bool:
    if rest in BENEFIT_FIELDS:
        getattr(tier, rest).errors.append(message)
        return True
    found = QUOTA_PATH.match(rest)
    if not found:
        tier.errors.append(message)
        return True
    k, name = found.group(1), found.group(2)
    if k is None or int(k) >= len(tier.quotas):
        tier.quota_errors.append(message)
        return True
    quota = tier.quotas[int(k)]
    getattr(quota, name if name in QUOTA_FIELDS else "name_zh").errors.append(message)
    return True


FIELD_LABELS: dict[str, Promise] = {
    "window_kind": gettext_lazy("Counting window"),
    "window_months": gettext_lazy("Months counted"),
    "window_period": gettext_lazy("Calendar period"),
    "protected_months": gettext_lazy("Protected months after an upgrade"),
    "grace_months": gettext_lazy("Grace months before a downgrade"),
    "landing": gettext_lazy("A downgrade moves"),
    "warning_days": gettext_lazy("Warning days before a downgrade"),
    "note": gettext_lazy("Note"),
    "rank": gettext_lazy("Rank"),
    "code": gettext_lazy("Code"),
    "name_zh": gettext_lazy("Chinese name"),
    "name_en": gettext_lazy("English name"),
    "colour": gettext_lazy("Colour"),
    "metric": gettext_lazy("Figure"),
    "op": gettext_lazy("Comparison"),
    "threshold": gettext_lazy("Threshold"),
    "discount_percent": gettext_lazy("Discount (percent off)"),
    "points_multiplier": gettext_lazy("Points multiplier"),
    "birthday_gift": gettext_lazy("Birthday gift"),
    "dedicated_manager": gettext_lazy("Dedicated account manager"),
    "response_hours": gettext_lazy("Service response (hours)"),
    "follow_up_days": gettext_lazy("Follow-up every (days)"),
    "priority_booking": gettext_lazy("Priority booking"),
    "limit": gettext_lazy("Times"),
    "period": gettext_lazy("Period"),
    "criteria": gettext_lazy("Criteria"),
    "quotas": gettext_lazy("Quotas"),
}


def problems(editor: Editor) -> list[Problem]:
    """The error summary: each message with a link to its input, in page order."""
    found: list[Problem] = []

    def note(where: str, anchor: str, key: str, messages: list[str]) -> None:
        label = str(FIELD_LABELS.get(key, key))
        found.extend(Problem(anchor, f"{where}{label}", m) for m in messages)

    for name in TOP_FIELDS:
        f = getattr(editor, name)
        note("", f.name, name, f.errors)
    for tier in editor.tiers:
        where = f"{tier.label} · "
        for name in TIER_FIELDS:
            f = getattr(tier, name)
            note(where, f.name, name, f.errors)
        note(where, f"{tier.prefix}-criteria", "criteria", tier.criteria_errors + tier.errors)
        for group in tier.groups:
            note(where, f"{group.prefix}-add", "criteria", group.errors)
            for condition in group.conditions:
                for name in ("metric", "op", "threshold"):
                    f = getattr(condition, name)
                    note(where, f.name, name, f.errors)
        for name in BENEFIT_FIELDS:
            f = getattr(tier, name)
            note(where, f.name, name, f.errors)
        note(where, f"{tier.prefix}-quotas", "quotas", tier.quota_errors)
        for quota in tier.quotas:
            for name in QUOTA_FIELDS:
                f = getattr(quota, name)
                note(where, f.name, name, f.errors)
    return found
