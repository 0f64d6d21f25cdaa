"""Duplicate scores: 0–100 from the reasons two cards match, and the level the score falls in.

Pure. Each reason carries a weight, the chance (in percent) that two cards sharing it are the
same customer; independent reasons combine like probabilities:
``score = 100 × (1 − Π (1 − weight/100))``, so a shared phone (70) and a shared email (60)
give 88, and more evidence never lowers a score. The unified social credit code identifies a
company outright (100).

Levels: ``certain`` (≥ 90) — merge without much thought; ``likely`` (≥ 70) — look first;
``possible`` (≥ 40) — worth a glance. Below ``possible`` a pair is not stored or shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Reason(IntEnum):
    """Why two cards may be one customer. The values are bits: a set of reasons is a mask
    (``MatchKey.kind`` stores the bit of its key's reason, so SQL can OR them per pair)."""

    CREDIT_CODE = 1
    PHONE = 2
    EMAIL = 4
    WECHAT = 8
    COMPANY = 16
    NAME_CITY = 32
    SIMILAR_NAME = 64


WEIGHTS: dict[Reason, int] = {
    Reason.CREDIT_CODE: 100,
    Reason.PHONE: 70,
    Reason.EMAIL: 60,
    Reason.WECHAT: 60,
    Reason.COMPANY: 50,
    Reason.NAME_CITY: 35,
    Reason.SIMILAR_NAME: 15,
}

LABELS = {
    Reason.CREDIT_CODE: _("same unified social credit code"),
    Reason.PHONE: _("same phone"),
    Reason.EMAIL: _("same email"),
    Reason.WECHAT: _("same WeChat id"),
    Reason.COMPANY: _("same company name"),
    Reason.NAME_CITY: _("same name (pinyin) in the same city"),
    Reason.SIMILAR_NAME: _("similar name"),
}

# Reasons strong enough to start a pair in the whole-base scan. Name and city alone would pair
# every 王伟 of Beijing with every other; they only add to a pair found another way.
STRONG = frozenset({Reason.CREDIT_CODE, Reason.PHONE, Reason.EMAIL, Reason.WECHAT, Reason.COMPANY})


class Level(models.TextChoices):
    CERTAIN = "certain", _("Certain")
    LIKELY = "likely", _("Likely")
    POSSIBLE = "possible", _("Possible")


CERTAIN_AT = 90
LIKELY_AT = 70
POSSIBLE_AT = 40


@dataclass(frozen=True)
class Score:
    value: int
    reasons: tuple[Reason, ...]  # strongest first

    @property
    def level(self) -> Level | None:
        return level_of(self.value)

    @property
    def mask(self) -> int:
        return mask_of(self.reasons)


def level_of(value: int) -> Level | None:
    if value >= CERTAIN_AT:
        return Level.CERTAIN
    if value >= LIKELY_AT:
        return Level.LIKELY
    if value >= POSSIBLE_AT:
        return Level.POSSIBLE
    return None


def mask_of(reasons: Iterable[Reason]) -> int:
    mask = 0
    for reason in reasons:
        mask |= int(reason)
    return mask


def reasons_of(mask: int) -> tuple[Reason, ...]:
    """The reasons in a mask, strongest first (ties by bit)."""
    found = [r for r in Reason if mask & int(r)]
    return tuple(sorted(found, key=lambda r: (-WEIGHTS[r], int(r))))


def score(reasons: Iterable[Reason]) -> Score:
    """The combined score of a set of reasons (duplicates counted once)."""
    unique = reasons_of(mask_of(reasons))
    miss = 1.0
    for reason in unique:
        miss *= 1 - WEIGHTS[reason] / 100
    return Score(value=round(100 * (1 - miss)), reasons=unique)


def score_mask(mask: int) -> Score:
    return score(reasons_of(mask))
