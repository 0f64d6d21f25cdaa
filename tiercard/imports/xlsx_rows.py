"""Stream the rows of an xlsx worksheet as text, with the C XML parser.

:func:`open_workbook` first runs :func:`~tiercard.imports.xlsx_safety.check_zip` on the
archive: no part has a DOCTYPE, so no entity can exist and the standard library's expat-based
parser is safe on every part read here (the ``S314`` exemptions below rest on that). (With
defusedxml installed, openpyxl parses through a pure-Python parser, several times slower; a
100,000-row sheet took over a minute.) Memory stays bounded: each row element is dropped from
the tree once read; only the shared strings table is held, as every xlsx reader must.

Values follow ``data_only`` semantics: a formula cell reads as its cached value (``<v>``), a
formula without one reads as empty. Numbers in a date format become datetimes (1900 or 1904
date system), booleans ``TRUE``/``FALSE``, errors their text (``#N/A``).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, XMLParser, fromstring, iterparse

from django.conf import settings
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from tiercard.imports import xlsx_safety

MAX_COLUMN = 16384  # XFD, the widest sheet Excel makes
MAX_SHARED_STRINGS = 150 * 2**20  # bytes of sharedStrings.xml, uncompressed
_CHUNK = 64 * 1024


class BadWorkbook(Exception):
    """The archive is not a readable workbook (missing parts, broken references)."""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _xml(archive: zipfile.ZipFile, name: str) -> Element:
    """A small part (workbook, relationships, styles) parsed whole."""
    try:
        return fromstring(archive.read(name))  # noqa: S314 — check_zip ran (module docstring)
    except KeyError:
        raise BadWorkbook(f"missing part {name}") from None


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, target path inside the archive) for ``part``'s relationships."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in archive.NameToInfo:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for rel in _xml(archive, rels_name):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(path))
    return found


@dataclass(frozen=True)
class Sheet:
    title: str
    path: str


@dataclass
class Workbook:
    sheet: Sheet
    shared_strings: list[str]
    date_styles: frozenset[int]
    epoch: dt.datetime


def open_workbook(archive: zipfile.ZipFile, *, shared_strings: bool = True) -> Workbook:
    """The first visible worksheet of the workbook, its shared strings (left empty, their
    size still checked, when ``shared_strings`` is false: for a caller that does not read the
    cells) and date styles. Raises ``xlsx_safety.UnsafeWorkbook`` before parsing anything when
    the zip is refused."""
    xlsx_safety.check_zip(archive)
    root_rels = _relationships(archive, "")
    workbook_path = next(
        (path for kind, path in root_rels.values() if kind.endswith("/officeDocument")),
        "xl/workbook.xml",
    )
    workbook = _xml(archive, workbook_path)
    rels = _relationships(archive, workbook_path)
    epoch = WINDOWS_EPOCH
    sheets: list[tuple[Sheet, bool]] = []
    for element in workbook.iter():
        tag = _local(element.tag)
        if tag == "workbookPr" and element.get("date1904") in ("1", "true"):
            epoch = MAC_EPOCH
        elif tag == "sheet":
            rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
            kind, path = rels.get(rel_id, ("", ""))
            if kind.endswith("/worksheet"):
                hidden = element.get("state") in ("hidden", "veryHidden")
                sheets.append((Sheet(element.get("name", ""), path), hidden))
    if not sheets:
        raise BadWorkbook("no worksheet")
    sheet = next((s for s, hidden in sheets if not hidden), sheets[0][0])
    strings_path = next((p for k, p in rels.values() if k.endswith("/sharedStrings")), "")
    if strings_path and strings_path in archive.NameToInfo:
        # The shared strings are the one table held in memory: cap what it may inflate to.
        limit = int(getattr(settings, "TIERCARD_IMPORT_MAX_SHARED_STRINGS", MAX_SHARED_STRINGS))
        if archive.getinfo(strings_path).file_size > limit:
            raise xlsx_safety.UnsafeWorkbook("shared_strings_too_large")
    styles_path = next((p for k, p in rels.values() if k.endswith("/styles")), "")
    return Workbook(
        sheet=sheet,
        shared_strings=(
            _shared_strings(archive, strings_path) if strings_path and shared_strings else []
        ),
        date_styles=_date_styles(archive, styles_path) if styles_path else frozenset(),
        epoch=epoch,
    )


def _text(element: Element) -> str:
    """The text of a string item: its ``t`` and rich-text runs, not the phonetic guides."""
    parts: list[str] = []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, path: str) -> list[str]:
    strings: list[str] = []
    with archive.open(path) as part:
        for _event, element in iterparse(part, events=("end",)):  # noqa: S314 — see above
            if _local(element.tag) == "si":
                strings.append(_text(element))
                element.clear()
    return strings


def _date_styles(archive: zipfile.ZipFile, path: str) -> frozenset[int]:
    styles = _xml(archive, path)
    formats: dict[int, str] = dict(BUILTIN_FORMATS)
    dates: set[int] = set()
    for element in styles:
        if _local(element.tag) == "numFmts":
            for fmt in element:
                try:
                    formats[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "")
                except ValueError:
                    continue
    for element in styles:
        if _local(element.tag) == "cellXfs":
            for index, xf in enumerate(_children(element, "xf")):
                try:
                    code = formats.get(int(xf.get("numFmtId", "0")), "")
                except ValueError:
                    continue
                if code and is_date_format(code):
                    dates.add(index)
    return frozenset(dates)


def _column(ref: str) -> int:
    """0-based column of a cell reference such as ``AB12``."""
    number = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            number = number * 26 + ord(ch) - 64
        else:
            break
    return number - 1


class _RowCollector:
    """Target of the C XML parser for sheet XML: builds each row's (column, value) pairs from
    start/end/data callbacks, creating no tree at all; finished rows queue in ``ready``."""

    def __init__(self, book: Workbook, text: Any) -> None:
        self.book, self.text = book, text
        self.ready: list[tuple[int, list[str]]] = []
        self.number = 0
        self.cells: list[str] = []
        self.position = 0
        self.cell: dict[str, str] | None = None
        self.raw: str | None = None
        self.inline: list[str] | None = None
        self.buffer: list[str] | None = None
        self.phonetic = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        name = tag.rpartition("}")[2]
        if name == "c":
            self.cell, self.raw, self.inline = attrib, None, None
        elif name == "v" or (name == "t" and self.inline is not None and not self.phonetic):
            self.buffer = []
        elif name == "is":
            self.inline = []
        elif name == "rPh":
            self.phonetic += 1
        elif name == "row":
            explicit = attrib.get("r")
            self.number = int(explicit) if explicit and explicit.isdigit() else self.number + 1
            self.cells, self.position = [], 0

    def data(self, content: str) -> None:
        if self.buffer is not None:
            self.buffer.append(content)

    def end(self, tag: str) -> None:
        name = tag.rpartition("}")[2]
        if name == "v" and self.buffer is not None:
            self.raw, self.buffer = "".join(self.buffer), None
        elif name == "t" and self.buffer is not None:
            if self.inline is not None:
                self.inline.append("".join(self.buffer))
            self.buffer = None
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "c" and self.cell is not None:
            self._store(self.cell)
            self.cell = None
        elif name == "row":
            self.ready.append((self.number, self.cells))

    def _store(self, attrib: dict[str, str]) -> None:
        ref = attrib.get("r")
        column = _column(ref) if ref else self.position
        if not 0 <= column < MAX_COLUMN:
            raise BadWorkbook("cell outside the sheet")
        try:
            value = _cell_value(attrib, self.raw, self.inline, self.book)
        except (ValueError, IndexError, OverflowError):
            raise BadWorkbook("unreadable cell") from None
        cells = self.cells
        if column >= len(cells):
            cells.extend([""] * (column + 1 - len(cells)))
        cells[column] = self.text(value)
        self.position = column + 1

    def close(self) -> None:
        return None


def _cell_value(
    attrib: dict[str, str], raw: str | None, inline: list[str] | None, book: Workbook
) -> Any:
    kind = attrib.get("t", "n")
    if inline is not None:
        return "".join(inline)
    if not raw:  # no cached value (a formula never calculated) or an empty <v/>
        return None
    if kind == "s":
        return book.shared_strings[int(raw)]
    if kind in ("str", "inlineStr", "e"):
        return raw
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind == "d":
        return dt.datetime.fromisoformat(raw.strip())
    style = attrib.get("s")
    if style is not None and style.isdigit() and int(style) in book.date_styles:
        return from_excel(float(raw), book.epoch)
    if raw.isdigit() and (len(raw) == 1 or raw[0] != "0"):
        return int(raw)
    return float(raw)


def sheet_rows(
    archive: zipfile.ZipFile, book: Workbook, text: Any
) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) for each row element of the sheet, in order. ``text`` turns a
    cell value into the text callers see. Raises ``BadWorkbook`` on broken references."""
    try:
        part = archive.open(book.sheet.path)
    except KeyError:
        raise BadWorkbook("missing worksheet") from None
    collector = _RowCollector(book, text)
    parser = XMLParser(target=collector)  # noqa: S314 — check_zip ran (module docstring)
    with part:
        while chunk := part.read(_CHUNK):
            parser.feed(chunk)
            if collector.ready:
                rows, collector.ready = collector.ready, []
                yield from rows
        parser.close()
    yield from collector.ready
