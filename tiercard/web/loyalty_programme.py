"""What the programme pages show: versions, a programme's rules in words, a dry-run matrix.

Pure formatting over what the views pass in (rows already loaded, rules already parsed);
customers in dry-run samples are shown as the viewer may see them (``customers.masking``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from tiercard.accounts.models import User
from tiercard.core.errors import ValidationFailed
from tiercard.customers import masking
from tiercard.customers.models import Customer
from tiercard.loyalty.models import TierLadder
from tiercard.loyalty.services.ladders import DryRun
from tiercard.tiers.ladder import Ladder
from tiercard.tiers.programme import PROGRAMME_PRESETS, Programme
from tiercard.web import loyalty_text as text
from tiercard.web.loyalty_presenters import localised, tier_name

PRESET_LABELS = {
    "default": "基础级 / 标准级 / 高级 / VIP级",
    "card": "普通会员 / 银卡 / 金卡 / 钻石",
}


@dataclass(frozen=True)
class TierChip:
    name: str
    colour: str


@dataclass(frozen=True)
class VersionRow:
    version: int
    active: bool
    note: str
    created_at: dt.datetime
    created_by: str
    activated_at: dt.datetime | None
    activated_by: str
    tiers: list[TierChip]


def version_row(row: TierLadder) -> VersionRow:
    tiers = row.rules.get("ladder", {}).get("tiers", []) if isinstance(row.rules, dict) else []
    chips = [
        TierChip(
            localised(str(t.get("name_zh", "")), str(t.get("name_en", ""))),
            str(t.get("colour", "")),
        )
        for t in sorted(tiers, key=lambda t: t.get("rank", 0))
        if isinstance(t, dict)
    ]
    return VersionRow(
        version=row.version,
        active=row.is_active,
        note=row.note,
        created_at=row.created_at,
        created_by=str(row.created_by) if row.created_by_id and row.created_by else "",
        activated_at=row.activated_at,
        activated_by=str(row.activated_by) if row.activated_by_id and row.activated_by else "",
        tiers=chips,
    )


@dataclass(frozen=True)
class TierRules:
    code: str
    rank: int
    name: str
    other_name: str
    colour: str
    criteria: str
    facts: list[str]
    quotas: list[str]


@dataclass(frozen=True)
class ProgrammeView:
    window: str
    tiers: list[TierRules]
    policy: list[str]
    points: list[str]


def programme_view(programme: Programme) -> ProgrammeView:
    window = programme.window
    tiers = []
    for tier in reversed(programme.ladder.tiers):  # the top tier first, as a ladder is read
        benefits = programme.benefits_of(tier.code)
        name = tier_name(tier)
        tiers.append(
            TierRules(
                code=tier.code,
                rank=tier.rank,
                name=name,
                other_name=tier.name_en if name == tier.name_zh else tier.name_zh,
                colour=tier.colour,
                criteria=text.criteria_text(tier.criteria, window),
                facts=text.benefit_facts(benefits),
                quotas=[text.quota_text(q) for q in benefits.quotas],
            )
        )
    return ProgrammeView(
        window=_("Figures count over %(window)s.") % {"window": text.window_text(window)},
        tiers=tiers,
        policy=text.policy_text(programme.policy, programme.warning_days),
        points=text.points_text(programme.points, programme.ladder),
    )


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


def problems(error: ValidationFailed) -> list[Problem]:
    """Every problem of a rejected draft: its field path in the document, and the message."""
    return [
        Problem(path or "—", str(message))
        for path, messages in error.fields.items()
        for message in messages
    ] or [Problem("—", str(error.message))]


def preset_links() -> list[tuple[str, str]]:
    return [(name, PRESET_LABELS.get(name, name)) for name in PROGRAMME_PRESETS]


# --- Dry run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    count: int
    tone: str  # zero, same (no change), up / down (a higher / lower place), moved


@dataclass(frozen=True)
class MatrixRow:
    name: str
    colour: str
    cells: list[Cell]
    total: int


@dataclass(frozen=True)
class Sample:
    pk: int
    name: str
    phone: str


@dataclass(frozen=True)
class SampleGroup:
    from_name: str
    to_name: str
    count: int
    tone: str
    customers: list[Sample]


@dataclass(frozen=True)
class MatrixView:
    columns: list[TierChip]
    rows: list[MatrixRow]
    samples: list[SampleGroup]
    total: int
    changed: int
    version: int
    active_version: int


def matrix_view(
    result: DryRun,
    *,
    old: Ladder,
    new: Ladder,
    customers: dict[int, Customer],
    viewer: User,
) -> MatrixView:
    """Rows: tiers held now (the active ladder's, then any other code found); columns: the
    draft's tiers. A cell is ``up``/``down`` by the position of the two tiers in their ladders."""
    from_codes = [t.code for t in old.tiers]
    from_codes += sorted(code for code in result.matrix if code not in from_codes)
    old_names = {t.code: (tier_name(t), t.colour) for t in old.tiers}
    new_names = {t.code: (tier_name(t), t.colour) for t in new.tiers}
    columns = [TierChip(*new_names[t.code]) for t in new.tiers]
    rows = []
    for code in from_codes:
        counts = result.matrix.get(code, {})
        name, colour = old_names.get(code, (code, "#9e9e9e"))
        cells = [
            Cell(counts.get(t.code, 0), _tone(code, t.code, counts.get(t.code, 0), old, new))
            for t in new.tiers
        ]
        rows.append(MatrixRow(name, colour, cells, sum(counts.values())))
    groups = []
    for code in from_codes:
        for to in new.tiers:
            ids = result.samples.get(code, {}).get(to.code)
            if ids is None:
                continue
            count = result.matrix.get(code, {}).get(to.code, 0)
            groups.append(
                SampleGroup(
                    from_name=old_names.get(code, (code, ""))[0],
                    to_name=new_names[to.code][0],
                    count=count,
                    tone=_tone(code, to.code, count, old, new),
                    customers=[
                        Sample(pk, c.name, masking.customer_phone(viewer, c))
                        for pk in ids
                        if (c := customers.get(pk)) is not None
                    ],
                )
            )
    return MatrixView(
        columns=columns,
        rows=rows,
        samples=groups,
        total=result.total,
        changed=result.changed,
        version=result.version,
        active_version=result.active_version,
    )


def _tone(old_code: str, new_code: str, count: int, old: Ladder, new: Ladder) -> str:
    if not count:
        return "zero"
    if old_code == new_code:
        return "same"
    old_pos = _position(old, old_code)
    new_pos = _position(new, new_code)
    if old_pos is None or new_pos is None:
        return "up"  # a tier that no longer exists: any landing is a change
    if new_pos == old_pos:
        return "moved"
    return "up" if new_pos > old_pos else "down"


def _position(ladder: Ladder, code: str) -> float | None:
    """0 for the lowest tier, 1 for the highest: ladders of different lengths compare."""
    codes = [t.code for t in ladder.tiers]
    if code not in codes:
        return None
    return codes.index(code) / max(len(codes) - 1, 1)
