"""Writing out the form: an ``Editor`` as the programme document ``ladder_draft_create`` takes.

Invariants: the document is built the way a person writing the JSON would (one condition is a
leaf, conditions of one group an ``all``, several groups an ``any``); numbers typed with
full-width digits or grouping commas are normalised, anything else is passed on as typed so the
service reports it beside its field. Nothing is validated here. The points rules are carried
over as given, and a tier whose inputs were not touched comes out byte-for-byte equal to the
stored one (colour spelling included).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tiercard.tiers.window import WindowKind
from tiercard.web.programme_form.state import Condition, Editor, Quota, TierForm
from tiercard.web.programme_form.values import normalised, whole


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
    threshold = normalised(condition.threshold.value)
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
        "response_hours": whole(tier.response_hours.value, blank=None),
        "follow_up_days": whole(tier.follow_up_days.value, blank=None),
        "quotas": [
            {
                "code": quota_code(q, k),
                "name_zh": q.name_zh.value,
                "name_en": q.name_en.value,
                "limit": whole(q.limit.value),
                "period": q.period.value,
            }
            for k, q in enumerate(tier.quotas)
        ],
    }
    for name in ("discount_percent", "points_multiplier"):
        value = normalised(getattr(tier, name).value)
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
        if code in colours and colours[code].lower() == colour.lower():
            colour = colours[code]
        tiers.append(
            {
                "code": code,
                "rank": whole(tier.rank.value),
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
        window = {"kind": editor.window_kind.value, "months": whole(editor.window_months.value)}
    return {
        "ladder": {"tiers": tiers},
        "policy": {
            "protected_months": whole(editor.protected_months.value),
            "grace_months": whole(editor.grace_months.value),
            "landing": editor.landing.value,
        },
        "window": window,
        "warning_days": whole(editor.warning_days.value),
        "points": dict(points),
        "benefits": benefits,
    }
