"""Builders of import fixture files, written into a test's ``tmp_path``. Small on purpose."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import openpyxl

HEADERS = ("姓名", "手机", "注册时间", "消费金额", "等级")
ROWS = (
    ("张三", "13812345678", "2024年5月1日", "￥1,234.50", "金卡"),
    ("李四", "+86 139-1234-5678", "2024/5/2", "88元", "VIP"),
)


def write_csv(
    path: Path,
    rows: Iterable[Sequence[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    bom: bool = False,
) -> Path:
    """A CSV in the given encoding; cells are quoted only when they need it."""
    out = io.StringIO()
    import csv

    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = out.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_xlsx(
    path: Path,
    rows: Iterable[Sequence[Any]],
    *,
    merges: Sequence[str] = (),
    number_formats: dict[str, str] | None = None,
    title: str = "会员",
) -> Path:
    """An xlsx written by openpyxl in normal mode (which can merge cells and set formats)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for ref in merges:
        sheet.merge_cells(ref)
    for ref, fmt in (number_formats or {}).items():
        sheet[ref].number_format = fmt
    book.save(path)
    return path


def rewrite_part(source: Path, target: Path, part: str, data: bytes) -> Path:
    """Copy an xlsx, replacing one part's bytes (to plant hostile XML)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, data if info.filename == part else src.read(info))
    return target


def add_part(source: Path, target: Path, part: str, data: bytes) -> Path:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        dst.writestr(part, data)
    return target


def zip_bomb(source: Path, target: Path, *, megabytes: int) -> Path:
    """A real xlsx plus one part of zeros that inflates to ``megabytes`` MB (ratio ~1000:1)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        with dst.open("xl/media/padding.bin", "w") as part:
            block = b"\0" * 2**20
            for _ in range(megabytes):
                part.write(block)
    return target


_LAUGHS_DTD = (
    b'<!DOCTYPE worksheet [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b"]>"
)


def billion_laughs(source: Path, target: Path, *, cell_text: str) -> Path:
    """The xlsx with a billion-laughs DTD in its sheet and one cell's text replaced by it."""
    with zipfile.ZipFile(source) as src:
        sheet = src.read("xl/worksheets/sheet1.xml")
    planted = with_doctype(sheet, _LAUGHS_DTD).replace(cell_text.encode(), b"&lol9;")
    return rewrite_part(source, target, "xl/worksheets/sheet1.xml", planted)


def with_doctype(xml: bytes, doctype: bytes) -> bytes:
    """Insert a DOCTYPE after the XML declaration, or first when there is none."""
    if xml.startswith(b"<?xml"):
        head, _, body = xml.partition(b"?>")
        return head + b"?>" + doctype + body
    return doctype + xml


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def handmade_xlsx(
    path: Path,
    sheets: Sequence[tuple[str, str, str]],
    *,
    shared_strings: Sequence[str] = (),
    styles: str = "",
    date1904: bool = False,
) -> Path:
    """A workbook written part by part, as other programs write them. ``sheets``: (name,
    state, sheetData inner XML); ``shared_strings``: raw ``<si>`` inner XML items."""
    sheet_list = "".join(
        f'<sheet name="{name}" sheetId="{i + 1}" r:id="rId{i + 1}"'
        + (f' state="{state}"' if state else "")
        + "/>"
        for i, (name, state, _data) in enumerate(sheets)
    )
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" '
        f'Target="worksheets/sheet{i + 1}.xml"/>'
        for i in range(len(sheets))
    )
    rels += f'<Relationship Id="rSS" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    rels += f'<Relationship Id="rST" Type="{_REL}/styles" Target="/xl/styles.xml"/>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG}"><Relationship Id="r1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            + ('<workbookPr date1904="1"/>' if date1904 else "")
            + f"<sheets>{sheet_list}</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{_PKG}">{rels}</Relationships>'
        )
        for i, (_name, _state, data) in enumerate(sheets):
            archive.writestr(
                f"xl/worksheets/sheet{i + 1}.xml",
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<worksheet xmlns="{_MAIN}"><sheetData>{data}</sheetData></worksheet>',
            )
        items = "".join(f"<si>{item}</si>" for item in shared_strings)
        archive.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{_MAIN}" count="{len(shared_strings)}">{items}</sst>',
        )
        archive.writestr(
            "xl/styles.xml",
            styles
            or f'<styleSheet xmlns="{_MAIN}"><cellXfs><xf numFmtId="0"/></cellXfs></styleSheet>',
        )
    return path
