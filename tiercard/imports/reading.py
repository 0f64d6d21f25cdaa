"""Open an uploaded .xlsx or .csv as a header and a stream of text rows.

Invariants:
- the size limit is checked on the file's size before a byte of content is read;
- an xlsx passes :func:`~tiercard.imports.xlsx_safety.check_zip` (declared sizes, ratios, no
  DOCTYPE in any part) before any part is parsed, so no entity can ever be expanded; its rows
  are then streamed by :mod:`~tiercard.imports.xlsx_rows`, one row in memory at a time;
- formula cells are never evaluated: an xlsx formula cell reads as the value Excel cached when
  the file was last saved (a formula without a cached value reads as empty); CSV text such as
  ``=cmd|' /C calc'!A0`` is plain text and stays exactly that;
- every cell reaches callers as text: dates as ``YYYY-MM-DD`` (``YYYY-MM-DD HH:MM:SS`` when
  they carry a time), numbers as plain decimals without float noise (``1234.5``, ``45413``),
  text already cleaned (``cells.clean_cell``: half-width, one space, trimmed), so readers of
  the rows need not clean it again;
- row numbers are the ones the user sees in Excel; fully blank rows are skipped; title rows
  above the header (one filled cell, e.g. a merged "会员客户分级管理表") are skipped too;
- a merged range touching the header row is refused, naming the range; merged cells below it
  are filled down their first column, so a merged "VIP" covering three rows applies to each;
- error messages name at most a header or a merged range, never other file content.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiercard.core.errors import DomainError
from tiercard.imports import sheet_process, xlsx_rows, xlsx_safety
from tiercard.imports.cells import cell_text, clean_cell

DEFAULT_MAX_BYTES = 100 * 2**20
"""The size limit when settings has no ``TIERCARD_IMPORT_MAX_BYTES`` (which the environment's
``TIERCARD_IMPORT_MAX_MB`` sets): a million purchase rows as CSV are about 55 MiB."""
DEFAULT_MAX_COLUMNS = 200
DEFAULT_READER_PROCESS_FROM_BYTES = 1 << 20
"""xlsx files from this size are read by a child process (about 25,000 rows): below it,
starting the child costs more than the reading it takes over."""
SAMPLE_BYTES = 64 * 1024
HEADER_SCAN_ROWS = 10  # non-blank rows looked at to find the header below any title rows
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and other Office 97 files)
_DELIMITERS = (",", "\t", ";")
DELIMITER_SCAN_LINES = 20
_SEP_HINT = re.compile(r"^sep=([,;\t|])\r?\n?$")


class ImportFileError(DomainError):
    """A file refused as a whole. Codes: import_empty, import_encoding, import_too_large,
    import_too_many_columns, import_merged_header, import_unsafe_file, import_format."""

    code = "import_format"
    http_status = 400
    default_message = _("The file could not be read.")


@dataclass(frozen=True)
class SourceRow:
    number: int
    cells: tuple[str, ...]


class Table:
    """A header and a one-pass stream of rows. Obtain one from :func:`open_table`."""

    def __init__(
        self,
        *,
        headers: tuple[str, ...],
        header_row: int,
        rows: Iterator[SourceRow],
        encoding: str | None = None,
        sheet: str | None = None,
    ) -> None:
        self.headers = headers
        self.header_row = header_row
        self.encoding = encoding
        self.sheet = sheet
        self._rows = rows
        self._taken = False

    def rows(self) -> Iterator[SourceRow]:
        """Data rows below the header, each exactly as wide as the header. One pass only."""
        if self._taken:
            raise RuntimeError("Table.rows() is a single pass; open the file again")
        self._taken = True
        return self._rows


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


@contextlib.contextmanager
def open_table(
    path: Path, *, filename: str | None = None, whole_file: bool = False
) -> Iterator[Table]:
    """Open ``path`` (an upload saved to disk) as a :class:`Table`; raise ImportFileError.

    ``whole_file``: the caller will read every row (a check, a commit, an error report), so
    a large workbook is read by a child process; a header or a sample is read here."""
    path = Path(path)
    name = (filename or path.name).lower()
    size = path.stat().st_size
    check_size(size)
    if size == 0:
        raise _empty()
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(_ZIP_MAGIC):
        with _open_xlsx(path, whole_file=whole_file) as table:
            yield table
        return
    if magic.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        raise ImportFileError(
            _(
                "Old .xls workbooks and password-protected files are not supported. "
                "Save the file as .xlsx or .csv and try again."
            ),
            code="import_format",
        )
    if name.endswith((".xlsx", ".xlsm")):
        raise ImportFileError(
            _("The file is not a valid .xlsx workbook."), code="import_unsafe_file"
        )
    if name.endswith((".csv", ".txt", ".tsv")) or "." not in name:
        with _open_csv(path) as table:
            yield table
        return
    raise ImportFileError(_("Only .xlsx and .csv files can be imported."), code="import_format")


def check_size(size: int) -> None:
    """Refuse a file over ``TIERCARD_IMPORT_MAX_BYTES`` (an upload's declared size is enough)."""
    max_bytes = _limit("TIERCARD_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if size > max_bytes:
        raise ImportFileError(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": _megabytes(size), "limit": _megabytes(max_bytes)},
            code="import_too_large",
        )


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}".removesuffix(".0")


def _empty() -> ImportFileError:
    return ImportFileError(_("The file is empty: it has no data rows."), code="import_empty")


def _is_blank(cells: Sequence[str]) -> bool:
    return not any(cells)


def _find_header(
    rows: Iterator[tuple[int, list[str]]],
) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """Pick the header among the first non-blank rows: the first with two or more filled cells
    (rows above it are titles), else the first non-blank row. Returns the rows read past it."""
    seen: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if _is_blank(cells):
            continue
        seen.append((number, cells))
        if sum(1 for c in cells if c) >= 2 or len(seen) >= HEADER_SCAN_ROWS:
            break
    if not seen:
        raise _empty()
    for index, (number, cells) in enumerate(seen):
        if sum(1 for c in cells if c) >= 2:
            return number, cells, seen[index + 1 :]
    number, cells = seen[0]
    return number, cells, seen[1:]


def _headers(cells: list[str]) -> tuple[str, ...]:
    while cells and not cells[-1]:
        cells = cells[:-1]
    max_columns = _limit("TIERCARD_IMPORT_MAX_COLUMNS", DEFAULT_MAX_COLUMNS)
    if len(cells) > max_columns:
        raise ImportFileError(
            _("The file has %(count)s columns; at most %(limit)s can be imported.")
            % {"count": len(cells), "limit": max_columns},
            code="import_too_many_columns",
        )
    return tuple(cells)


def _data_rows(
    first: Iterable[tuple[int, list[str]]],
    rest: Iterator[tuple[int, list[str]]],
    width: int,
) -> Iterator[SourceRow]:
    for number, cells in _chain(first, rest):
        cells = cells[:width]
        if _is_blank(cells):
            continue
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        yield SourceRow(number, tuple(cells))


def _chain(
    first: Iterable[tuple[int, list[str]]], rest: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    yield from first
    yield from rest


def _build_table(
    rows: Iterator[tuple[int, list[str]]], *, encoding: str | None = None, sheet: str | None = None
) -> Table:
    header_row, header_cells, buffered = _find_header(rows)
    headers = _headers(header_cells)
    stream = _data_rows(buffered, rows, len(headers))
    first = next(stream, None)
    if first is None:
        raise _empty()
    return Table(
        headers=headers,
        header_row=header_row,
        rows=_chain_rows(first, stream),
        encoding=encoding,
        sheet=sheet,
    )


def _chain_rows(first: SourceRow, rest: Iterator[SourceRow]) -> Iterator[SourceRow]:
    yield first
    yield from rest


# --- CSV ---------------------------------------------------------------------------------


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """``utf-8-sig`` for a UTF-8 BOM, ``utf-16`` for a UTF-16 BOM (Excel's "Unicode text"),
    ``utf-8`` when the sample is valid UTF-8, else ``gb18030`` (a superset of GBK and GB2312,
    what Chinese-locale Excel writes), else refuse. A sample cut mid-character is allowed."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _encoding_error()


def _encoding_error(after_row: int | None = None) -> ImportFileError:
    message: str | Promise
    if after_row:
        message = _(
            "The file's text encoding changes after row %(row)s. Save it again as UTF-8 CSV."
        ) % {"row": after_row}
    else:
        message = _(
            "The file's text encoding is not recognised. Save it as UTF-8 CSV "
            "(or CSV from Chinese Excel, GBK) and try again."
        )
    return ImportFileError(message, code="import_encoding")


def detect_delimiter(lines: Sequence[str]) -> str:
    """Comma, tab or semicolon: the one a line uses most often, over the first lines (so a
    title line above the header does not decide); comma on a tie or when none is used."""
    counts = {d: max((line.count(d) for line in lines), default=0) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _csv_records(text: IO[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(text, delimiter=delimiter)
    number = 0
    try:
        for record in reader:
            number += 1
            yield number, [clean_cell(cell) for cell in record]
    except UnicodeDecodeError:
        raise _encoding_error(number) from None
    except csv.Error:
        raise ImportFileError(
            _(
                "Row %(row)s of the CSV file is malformed "
                "(for example a very long cell or a stray NUL)."
            )
            % {"row": number + 1},
            code="import_format",
        ) from None


@contextlib.contextmanager
def _open_csv(path: Path) -> Iterator[Table]:
    with path.open("rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
        complete = len(sample) < SAMPLE_BYTES
        if b"\x00" in sample and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError(_("The file is not a text CSV file."), code="import_format")
        encoding = detect_encoding(sample, complete=complete)
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            lines = [text.readline() for _ in range(DELIMITER_SCAN_LINES)]
        except UnicodeDecodeError:
            raise _encoding_error() from None
        text.seek(0)
        hint = _SEP_HINT.match(lines[0])
        if hint:  # Excel's "sep=;" line: it names the delimiter and is not a row
            delimiter = hint.group(1)
            text.readline()
        else:
            delimiter = detect_delimiter([line for line in lines if line.strip()])
        reported = "gb18030" if encoding == "gb18030" else encoding
        yield _build_table(_csv_records(text, delimiter), encoding=reported)


# --- xlsx --------------------------------------------------------------------------------


def _unsafe(exc: BaseException | None = None) -> ImportFileError:
    return ImportFileError(
        _("The workbook was refused: it is damaged, encrypted or built to overload the server."),
        code="import_unsafe_file",
    )


def _fill_merges(
    rows: Iterator[tuple[int, list[str]]], merges: list[xlsx_safety.MergedRange]
) -> Iterator[tuple[int, list[str]]]:
    """Copy each merged range's value down its first column (merged cells read as empty)."""
    if not merges:
        yield from rows
        return
    pending = list(merges)  # sorted by first row
    active: list[tuple[xlsx_safety.MergedRange, str]] = []
    for number, cells in rows:
        while pending and pending[0].min_row <= number:
            merge = pending.pop(0)
            if merge.min_row == number:
                col = merge.min_col - 1
                active.append((merge, cells[col] if col < len(cells) else ""))
        active = [(m, v) for m, v in active if m.max_row >= number]
        for merge, value in active:
            if number > merge.min_row and value:
                col = merge.min_col - 1
                if len(cells) <= col:
                    cells = cells + [""] * (col + 1 - len(cells))
                cells[col] = value
        yield number, cells


@contextlib.contextmanager
def _open_xlsx(path: Path, *, whole_file: bool) -> Iterator[Table]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unsafe(exc) from None
    with archive:
        in_child = whole_file and _read_in_child(path)
        try:
            # checks the zip before parsing; the child reads the shared strings itself
            book = xlsx_rows.open_workbook(archive, shared_strings=not in_child)
            merges = xlsx_safety.merged_ranges(archive, book.sheet.path)
        except xlsx_safety.UnsafeWorkbook as exc:
            if exc.reason == "shared_strings_too_large":
                raise ImportFileError(
                    _(
                        "The workbook holds too much text to read at once. "
                        "Save it as CSV (UTF-8) and import that file."
                    ),
                    code="import_too_large",
                ) from None
            raise _unsafe(exc) from None
        except Exception as exc:  # any failure to read an upload's structure is a refusal
            raise _unsafe(exc) from None
        raw = _child_rows(path, archive) if in_child else _xlsx_rows(archive, book)
        try:
            yield _build_table(_header_guard(raw, merges), sheet=book.sheet.title)
        finally:
            raw.close()  # a reader child ends here, whether or not every row was read


def _read_in_child(path: Path) -> bool:
    """Large sheets are read by a child process (``sheet_process``: the reading then runs on
    another core); ``TIERCARD_IMPORT_READER_PROCESS_FROM_BYTES`` is the file size from which
    (``None``: never)."""
    threshold = getattr(
        settings, "TIERCARD_IMPORT_READER_PROCESS_FROM_BYTES", DEFAULT_READER_PROCESS_FROM_BYTES
    )
    return threshold is not None and path.stat().st_size >= threshold and sheet_process.available()


def _child_rows(path: Path, archive: zipfile.ZipFile) -> Generator[tuple[int, list[str]]]:
    """The sheet's rows from a reader child (with this process's limits); read here instead
    when no child could start; the child's failure is the in-process reader's refusal."""
    limits = {
        name: int(getattr(settings, name))
        for name in sheet_process.LIMITS
        if getattr(settings, name, None) is not None
    }
    try:
        yield from sheet_process.sheet_rows(path, limits)
    except sheet_process.ChildUnavailable:  # nothing was read yet: read it here instead
        try:
            book = xlsx_rows.open_workbook(archive)  # now with the shared strings
        except Exception as exc:  # as when the workbook is opened (_open_xlsx)
            raise _unsafe(exc) from None
        yield from _xlsx_rows(archive, book)
    except sheet_process.ReaderFailed as exc:  # the same refusal as in-process reading
        raise _unsafe(exc) from None


def _xlsx_rows(
    archive: zipfile.ZipFile, book: xlsx_rows.Workbook
) -> Generator[tuple[int, list[str]]]:
    try:
        yield from xlsx_rows.sheet_rows(archive, book, cell_text)
    except ImportFileError:
        raise
    except Exception as exc:  # damaged or hostile sheet XML
        raise _unsafe(exc) from None


def _header_guard(
    rows: Iterator[tuple[int, list[str]]], merges: list[xlsx_safety.MergedRange]
) -> Iterator[tuple[int, list[str]]]:
    """Refuse merges that touch the header row (known once the first rows are read), and
    fill merges below it. The header is the first row the table builder keeps; titles above
    it may be merged freely, so the check runs when the builder asks for the row after it."""
    header_probe = _HeaderProbe(merges)
    return header_probe.wrap(rows)


class _HeaderProbe:
    def __init__(self, merges: list[xlsx_safety.MergedRange]) -> None:
        self.merges = merges

    def wrap(self, rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
        buffered: list[tuple[int, list[str]]] = []
        for number, cells in rows:
            buffered.append((number, cells))
            filled = [c for c in cells if c]
            if len(filled) >= 2 or len([b for b in buffered if any(b[1])]) >= HEADER_SCAN_ROWS:
                break
        non_blank = [b for b in buffered if any(b[1])]
        header = next((b for b in non_blank if sum(1 for c in b[1] if c) >= 2), None)
        header = header or (non_blank[0] if non_blank else None)
        below: list[xlsx_safety.MergedRange] = []
        if header is not None:
            header_row = header[0]
            for merge in self.merges:
                if merge.min_row <= header_row <= merge.max_row:
                    raise ImportFileError(
                        _(
                            "The header row has merged cells (%(range)s). Unmerge them so that "
                            "each column has its own header, then import again."
                        )
                        % {"range": merge.ref},
                        code="import_merged_header",
                    )
                if merge.min_row > header_row:
                    below.append(merge)
        yield from _fill_merges(_chain(buffered, rows), below)
