"""Names with their romanisations, computed the way :func:`core.text.name_romanisations` does.

Calling pypinyin once per generated row costs 25–70 µs, too slow for a million customers, so:

- every pool entry (surname, given name) is romanised once, when the pool is built;
- a person's pinyin and initials are the concatenation of the surname reading and the given
  name's syllables, exactly what the service computes after splitting the surname;
- companies are read as one phrase, and every reading comes from pypinyin's segmenter with a
  cache of per-segment readings;
- the "common reading" variant of the whole name (曾 read as ceng in 曾经理) depends on how
  pypinyin segments the whole name into phrases, so it is assembled from pypinyin's own
  segmenter and a cache of per-segment readings. pypinyin converts each segment on its own
  (it accepts pre-segmented input), which makes the cached result identical to calling it on
  the whole string.

A test compares sampled demo rows with ``name_romanisations``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pypinyin.seg.mmseg import p_set as phrase_prefixes
from pypinyin.seg.simpleseg import seg as pinyin_segments

from tiercard.core.text import (
    SURNAME_READINGS,
    Romanisation,
    _syllables,
    split_surname,
)


@dataclass(frozen=True, slots=True)
class Surname:
    text: str
    reading: tuple[str, ...]  # read as a surname (单 → shan)
    common: tuple[str, ...]  # the character's everyday reading (单 → dan)
    weight: float


@dataclass(frozen=True, slots=True)
class GivenName:
    text: str
    syllables: tuple[str, ...]
    gender: str  # "male" / "female"


def ascii_key(text: str) -> str:
    """What the service stores as the romanisation of a non-Chinese name."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


class Romaniser:
    """Fast, exact equivalent of ``name_romanisations`` with per-segment caching."""

    CACHE_LIMIT = 300_000  # full names kept (common names repeat a lot)

    def __init__(self) -> None:
        self._segments: dict[str, tuple[str, ...]] = {}
        self._readings: dict[str, list[str]] = {}
        self._people: dict[str, Romanisation] = {}

    def syllables(self, text: str) -> list[str]:
        """Same result as ``core.text._syllables(text)``."""
        out: list[str] = []
        cache = self._segments
        for word in pinyin_segments(text):
            found = cache.get(word)
            if found is None:
                found = cache[word] = _syllables(word)
            out += found
        return out

    def surname_reading(self, surname: str) -> list[str]:
        found = self._readings.get(surname)
        if found is None:
            found = self._readings[surname] = list(
                SURNAME_READINGS.get(surname) or _syllables(surname)
            )
        return found

    def person(self, surname: Surname, given: GivenName) -> Romanisation:
        """Romanise surname + given name from their precomputed readings."""
        full = surname.text + given.text
        found = self._people.get(full)
        if found is None:
            found = self._person(full, surname, given)
            if len(self._people) < self.CACHE_LIMIT:
                self._people[full] = found
        return found

    def _person(self, full: str, surname: Surname, given: GivenName) -> Romanisation:
        if split_surname(full)[0] != surname.text:  # e.g. 单 + 于… reads as the compound 单于
            return self.name(full)
        syllables = surname.reading + given.syllables
        pinyin = "".join(syllables)
        if len(surname.text) == 1 and full[:2] not in phrase_prefixes:
            # No phrase starts with surname + first given character, so pypinyin's greedy
            # segmenter ends its first word after the surname and then reads the given
            # name exactly as it reads it alone.
            common = "".join(surname.common + given.syllables)
        else:
            common = "".join(self.syllables(full))
        return Romanisation(
            pinyin=pinyin,
            initials="".join(s[0] for s in syllables if s),
            variants=(common,) if common != pinyin else (),
        )

    def organisation(self, name: str) -> Romanisation:
        """A company name, read as a phrase (长沙… is changsha, not the surname zhang)."""
        syllables = self.syllables(name)
        return Romanisation(
            pinyin="".join(syllables),
            initials="".join(s[0] for s in syllables if s),
            variants=(),
        )

    def name(self, name: str) -> Romanisation:
        """Any Chinese personal name: the service's algorithm over cached segments."""
        surname, given = split_surname(name)
        syllables = self.surname_reading(surname) + self.syllables(given)
        pinyin = "".join(syllables)
        common = "".join(self.syllables(name))
        return Romanisation(
            pinyin=pinyin,
            initials="".join(s[0] for s in syllables if s),
            variants=(common,) if common != pinyin else (),
        )
