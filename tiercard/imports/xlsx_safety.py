"""Checks an xlsx must pass before openpyxl parses a byte of it, and its merged ranges.

An xlsx is a zip of XML parts. Two attacks live there:

- a *zip bomb*: a few kilobytes that inflate to gigabytes. The zip's central directory declares
  every entry's uncompressed size; Python's ``zipfile`` never inflates an entry past its
  declared size (it stops and fails the CRC check), so capping the declared sizes, their total
  and the compression ratio bounds what parsing can ever inflate;
- an *XML bomb* (billion laughs, quadratic blow-up, external entities): every one needs a
  DOCTYPE. No part of a real workbook has one, so any DOCTYPE is refused outright; defusedxml,
  which openpyxl uses when it is installed, is the second line.

Merged ranges are read by scanning the worksheet XML for ``<mergeCell ref="..">`` elements:
openpyxl's read-only mode does not expose them.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

from django.conf import settings

MAX_ENTRIES = 2000
MAX_MERGES = 100_000
DEFAULT_MAX_UNCOMPRESSED = 2**30
DEFAULT_MAX_RATIO = 200
_SMALL_ENTRY = 1 * 2**20  # below this, a high ratio cannot hurt (a blank sheet compresses 300x)
_CHUNK = 256 * 1024

_MERGE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)[\"']"
)
_REF = re.compile(r"([A-Z]+)([0-9]+)")


class UnsafeWorkbook(Exception):
    """The zip or one of its parts is refused. ``reason`` is a short code for logs and tests."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def check_zip(archive: zipfile.ZipFile) -> None:
    """Refuse a zip whose declared sizes or ratios are out of bounds, or a part with a DTD."""
    max_total = int(getattr(settings, "TIERCARD_IMPORT_MAX_UNCOMPRESSED", DEFAULT_MAX_UNCOMPRESSED))
    max_ratio = int(getattr(settings, "TIERCARD_IMPORT_MAX_RATIO", DEFAULT_MAX_RATIO))
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise UnsafeWorkbook("too_many_entries")
    total = 0
    for info in infos:
        total += info.file_size
        if total > max_total:
            raise UnsafeWorkbook("uncompressed_too_large")
        if info.file_size > _SMALL_ENTRY and info.file_size > max_ratio * max(
            info.compress_size, 1
        ):
            raise UnsafeWorkbook("compression_ratio")
        if info.flag_bits & 0x1:
            raise UnsafeWorkbook("encrypted")
    for info in infos:
        if info.filename.endswith((".xml", ".rels", ".vml")):
            _check_prolog(archive, info)


class _RootReached(Exception):
    pass


def _check_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Parse a part only until its root element starts; a DOCTYPE before it is refused."""
    parser = expat.ParserCreate()

    def doctype(*_args: object) -> None:
        raise UnsafeWorkbook("doctype")

    def root(*_args: object) -> None:
        raise _RootReached

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        with archive.open(info) as part:
            while chunk := part.read(4096):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _RootReached:
        return
    except expat.ExpatError:
        raise UnsafeWorkbook("bad_xml") from None


@dataclass(frozen=True)
class MergedRange:
    ref: str
    min_col: int
    min_row: int
    max_col: int
    max_row: int


def _col_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def parse_range(ref: str) -> MergedRange:
    first, _, last = ref.partition(":")
    last = last or first
    a, b = _REF.fullmatch(first), _REF.fullmatch(last)
    assert a and b  # the scanning pattern only lets well-formed references through
    c1, r1 = _col_number(a.group(1)), int(a.group(2))
    c2, r2 = _col_number(b.group(1)), int(b.group(2))
    return MergedRange(ref, min(c1, c2), min(r1, r2), max(c1, c2), max(r1, r2))


def merged_ranges(archive: zipfile.ZipFile, sheet_path: str) -> list[MergedRange]:
    """Every merged range of one worksheet, read by a streaming byte scan of its XML."""
    found: dict[str, MergedRange] = {}
    tail = b""
    with archive.open(sheet_path.lstrip("/")) as part:
        while chunk := part.read(_CHUNK):
            window = tail + chunk
            for match in _MERGE.finditer(window):
                ref = match.group(1).decode("ascii")
                if ref not in found:
                    found[ref] = parse_range(ref)
                    if len(found) > MAX_MERGES:
                        raise UnsafeWorkbook("too_many_merges")
            tail = window[-512:]
    return sorted(found.values(), key=lambda m: (m.min_row, m.min_col))
