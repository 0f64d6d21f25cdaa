"""File-level reading of imports: formats, encodings, header detection and every refusal."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation

from tests.imports import fixtures as fx
from tiercard.imports.reading import ImportFileError, SourceRow, cell_text, open_table


def naive(*parts: int) -> dt.datetime:
    """openpyxl reads Excel date cells as naive datetimes."""
    return dt.datetime(*parts)  # noqa: DTZ001


def read_all(path: Path, filename: str | None = None) -> tuple[tuple[str, ...], list[SourceRow]]:
    with open_table(path, filename=filename) as table:
        return table.headers, list(table.rows())


def refusal(path: Path, filename: str | None = None) -> ImportFileError:
    with pytest.raises(ImportFileError) as caught:
        read_all(path, filename)
    return caught.value


# --- CSV encodings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "reported"),
    [
        ("utf-8", False, "utf-8"),
        ("utf-8", True, "utf-8-sig"),
        ("gbk", False, "gb18030"),
        ("gb18030", False, "gb18030"),
        ("utf-16", False, "utf-16"),  # Excel's "Unicode text" (with its BOM)
    ],
)
def test_csv_encodings_read_chinese_headers_and_cells(
    tmp_path: Path, encoding: str, bom: bool, reported: str
) -> None:
    path = fx.write_csv(tmp_path / "m.csv", [fx.HEADERS, *fx.ROWS], encoding=encoding, bom=bom)
    with open_table(path) as table:
        assert table.encoding == reported
        assert table.headers == fx.HEADERS
        rows = list(table.rows())
    assert rows == [SourceRow(2, fx.ROWS[0]), SourceRow(3, fx.ROWS[1])]


def test_gb18030_only_characters_survive(tmp_path: Path) -> None:
    # 𠀀 (U+20000) is outside GBK; GB18030 encodes it in four bytes.
    path = fx.write_csv(
        tmp_path / "m.csv", [("姓名", "备注"), ("𠀀先生", "丼")], encoding="gb18030"
    )
    assert read_all(path)[1] == [SourceRow(2, ("𠀀先生", "丼"))]


def test_wrong_encoding_is_refused_with_its_code(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    # Bytes that are neither UTF-8 nor GB18030 (0xFF never starts a GB18030 character).
    path.write_bytes(b"name,phone\r\n\xff\xfe\xff\xfa,1\r\n")
    error = refusal(path)
    assert error.code == "import_encoding"
    with translation.override("en"):
        assert "encoding" in str(error.message)


def test_encoding_change_mid_file_is_refused_not_a_crash(tmp_path: Path) -> None:
    head = "姓名,手机\r\n".encode() + "张三,13812345678\r\n".encode() * 5000
    tail = "李四,13912345678\r\n".encode("gbk")
    path = tmp_path / "m.csv"
    path.write_bytes(head + tail)
    with open_table(path) as table:
        assert table.encoding == "utf-8"
        with pytest.raises(ImportFileError) as caught:
            list(table.rows())
    assert caught.value.code == "import_encoding"


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiters(tmp_path: Path, delimiter: str) -> None:
    path = fx.write_csv(tmp_path / "m.csv", [fx.HEADERS, *fx.ROWS], delimiter=delimiter)
    headers, rows = read_all(path)
    assert headers == fx.HEADERS
    assert rows[1].cells[1] == "+86 139-1234-5678"


def test_quoted_newlines_blank_rows_and_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        '\r\n姓名,备注,手机\r\n"王五","第一行\n第二行",1\r\n,,\r\n\r\n赵六\r\n钱七,a,b,extra\r\n',
        encoding="utf-8",
    )
    headers, rows = read_all(path)
    assert headers == ("姓名", "备注", "手机")
    # Row numbers are records as Excel shows them: the blank first line is row 1.
    assert rows == [
        SourceRow(3, ("王五", "第一行 第二行", "1")),
        SourceRow(6, ("赵六", "", "")),
        SourceRow(7, ("钱七", "a", "b")),
    ]


def test_title_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    path = fx.write_csv(tmp_path / "m.csv", [("会员客户分级管理表",), (), fx.HEADERS, fx.ROWS[0]])
    with open_table(path) as table:
        assert table.headers == fx.HEADERS
        assert table.header_row == 3
        assert [r.number for r in table.rows()] == [4]


def test_full_width_cells_and_spaces_are_folded(tmp_path: Path) -> None:
    path = fx.write_csv(
        tmp_path / "m.csv", [("姓名", "手机"), ("  Ｌｉ　Ｌｅｉ ", "１３８１２３４５６７８")]
    )
    assert read_all(path)[1][0].cells == ("Li Lei", "13812345678")


def test_formula_payloads_in_csv_stay_plain_text(tmp_path: Path) -> None:
    payloads = ("=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("http://x")')
    path = fx.write_csv(tmp_path / "m.csv", [("姓名", "备注"), *[("x", p) for p in payloads]])
    assert [r.cells[1] for r in read_all(path)[1]] == list(payloads)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\r\n\r\n  \r\n",
        b",,,\r\n,,\r\n",
        "姓名,手机\r\n".encode(),
        "姓名,手机\r\n,\r\n".encode(),
    ],
    ids=["zero-bytes", "blank-lines", "empty-cells", "header-only", "header-and-blank-row"],
)
def test_empty_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(content)
    assert refusal(path).code == "import_empty"


def test_binary_junk_named_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert refusal(path).code == "import_format"


def test_unknown_extension_and_old_xls_are_refused(tmp_path: Path) -> None:
    pdf = tmp_path / "m.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    assert refusal(pdf).code == "import_format"
    xls = tmp_path / "m.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert refusal(xls).code == "import_format"


# --- limits -----------------------------------------------------------------------------


def test_ten_thousand_columns_are_refused(tmp_path: Path) -> None:
    headers = [f"c{i}" for i in range(10_000)]
    path = fx.write_csv(tmp_path / "wide.csv", [headers, ["1"] * 10_000])
    with translation.override("en"):  # the message is worded when the error is raised
        error = refusal(path)
    assert error.code == "import_too_many_columns"
    assert "10000 columns" in str(error.message)
    xlsx = fx.write_xlsx(tmp_path / "wide.xlsx", [headers[:300], ["1"] * 300])
    assert refusal(xlsx).code == "import_too_many_columns"


@override_settings(TIERCARD_IMPORT_MAX_BYTES=1000)
def test_size_limit_is_checked_before_any_content_is_read(tmp_path: Path) -> None:
    ok = fx.write_csv(tmp_path / "ok.csv", [fx.HEADERS, *fx.ROWS])
    assert ok.stat().st_size < 1000 and read_all(ok)[0] == fx.HEADERS
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\r\n" + b"1,2\r\n" * 300)
    with translation.override("en"):
        error = refusal(big)
    assert error.code == "import_too_large"
    assert "limit" in str(error.message)
    # Undecodable, empty-looking or hostile content over the limit still fails on size alone.
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"\xff" * 1001)
    assert refusal(junk).code == "import_too_large"


@override_settings(TIERCARD_IMPORT_MAX_BYTES=1000)
def test_size_check_does_not_open_the_file(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 2000)
    big.chmod(0o000)  # unreadable: only its size is known
    try:
        assert refusal(big).code == "import_too_large"
    finally:
        big.chmod(0o600)


# --- xlsx -------------------------------------------------------------------------------


def test_xlsx_values_become_text(tmp_path: Path) -> None:
    path = fx.write_xlsx(
        tmp_path / "m.xlsx",
        [
            ("姓名", "手机", "注册时间", "消费金额", "积分", "时间", "VIP"),
            (
                "张三",
                13812345678,
                naive(2024, 5, 1),
                1234.5,
                0.1 + 0.2,
                naive(2024, 5, 1, 9, 30),
                True,
            ),
            ("李四", "139 1234 5678", dt.date(2024, 5, 2), 45413, None, None, False),
        ],
    )
    with open_table(path) as table:
        assert table.sheet == "会员"
        assert table.encoding is None
        rows = list(table.rows())
    assert rows == [
        SourceRow(
            2, ("张三", "13812345678", "2024-05-01", "1234.5", "0.3", "2024-05-01 09:30:00", "TRUE")
        ),
        SourceRow(3, ("李四", "139 1234 5678", "2024-05-02", "45413", "", "", "FALSE")),
    ]


def test_xlsx_serial_numbers_without_a_date_format_stay_numbers(tmp_path: Path) -> None:
    # A date typed into a General cell arrives as its serial; values.parse_date reads it.
    path = fx.write_xlsx(tmp_path / "m.xlsx", [("姓名", "注册时间"), ("张三", 45413)])
    assert read_all(path)[1][0].cells == ("张三", "45413")


def test_xlsx_formula_cells_read_their_cached_value_never_the_formula(tmp_path: Path) -> None:
    # openpyxl writes formulas without cached values: such cells read as empty, never as "=..".
    path = fx.write_xlsx(
        tmp_path / "m.xlsx",
        [("姓名", "备注", "金额"), ("x", "=cmd|' /C calc'!A0", "=1+1"), ("y", "@SUM(1)", "+5")],
    )
    rows = read_all(path)[1]
    assert rows[0].cells == ("x", "", "")
    assert rows[1].cells == ("y", "@SUM(1)", "+5")
    # With a cached value (as Excel saves it), that value is what is read.
    cached = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(path) as src:
        sheet = src.read("xl/worksheets/sheet1.xml")
    assert b"<f>1+1</f><v />" in sheet
    sheet = sheet.replace(b"<f>1+1</f><v />", b"<f>1+1</f><v>2</v>")
    fx.rewrite_part(path, cached, "xl/worksheets/sheet1.xml", sheet)
    assert read_all(cached)[1][0].cells == ("x", "", "2")


def test_xlsx_merged_header_is_refused_naming_the_range(tmp_path: Path) -> None:
    path = fx.write_xlsx(
        tmp_path / "m.xlsx",
        [
            ("基本信息", None, "消费", None),
            ("姓名", "手机", "金额", "积分"),
            ("张三", "1", "2", "3"),
        ],
        merges=["A1:B1", "C1:D1"],
    )
    error = refusal(path)
    assert error.code == "import_merged_header"
    with translation.override("en"):
        assert "A1:B1" in str(error.message)


def test_xlsx_vertically_merged_header_is_refused(tmp_path: Path) -> None:
    path = fx.write_xlsx(
        tmp_path / "m.xlsx",
        [("姓名", "手机", "金额"), (None, "1", "2"), ("张三", "1", "2")],
        merges=["A1:A2"],
    )
    assert refusal(path).code == "import_merged_header"


def test_xlsx_merged_title_is_skipped_and_data_merges_fill_down(tmp_path: Path) -> None:
    path = fx.write_xlsx(
        tmp_path / "m.xlsx",
        [
            ("会员客户分级管理表", None, None),
            ("姓名", "等级", "备注"),
            ("张三", "VIP", "跨列备注"),
            ("李四", None, None),
            ("王五", None, "x"),
        ],
        merges=["A1:C1", "B3:B5", "C3:D4"],
    )
    with open_table(path) as table:
        assert table.headers == ("姓名", "等级", "备注")
        assert table.header_row == 2
        rows = list(table.rows())
    assert [r.cells for r in rows] == [
        ("张三", "VIP", "跨列备注"),
        ("李四", "VIP", "跨列备注"),
        ("王五", "VIP", "x"),
    ]


def test_xlsx_blank_rows_keep_excel_row_numbers(tmp_path: Path) -> None:
    path = fx.write_xlsx(
        tmp_path / "m.xlsx", [(None,), ("姓名", "手机"), ("张三", "1"), (None, None), ("李四", "2")]
    )
    assert [r.number for r in read_all(path)[1]] == [3, 5]


def test_xlsx_lying_dimension_does_not_pad_rows(tmp_path: Path) -> None:
    path = fx.write_xlsx(tmp_path / "m.xlsx", [("姓名", "手机"), ("张三", "1")])
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(path) as src:
        sheet = src.read("xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b'<dimension ref="A1:B2"', b'<dimension ref="A1:XFD1048576"')
    fx.rewrite_part(path, lying, "xl/worksheets/sheet1.xml", sheet)
    assert read_all(lying) == (("姓名", "手机"), [SourceRow(2, ("张三", "1"))])


def test_xlsx_empty_sheet_and_header_only_are_empty(tmp_path: Path) -> None:
    assert refusal(fx.write_xlsx(tmp_path / "a.xlsx", [])).code == "import_empty"
    assert refusal(fx.write_xlsx(tmp_path / "b.xlsx", [fx.HEADERS])).code == "import_empty"


def test_detection_is_by_content_not_name(tmp_path: Path) -> None:
    xlsx = fx.write_xlsx(tmp_path / "m.xlsx", [fx.HEADERS, fx.ROWS[0]])
    renamed = tmp_path / "upload.bin"
    renamed.write_bytes(xlsx.read_bytes())
    assert read_all(renamed, filename="会员.csv")[0] == fx.HEADERS
    fake = fx.write_csv(tmp_path / "fake.xlsx", [fx.HEADERS, fx.ROWS[0]])
    assert refusal(fake).code == "import_unsafe_file"


def test_truncated_and_encrypted_looking_xlsx_are_refused(tmp_path: Path) -> None:
    xlsx = fx.write_xlsx(tmp_path / "m.xlsx", [fx.HEADERS, fx.ROWS[0]])
    truncated = tmp_path / "t.xlsx"
    truncated.write_bytes(xlsx.read_bytes()[: xlsx.stat().st_size // 2])
    assert refusal(truncated).code == "import_unsafe_file"
    not_a_workbook = tmp_path / "z.xlsx"
    with zipfile.ZipFile(not_a_workbook, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert refusal(not_a_workbook).code == "import_unsafe_file"


# --- hostile xlsx -----------------------------------------------------------------------


@override_settings(TIERCARD_IMPORT_MAX_UNCOMPRESSED=8 * 2**20)
def test_zip_bomb_total_size_is_refused_before_parsing(tmp_path: Path) -> None:
    xlsx = fx.write_xlsx(tmp_path / "m.xlsx", [fx.HEADERS, fx.ROWS[0]])
    bomb = fx.zip_bomb(xlsx, tmp_path / "bomb.xlsx", megabytes=16)
    assert bomb.stat().st_size < 100_000
    error = refusal(bomb)
    assert error.code == "import_unsafe_file"


def test_zip_bomb_ratio_is_refused(tmp_path: Path) -> None:
    xlsx = fx.write_xlsx(tmp_path / "m.xlsx", [fx.HEADERS, fx.ROWS[0]])
    bomb = fx.zip_bomb(xlsx, tmp_path / "bomb.xlsx", megabytes=4)  # ~1000:1
    assert refusal(bomb).code == "import_unsafe_file"


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    xlsx = fx.write_xlsx(tmp_path / "m.xlsx", [("姓名", "手机"), ("张三", "1")])
    bomb = fx.billion_laughs(xlsx, tmp_path / "lol.xlsx", cell_text="张三")
    with zipfile.ZipFile(bomb) as archive:
        assert b"&lol9;" in archive.read("xl/worksheets/sheet1.xml")
    error = refusal(bomb)
    assert error.code == "import_unsafe_file"
    with translation.override("en"):
        assert "lol" not in str(error.message)


def test_external_entity_is_refused(tmp_path: Path) -> None:
    xlsx = fx.write_xlsx(tmp_path / "m.xlsx", [("姓名", "手机"), ("张三", "1")])
    with zipfile.ZipFile(xlsx) as src:
        sheet = src.read("xl/worksheets/sheet1.xml")
    hostile = fx.with_doctype(
        sheet, b'<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    ).replace("张三".encode(), b"&x;")
    bomb = fx.rewrite_part(xlsx, tmp_path / "xxe.xlsx", "xl/worksheets/sheet1.xml", hostile)
    assert refusal(bomb).code == "import_unsafe_file"


def test_openpyxl_parses_through_defusedxml() -> None:
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True


# --- cell text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (0, "0"),
        (45413, "45413"),
        (45413.0, "45413"),
        (1234.5, "1234.5"),
        (0.1 + 0.2, "0.3"),
        (13812345678.0, "13812345678"),
        (1e20, "100000000000000000000"),
        (-0.0, "0"),
        (float("nan"), ""),
        (True, "TRUE"),
        (naive(2024, 5, 1), "2024-05-01"),
        (naive(2024, 5, 1, 9, 5, 7, 600_000), "2024-05-01 09:05:08"),
        (dt.date(2024, 5, 1), "2024-05-01"),
        (dt.time(9, 30), "09:30:00"),
        ("  Ａ　ｂ  ", "A b"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_rows_is_one_pass(tmp_path: Path) -> None:
    path = fx.write_csv(tmp_path / "m.csv", [fx.HEADERS, *fx.ROWS])
    with open_table(path) as table:
        list(table.rows())
        with pytest.raises(RuntimeError):
            table.rows()


# --- workbooks written by other programs --------------------------------------------------

STYLES = (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" '
    'formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
    '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs>'
    "</styleSheet>"
)


def test_handmade_workbook_cell_kinds(tmp_path: Path) -> None:
    data = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="inlineStr"><is><t>日期</t></is></c><c r="D1" t="s"><v>2</v></c>'
        '<c r="E1" t="inlineStr"><is><t>状态</t></is></c></row>'
        '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>13812345678</v></c>'
        '<c r="C3" s="1"><v>45413</v></c><c r="D3" s="2"><v>45413.5</v></c>'
        '<c r="E3" t="b"><v>1</v></c></row>'
        # No r attributes: cells follow each other; an error value; an ISO date cell.
        '<row><c t="inlineStr"><is><r><t>王</t></r><r><t>五</t></r></is></c>'
        '<c t="str"><v>0571-1234567</v></c><c t="d"><v>2024-05-02T00:00:00</v></c>'
        '<c t="e"><v>#N/A</v></c><c><f>A1</f></c></row>'
    )
    strings = [
        "<t>姓名</t>",
        "<t>电话</t>",
        "<t>时间</t>",
        "<r><t>张</t></r><r><t>三</t></r><rPh><t>zhang</t></rPh>",
    ]
    path = fx.handmade_xlsx(
        tmp_path / "w.xlsx",
        [
            ("隐藏", "hidden", "<row r='1'><c t='inlineStr'><is><t>x</t></is></c></row>"),
            ("客户", "", data),
        ],
        shared_strings=strings,
        styles=STYLES,
    )
    with open_table(path) as table:
        assert table.sheet == "客户"  # the first visible sheet
        assert table.headers == ("姓名", "电话", "日期", "时间", "状态")
        rows = list(table.rows())
    assert rows == [
        SourceRow(3, ("张三", "13812345678", "2024-05-01", "2024-05-01 12:00:00", "TRUE")),
        SourceRow(4, ("王五", "0571-1234567", "2024-05-02", "#N/A", "")),
    ]


def test_1904_date_system(tmp_path: Path) -> None:
    data = (
        '<row r="1"><c t="inlineStr"><is><t>姓名</t></is></c>'
        '<c t="inlineStr"><is><t>生日</t></is></c></row>'
        '<row r="2"><c t="inlineStr"><is><t>张三</t></is></c><c s="1"><v>43951</v></c></row>'
    )
    path = fx.handmade_xlsx(tmp_path / "mac.xlsx", [("S", "", data)], styles=STYLES, date1904=True)
    assert read_all(path)[1] == [SourceRow(2, ("张三", "2024-05-01"))]  # 1462 days later


BROKEN_ROWS = [
    '<row r="2"><c r="A2" t="s"><v>99</v></c></row>',  # no such shared string
    '<row r="2"><c r="A2"><v>abc</v></c></row>',  # not a number
    '<row r="2"><c r="ZZZZ2" t="inlineStr"><is><t>x</t></is></c></row>',  # past XFD
    '<row r="2"><c r="A2"><v>1</v>',  # truncated XML
]


@pytest.mark.parametrize("row", BROKEN_ROWS)
def test_broken_sheets_are_refused_not_crashes(tmp_path: Path, row: str) -> None:
    header = (
        '<row r="1"><c t="inlineStr"><is><t>a</t></is></c>'
        '<c t="inlineStr"><is><t>b</t></is></c></row>'
    )
    path = fx.handmade_xlsx(tmp_path / "b.xlsx", [("S", "", header + row)])
    assert refusal(path).code == "import_unsafe_file"


def test_delimiter_is_found_below_a_title_line(tmp_path: Path) -> None:
    path = fx.write_csv(
        tmp_path / "m.csv", [("会员客户分级管理表",), fx.HEADERS, fx.ROWS[0]], delimiter="\t"
    )
    headers, rows = read_all(path)
    assert headers == fx.HEADERS and rows[0].cells == fx.ROWS[0]


def test_excel_sep_hint_line_names_the_delimiter_and_is_not_a_row(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("sep=;\r\n姓名;备注\r\n张三;a,b\r\n", encoding="utf-8")
    assert read_all(path) == (("姓名", "备注"), [SourceRow(2, ("张三", "a,b"))])


@override_settings(TIERCARD_IMPORT_MAX_SHARED_STRINGS=100)
def test_a_shared_strings_table_too_big_to_hold_is_refused(tmp_path: Path) -> None:
    data = '<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>'
    path = fx.handmade_xlsx(
        tmp_path / "s.xlsx", [("S", "", data)], shared_strings=[f"<t>{'长' * 40}</t>"] * 2
    )
    error = refusal(path)
    assert error.code == "import_too_large"
    with translation.override("en"):
        assert "CSV" in str(error.message)
