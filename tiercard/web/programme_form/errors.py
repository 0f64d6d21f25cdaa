"""The service's refusal back onto the form: each message beside the input it is about.

Invariants: every message the service gives is shown, beside its input when its
field path (``ladder.tiers[2].criteria.any[0].all[1].threshold``, ``benefits.vip.quotas[0].
limit``, ``policy.grace_months``) points at one on this page, else at the top; messages written
for JSON authors are replaced by their form wording by code (``FORM_MESSAGES``), never by
matching text. The error summary (``problems``) lists them in page order, each linking to the id
of its input.
"""

from __future__ import annotations

import re

from tiercard.core.errors import ValidationFailed
from tiercard.web.programme_form.labels import FIELD_LABELS, FORM_MESSAGES
from tiercard.web.programme_form.state import (
    BENEFIT_FIELDS,
    QUOTA_FIELDS,
    TIER_FIELDS,
    TOP_FIELDS,
    Editor,
    Problem,
    TierForm,
)

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
            if code in ("thresholds_not_rising", "tier_unreachable"):
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
