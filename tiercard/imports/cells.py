"""A cell as the text a person reads in the sheet, cleaned the way every import reads it.

Light on purpose (no Django, no pinyin dictionaries): the child process that reads a large
workbook (``sheet_process``) imports only this and ``xlsx_rows``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tiercard.core.width import HALF_WIDTH

# NUL → U+FFFD (the replacement character), in the same pass as the width folding: a NUL
# cannot be stored (PostgreSQL refuses it in text and JSON) and carries nothing, and a CSV file
# may hold one past the sample the reader checks. ``rows.RowReader`` warns of the cell, so the
# change is said, not silent.
CELL_TABLE = HALF_WIDTH | {0: 0xFFFD}
REPLACEMENT = "\ufffd"


def clean_cell(text: str) -> str:
    """Full-width ASCII → half-width (as ``core.text.fold_width``), NUL → U+FFFD, runs of
    whitespace → one space, trimmed."""
    if not text:
        return ""
    return " ".join(text.translate(CELL_TABLE).split())


def cell_text(value: Any) -> str:
    """A cell value as the text a person reads in the sheet."""
    if type(value) is str:  # the common case first: this runs for every cell
        return clean_cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        value = (
            value.replace(microsecond=0)
            if value.microsecond < 500_000
            else (value.replace(microsecond=0) + dt.timedelta(seconds=1))
        )
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        # Excel keeps 15 significant digits; more is binary noise (0.30000000000000004).
        number = Decimal(f"{value:.15g}")
        text = format(number, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(value, Decimal):
        return format(value, "f")
    return clean_cell(str(value))
