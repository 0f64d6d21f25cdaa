"""Rows → CSV / xlsx byte streams.

Invariants:
- every text cell that a spreadsheet would read as a formula (starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return) is written with a leading apostrophe, so an exported name
  like ``=HYPERLINK(...)`` stays text when opened in Excel or WPS (CSV injection);
- CSV is UTF-8 with a byte-order mark, which Excel needs to read Chinese correctly;
- rows are consumed lazily; a CSV export never holds more than one row, an xlsx export writes
  through openpyxl's write-only mode into a spooled temporary file (a zip must be finished
  before it can be sent) and is then streamed out in chunks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}
CHUNK = 64 * 1024
SPOOL_BYTES = 8 * 2**20  # xlsx output kept in memory up to this size, then on disk


def neutralise(value: Any) -> Any:
    """A cell value that no spreadsheet evaluates. Numbers and dates pass through unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal | dt.date):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Line:
    """A file-like object ``csv.writer`` writes one row into, read back at once."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


def _csv_cell(value: Any) -> Any:
    value = neutralise(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """UTF-8 with BOM, CRLF line ends; one row in memory at a time."""
    line = _Line()
    writer = csv.writer(line)
    writer.writerow([_csv_cell(h) for h in header])
    yield "\ufeff".encode() + line.text.encode()
    batch: list[str] = []
    size = 0
    for row in rows:
        line.text = ""
        writer.writerow([_csv_cell(v) for v in row])
        batch.append(line.text)
        size += len(line.text)
        if size >= CHUNK:
            yield "".join(batch).encode()
            batch, size = [], 0
    if batch:
        yield "".join(batch).encode()


def _xlsx_cell(value: Any) -> Any:
    value = neutralise(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; callers pass local times
    return value


def xlsx_stream(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Sheet1"
) -> Iterator[bytes]:
    """One worksheet: the header row, then the rows; written in openpyxl's write-only mode."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Sheet1")
    sheet.append([_xlsx_cell(h) for h in header])
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as out:
        book.save(out)  # any binary file object will do
        out.seek(0)
        while chunk := out.read(CHUNK):
            yield chunk


def stream(
    fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Sheet1"
) -> Iterator[bytes]:
    """The byte stream of ``fmt`` ("csv" or "xlsx")."""
    if fmt == "csv":
        return csv_stream(header, rows)
    if fmt == "xlsx":
        return xlsx_stream(header, rows, title=title)
    raise ValueError(f"unknown export format {fmt!r}")


def read_back(data: bytes) -> list[list[str]]:
    """A CSV export parsed back (for tests and checks): BOM dropped."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
