"""Full-width to half-width folding: the one table every reader of typed or imported text uses.

Kept apart from ``core.text`` (which loads the pinyin dictionaries) so that light processes,
such as the child that reads a large workbook, can fold text without them.
"""

from __future__ import annotations

HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
"""``str.translate`` table of :func:`fold_width` (it runs on every cell of large imports)."""


def fold_width(text: str) -> str:
    """Full-width ASCII and ideographic space to half-width; other text unchanged."""
    return text if text.isascii() else text.translate(HALF_WIDTH)
