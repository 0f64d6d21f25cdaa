"""The add / remove / move buttons of the programme form, carried out on the server.

Invariants: an action only rearranges the editor's inputs (nothing is validated or saved);
an unknown, malformed or out-of-range action changes nothing and focuses nothing; the limits
(``MAX_*``) are kept, and at least one tier remains. Afterwards tiers stand in rank order (what
the page shows is the order the ladder will have), inputs are renamed for their new positions,
and the id returned is the input (or button) the keyboard lands on, so the editor works without
JavaScript.
"""

from __future__ import annotations

from typing import Any

from tiercard.web.programme_form.state import (
    MAX_CONDITIONS,
    MAX_GROUPS,
    MAX_QUOTAS,
    MAX_TIERS,
    Condition,
    Editor,
    Field,
    Group,
    Quota,
    TierForm,
)
from tiercard.web.programme_form.values import INTEGER, normalised


def _rank(tier: TierForm) -> int | None:
    text = normalised(tier.rank.value)
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
