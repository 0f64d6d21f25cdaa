"""A tier ladder: ordered tiers, validated so that it can work.

A ``Ladder`` cannot be constructed invalid; ``parse_ladder`` turns the dict form into one and
reports every problem by field path. The rules (each with its stable code):

* at least one tier (``empty_ladder``); codes are ``[a-z][a-z0-9_]*`` (``bad_code``), unique
  (``duplicate_code``); ranks are unique ints (``duplicate_rank``); names are not blank
  (``required``); colours are ``#RRGGBB`` (``bad_colour``);
* the lowest tier (smallest rank) has no criteria, so every customer qualifies for it
  (``lowest_has_criteria``); every other tier has criteria (``missing_criteria``);
* criteria reward activity: spend, order count, growth value and single-order maximum are
  tested with ``>=`` or ``>``, recency (days since last purchase) with ``<=`` or ``<``
  (``wrong_direction``). This is what makes the qualified tier monotone: more activity never
  lowers it. ``days_since_last_purchase < 0`` can never be met (``never_met``), so every
  condition of a ladder can be met by adding spend / orders / growth or by buying today;
* thresholds rise (``thresholds_not_rising``): for two tiers whose criteria are both *simple*
  (one leaf, or an ``all`` of leaves), every metric that both constrain must be constrained
  strictly harder by the higher tier: a larger lower bound (``spend >= 8000`` above
  ``spend >= 2000``; ``> 2000`` above ``>= 2000`` also counts) or a smaller recency bound.
  Every pair is compared, not only neighbours. Criteria with an ``any`` are not compared:
  an OR is a deliberate alternative route, so no order between them is implied;
* and, when a draft is saved, every tier can be held (``unreachable_tiers``, code
  ``tier_unreachable``): no tier's criteria imply a higher tier's, in whatever AND / OR form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tiercard.core.errors import ValidationFailed
from tiercard.tiers.criteria import (
    Criterion,
    Group,
    Leaf,
    Node,
    Op,
    dump_criteria,
    leaves,
    parse_criteria,
)
from tiercard.tiers.metrics import Metric
from tiercard.tiers.validation import RuleErrors, join

CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


@dataclass(frozen=True)
class Tier:
    """One rung. ``criteria`` is ``None`` only for the lowest tier."""

    code: str
    rank: int
    name_zh: str
    name_en: str
    colour: str
    criteria: Criterion | None = None


@dataclass(frozen=True)
class Ladder:
    """Tiers sorted by rank, lowest first. Construction validates (see the module docstring)."""

    tiers: tuple[Tier, ...]

    def __post_init__(self) -> None:
        errors = RuleErrors()
        check_ladder(self.tiers, errors)
        errors.raise_if_any()
        object.__setattr__(self, "tiers", tuple(sorted(self.tiers, key=lambda t: t.rank)))

    @property
    def lowest(self) -> Tier:
        return self.tiers[0]

    @property
    def highest(self) -> Tier:
        return self.tiers[-1]

    def get(self, code: str) -> Tier:
        """The tier with ``code``; ``ValidationFailed`` (``unknown_tier``) if there is none."""
        for tier in self.tiers:
            if tier.code == code:
                return tier
        raise ValidationFailed(
            code="unknown_tier", fields={"tier": [_("No tier with this code in the ladder.")]}
        )

    def index(self, tier: Tier | str) -> int:
        """Position from the bottom: 0 for the lowest tier."""
        return self.tiers.index(self.get(tier if isinstance(tier, str) else tier.code))

    def above(self, tier: Tier | str) -> Tier | None:
        """The next tier up, ``None`` at the top."""
        i = self.index(tier)
        return self.tiers[i + 1] if i + 1 < len(self.tiers) else None

    def below(self, tier: Tier | str) -> Tier | None:
        """The next tier down, ``None`` at the bottom."""
        i = self.index(tier)
        return self.tiers[i - 1] if i > 0 else None


def recency_spans(ladder: Ladder) -> frozenset[int]:
    """Days after the last purchase on which some "at most N days ago" condition stops holding.

    ``days <= t`` fails from day ``t + 1`` on, ``days < t`` from day ``t``. "At least N days
    ago" conditions only ever start holding with time, so they never lapse.
    """
    spans: set[int] = set()
    for tier in ladder.tiers:
        for condition in leaves(tier.criteria) if tier.criteria is not None else ():
            if condition.metric is not Metric.DAYS_SINCE_LAST_PURCHASE:
                continue
            if not condition.op.is_lower_bound:
                assert isinstance(condition.threshold, int)
                spans.add(condition.threshold + (1 if condition.op is Op.LE else 0))
    return frozenset(spans)


# --- Validation ------------------------------------------------------------------------------


def check_ladder(tiers: tuple[Tier, ...], errors: RuleErrors) -> None:
    """Add every problem of ``tiers`` (in input order, paths ``tiers[i].field``) to ``errors``."""
    if not tiers:
        errors.add("tiers", "empty_ladder", _("A ladder needs at least one tier."))
        return
    _check_fields(tiers, errors)
    _check_unique(tiers, errors)
    _check_criteria_presence(tiers, errors)
    _check_directions(tiers, errors)
    _check_rising(tiers, errors)


def _check_fields(tiers: tuple[Tier, ...], errors: RuleErrors) -> None:
    for i, tier in enumerate(tiers):
        path = f"tiers[{i}]"
        if not isinstance(tier.code, str) or not CODE.fullmatch(tier.code):
            message = _(
                "Use 1–32 lower-case letters, digits or underscores, starting with a letter."
            )
            errors.add(join(path, "code"), "bad_code", message)
        if not isinstance(tier.rank, int) or isinstance(tier.rank, bool):
            errors.add(join(path, "rank"), "not_integer", _("Enter a whole number."))
        for name in ("name_zh", "name_en"):
            value = getattr(tier, name)
            if not isinstance(value, str) or not value.strip():
                errors.add(join(path, name), "required", _("This field is required."))
        if not isinstance(tier.colour, str) or not COLOUR.fullmatch(tier.colour):
            errors.add(join(path, "colour"), "bad_colour", _("Enter a colour as #RRGGBB."))


def _check_unique(tiers: tuple[Tier, ...], errors: RuleErrors) -> None:
    seen_codes: set[str] = set()
    seen_ranks: set[int] = set()
    for i, tier in enumerate(tiers):
        if not isinstance(tier.rank, int) or not isinstance(tier.code, str):
            continue  # reported by _check_fields
        if tier.code in seen_codes:
            errors.add(f"tiers[{i}].code", "duplicate_code", _("Another tier has this code."))
        if tier.rank in seen_ranks:
            errors.add(f"tiers[{i}].rank", "duplicate_rank", _("Another tier has this rank."))
        seen_codes.add(tier.code)
        seen_ranks.add(tier.rank)


def _ranked(tiers: tuple[Tier, ...]) -> list[tuple[int, Tier]]:
    """(input index, tier) sorted by rank; ranks that are not ints sort last."""
    return sorted(
        enumerate(tiers), key=lambda it: it[1].rank if isinstance(it[1].rank, int) else 1 << 62
    )


def _check_criteria_presence(tiers: tuple[Tier, ...], errors: RuleErrors) -> None:
    ranked = _ranked(tiers)
    lowest_index, lowest = ranked[0]
    if lowest.criteria is not None:
        message = _("The lowest tier must have no criteria: every customer qualifies for it.")
        errors.add(f"tiers[{lowest_index}].criteria", "lowest_has_criteria", message)
    for i, tier in ranked[1:]:
        if tier.criteria is None:
            message = _("Every tier above the lowest needs criteria.")
            errors.add(f"tiers[{i}].criteria", "missing_criteria", message)


def _check_directions(tiers: tuple[Tier, ...], errors: RuleErrors) -> None:
    for i, tier in enumerate(tiers):
        if tier.criteria is None:
            continue
        for path, condition in _leaf_paths(tier.criteria, f"tiers[{i}].criteria"):
            if condition.op.is_lower_bound == condition.metric.lower_is_better:
                message = _(
                    "Tier criteria must reward activity: use >= or > for amounts and counts, "
                    "<= or < for days since the last purchase."
                )
                errors.add(join(path, "op"), "wrong_direction", message)
            elif condition.op is Op.LT and condition.threshold == 0:
                message = _("Fewer than 0 days can never be met.")
                errors.add(join(path, "threshold"), "never_met", message)


def _check_rising(tiers: tuple[Tier, ...], errors: RuleErrors) -> None:
    ranked = _ranked(tiers)
    reported: set[str] = set()
    for pos, (i, higher) in enumerate(ranked):
        for _j, lower in ranked[:pos]:
            for where in _not_rising(lower.criteria, higher.criteria):
                path = f"tiers[{i}].criteria{where}"
                if path in reported:
                    continue  # one report per condition, against the lowest tier it fails
                reported.add(path)
                message = format_lazy(
                    _("Must be stricter than in the lower tier {tier}."), tier=lower.code
                )
                errors.add(join(path, "threshold"), "thresholds_not_rising", message)


def _not_rising(lower: Criterion | None, higher: Criterion | None) -> list[str]:
    """Paths (under ``higher``'s criteria) of bounds no stricter than ``lower``'s on the same
    metric. An ``any`` in ``higher`` is checked branch by branch: each way into the higher
    tier has to ask more than the lower tier on every metric both name (a branch on another
    metric alone, such as one large order, is a way of its own)."""
    low = _simple_bounds(lower)
    if low is None:
        return []
    branches: list[tuple[str, Criterion | None]]
    if isinstance(higher, Node) and higher.kind is Group.ANY:
        branches = [(f".any[{b}]", child) for b, child in enumerate(higher.children)]
    else:
        branches = [("", higher)]
    found: list[str] = []
    for prefix, branch in branches:
        high = _simple_bounds(branch)
        if high is None:
            continue
        found += [
            prefix + (f".all[{k}]" if k >= 0 else "")
            for metric, (k, condition) in high.items()
            if metric in low and not _stricter(condition, low[metric][1])
        ]
    return found


def _simple_bounds(criteria: Criterion | None) -> dict[Metric, tuple[int, Leaf]] | None:
    """metric -> (index in the ``all``, or -1 for a lone leaf; leaf) for simple criteria.

    Only bounds in the rewarding direction count; ``None`` when criteria are not simple.
    """
    if isinstance(criteria, Leaf):
        items = [(-1, criteria)]
    elif isinstance(criteria, Node) and criteria.kind is Group.ALL:
        if not all(isinstance(c, Leaf) for c in criteria.children):
            return None
        items = [(k, c) for k, c in enumerate(criteria.children) if isinstance(c, Leaf)]
    else:
        return None
    bounds: dict[Metric, tuple[int, Leaf]] = {}
    for k, condition in items:
        if condition.op.is_lower_bound != condition.metric.lower_is_better:
            bounds.setdefault(condition.metric, (k, condition))
    return bounds


def _stricter(high: Leaf, low: Leaf) -> bool:
    """Whether ``high`` asks strictly more than ``low`` (same metric, rewarding direction)."""
    if high.threshold != low.threshold:
        bigger = high.threshold > low.threshold
        return bigger != high.metric.lower_is_better
    return high.op in (Op.GT, Op.LT) and low.op in (Op.GE, Op.LE)


MAX_BRANCHES = 64


def unreachable_tiers(ladder: Ladder) -> list[tuple[str, str]]:
    """(tier code, higher tier code) for each tier nobody could hold: every way to meet its
    criteria also meets the higher tier's (grading gives the highest tier met), whatever the
    customer's figures. Proven on the criteria in OR-of-ANDs form: each branch of the lower
    tier must imply some branch of the higher one, leaf by leaf (a bound on the same metric at
    least as strict). This catches what the pairwise threshold check cannot see, e.g.
    ``spend >= 5000 OR orders >= 10`` below ``spend >= 1000 OR orders >= 5``; criteria on
    other metrics never imply each other, so an alternative route keeps a tier.

    Checked when a draft is saved (``loyalty.services.ladders.ladder_draft_create``), not by
    ``Ladder`` itself: a version stored before the check existed must still load."""
    found: list[tuple[str, str]] = []
    tiers = ladder.tiers
    for pos, lower in enumerate(tiers[1:-1], start=1):
        low = _branches(lower.criteria)
        if low is None:
            continue
        for higher in tiers[pos + 1 :]:
            high = _branches(higher.criteria)
            if high is not None and all(any(_covers(b, h) for h in high) for b in low):
                found.append((lower.code, higher.code))
                break
    return found


def _branches(criteria: Criterion | None) -> list[list[Leaf]] | None:
    """The criteria as OR-ed branches of AND-ed leaves; None past ``MAX_BRANCHES``."""
    if criteria is None:
        return None
    if isinstance(criteria, Leaf):
        return [[criteria]]
    parts = [_branches(c) for c in criteria.children]
    if any(p is None for p in parts):
        return None
    if criteria.kind is Group.ANY:
        found = [b for p in parts if p is not None for b in p]
    else:
        found = [[]]
        for p in parts:
            assert p is not None
            found = [a + b for a in found for b in p]
            if len(found) > MAX_BRANCHES:
                return None
    return found if len(found) <= MAX_BRANCHES else None


def _covers(branch: list[Leaf], target: list[Leaf]) -> bool:
    """Whether meeting every leaf of ``branch`` meets every leaf of ``target``."""
    return all(any(_implies(a, t) for a in branch) for t in target)


def _implies(a: Leaf, t: Leaf) -> bool:
    """``a`` holding makes ``t`` hold: same metric and a bound at least as strict."""
    if a.metric != t.metric or a.op.is_lower_bound != t.op.is_lower_bound:
        return False
    if a.threshold != t.threshold:
        return (a.threshold > t.threshold) == a.op.is_lower_bound
    return a.op in (Op.GT, Op.LT) or t.op in (Op.GE, Op.LE)


def _leaf_paths(criterion: Criterion, path: str) -> Iterator[tuple[str, Leaf]]:
    if isinstance(criterion, Leaf):
        yield path, criterion
        return
    for k, child in enumerate(criterion.children):
        yield from _leaf_paths(child, f"{path}.{criterion.kind.value}[{k}]")


# --- Dict form -------------------------------------------------------------------------------

TIER_KEYS = ("code", "rank", "name_zh", "name_en", "colour", "criteria")


def dump_ladder(ladder: Ladder) -> dict[str, Any]:
    """``{"tiers": [...]}``, lowest first; JSON-safe (money thresholds as strings)."""
    return {"tiers": [_dump_tier(t) for t in ladder.tiers]}


def _dump_tier(tier: Tier) -> dict[str, Any]:
    criteria = None if tier.criteria is None else dump_criteria(tier.criteria)
    return {
        "code": tier.code,
        "rank": tier.rank,
        "name_zh": tier.name_zh,
        "name_en": tier.name_en,
        "colour": tier.colour,
        "criteria": criteria,
    }


def parse_ladder(data: object) -> Ladder:
    """Parse the dict form into a valid ``Ladder``.

    ``ValidationFailed`` lists problems by path: first every structural one (missing fields,
    unparsable criteria), then, if there were none, every ladder rule broken.
    """
    errors = RuleErrors()
    raw = data.get("tiers") if isinstance(data, Mapping) else None
    if not isinstance(raw, list):
        errors.add("tiers", "not_list", _("Expected a list."))
        errors.raise_if_any()
    assert isinstance(raw, list)
    tiers = tuple(_parse_tier(item, f"tiers[{i}]", errors) for i, item in enumerate(raw))
    errors.raise_if_any()
    check_ladder(tiers, errors)
    errors.raise_if_any()
    return Ladder(tiers)


def _parse_tier(item: object, path: str, errors: RuleErrors) -> Tier:
    if not isinstance(item, Mapping):
        errors.add(path, "not_object", _("Expected an object."))
        return Tier("", 0, "", "", "")
    for key in item:
        if key not in TIER_KEYS:
            errors.add(join(path, str(key)), "unknown_key", _("Unknown field."))
    for key in TIER_KEYS[:-1]:
        if key not in item:
            errors.add(join(path, key), "required", _("This field is required."))
    criteria = None
    if item.get("criteria") is not None:
        try:
            criteria = parse_criteria(item["criteria"], path=join(path, "criteria"))
        except ValidationFailed as exc:
            for field, codes in exc.params["field_codes"].items():
                for code, message in zip(codes, exc.fields[field], strict=True):
                    errors.add(field, code, message)
    return Tier(
        code=item.get("code", ""),
        rank=item.get("rank", 0),
        name_zh=item.get("name_zh", ""),
        name_en=item.get("name_en", ""),
        colour=item.get("colour", ""),
        criteria=criteria,
    )
