"""Reading into the form: a stored programme document, or the submitted inputs, as an ``Editor``.

Invariants: nothing here validates (every rule stays with ``parse_programme`` behind
``ladder_draft_create``). ``from_post`` keeps everything typed as typed, in the order submitted,
and trusts no count beyond the ``MAX_*`` caps; a choice outside its list is kept and marked
``unknown`` so it can be shown beside its error. ``from_document`` reads a valid stored document
(``dump_programme`` form); criteria that do not fit "groups of AND-ed conditions, OR-ed
together" are kept unchanged as JSON in a hidden input and described in words. Both return an
editor whose inputs are already named (``renumber``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from django.http import QueryDict

from tiercard.tiers.metrics import Metric
from tiercard.tiers.policy import Landing
from tiercard.tiers.window import Period, WindowKind
from tiercard.web.programme_form.labels import (
    METRIC_LABELS,
    OP_LABELS,
    PERIOD_LABELS,
    WINDOW_PERIOD_LABELS,
)
from tiercard.web.programme_form.state import (
    BENEFIT_FIELDS,
    MAX_CONDITIONS,
    MAX_GROUPS,
    MAX_QUOTAS,
    MAX_TIERS,
    QUOTA_FIELDS,
    TIER_FIELDS,
    TOP_FIELDS,
    Condition,
    Editor,
    Field,
    Group,
    Quota,
    TierForm,
)
from tiercard.web.programme_form.values import money_text, text_of

T = TypeVar("T")


def _fill(target: T, names: tuple[str, ...], values: Mapping[str, Any], prefix: str = "") -> T:
    """Set each named ``Field`` of ``target`` from ``values[prefix + name]`` (as text)."""
    for name in names:
        setattr(target, name, Field(text_of(values.get(prefix + name))))
    return target


# --- From a stored document --------------------------------------------------------------------


def _condition(leaf: Mapping[str, Any]) -> Condition:
    metric = text_of(leaf.get("metric"))
    is_money = metric in (Metric.SPEND.value, Metric.MAX_ORDER.value)
    threshold = leaf.get("threshold")
    return Condition(
        Field(metric),
        Field(text_of(leaf.get("op"))),
        Field(money_text(threshold) if is_money else text_of(threshold)),
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
        window_kind=Field(text_of(window.get("kind", WindowKind.ROLLING.value))),
        window_months=Field(text_of(window.get("months", 12))),
        window_period=Field(text_of(window.get("period", Period.YEAR.value))),
        protected_months=Field(text_of(policy.get("protected_months", 0))),
        grace_months=Field(text_of(policy.get("grace_months", 0))),
        landing=Field(text_of(policy.get("landing", Landing.ONE_STEP.value))),
        warning_days=Field(text_of(document.get("warning_days", 14))),
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
            setattr(tier, name, Field(text_of(own.get(name))))
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
