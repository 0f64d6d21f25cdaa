"""Input text and document values, both ways: what an input shows, what the service receives.

Invariants: pure functions of their argument (no database, no language). Reading a document
never loses a value (``None`` shows as empty, ``True`` as a ticked box, ``5000.00`` yuan as
``5000``); writing one only normalises what is unambiguously a number (full-width digits,
grouping commas, spaces) and passes anything else on as typed, so the service, not the form,
decides what is wrong and says so.
"""

from __future__ import annotations

import re
from typing import Any

FULL_WIDTH = str.maketrans("０１２３４５６７８９－＋．", "0123456789-+.")
INTEGER = re.compile(r"[+-]?\d+")


def text_of(value: object) -> str:
    """A document value as the text of its input (``"on"`` for a ticked checkbox)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


def money_text(value: object) -> str:
    """An amount of yuan as typed by a person: ``5000`` rather than ``5000.00``."""
    text = text_of(value)
    return text[:-3] if text.endswith(".00") else text


def normalised(text: str) -> str:
    """The typed text with full-width digits, grouping commas and spaces taken out."""
    return text.strip().translate(FULL_WIDTH).replace(",", "").replace("，", "").replace(" ", "")


def whole(text: str, *, blank: Any = "") -> Any:
    """An int when the text is a whole number; ``blank`` when empty; else the text as typed."""
    clean = normalised(text)
    if not clean:
        return blank
    return int(clean) if INTEGER.fullmatch(clean) else text
