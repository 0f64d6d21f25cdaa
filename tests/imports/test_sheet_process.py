"""Large workbooks are read by a child process: the same rows, the same refusals, no leftovers.

The xlsx tests of ``test_reading`` are run again with every workbook read by the child
(``TIERCARD_IMPORT_READER_PROCESS_FROM_BYTES=0``), each asserting that the child did read.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from tests.imports import fixtures as fx
from tests.imports import test_reading as reading_tests
from tiercard.bench.imports import write_customers
from tiercard.imports import sheet_process
from tiercard.imports.reading import ImportFileError, open_table

IN_CHILD = override_settings(TIERCARD_IMPORT_READER_PROCESS_FROM_BYTES=0)
IN_PROCESS = override_settings(TIERCARD_IMPORT_READER_PROCESS_FROM_BYTES=None)


@pytest.fixture(autouse=True)
def whole_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """``test_reading``'s checks open their files as a check or commit does (every row)."""
    monkeypatch.setattr(reading_tests, "open_table", functools.partial(open_table, whole_file=True))


@pytest.fixture
def child_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The paths a reader child was started for; a child that did not start (the reading
    falling back to this process) fails the test, so no check here passes without one."""
    started: list[Path] = []
    real = sheet_process.sheet_rows

    def spy(path: Path, limits: dict[str, int]) -> Iterator[tuple[int, list[str]]]:
        started.append(path)
        try:
            yield from real(path, limits)
        except sheet_process.ChildUnavailable:
            pytest.fail("the reader child did not start")

    monkeypatch.setattr(sheet_process, "sheet_rows", spy)
    return started


def _children() -> set[int]:
    """Process ids of this process's children (Linux ``/proc``)."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        text = (task / "children").read_text()
        found.update(int(pid) for pid in text.split())
    return found


XLSX_TESTS: list[Any] = [
    reading_tests.test_xlsx_values_become_text,
    reading_tests.test_xlsx_serial_numbers_without_a_date_format_stay_numbers,
    reading_tests.test_xlsx_formula_cells_read_their_cached_value_never_the_formula,
    reading_tests.test_xlsx_merged_title_is_skipped_and_data_merges_fill_down,
    reading_tests.test_xlsx_blank_rows_keep_excel_row_numbers,
    reading_tests.test_xlsx_lying_dimension_does_not_pad_rows,
    reading_tests.test_handmade_workbook_cell_kinds,
    reading_tests.test_1904_date_system,
]


@IN_CHILD
@pytest.mark.parametrize("check", XLSX_TESTS, ids=lambda f: f.__name__)
def test_the_child_reads_what_the_in_process_reader_reads(
    tmp_path: Path, child_reads: list[Path], check: Callable[[Path], None]
) -> None:
    check(tmp_path)
    assert child_reads, "the child reader was not used"


@IN_CHILD
@pytest.mark.parametrize("row", reading_tests.BROKEN_ROWS)
def test_a_sheet_the_child_cannot_read_is_refused_as_in_process(
    tmp_path: Path, child_reads: list[Path], row: str
) -> None:
    reading_tests.test_broken_sheets_are_refused_not_crashes(tmp_path, row)
    assert child_reads
    assert not _children()


@IN_CHILD
def test_refusals_before_the_rows_are_the_parents(tmp_path: Path, child_reads: list[Path]) -> None:
    reading_tests.test_xlsx_merged_header_is_refused_naming_the_range(tmp_path)
    reading_tests.test_xlsx_empty_sheet_and_header_only_are_empty(tmp_path)
    assert not _children()


def test_a_generated_member_table_reads_the_same_both_ways(tmp_path: Path) -> None:
    path = tmp_path / "members.xlsx"
    write_customers(path, 3000, 7)
    tables = {}
    for name, mode in (("process", IN_PROCESS), ("child", IN_CHILD)):
        with mode, open_table(path, whole_file=True) as table:
            tables[name] = (table.headers, table.header_row, table.sheet, list(table.rows()))
    assert len(tables["child"][3]) == 3000
    assert tables["child"] == tables["process"]


def test_large_files_use_the_child_small_ones_do_not(
    tmp_path: Path, child_reads: list[Path]
) -> None:
    small = fx.write_xlsx(tmp_path / "small.xlsx", [("姓名", "手机"), ("张三", "1")])
    with override_settings(TIERCARD_IMPORT_READER_PROCESS_FROM_BYTES=small.stat().st_size + 1):
        reading_tests.read_all(small)
        assert child_reads == []
    with override_settings(TIERCARD_IMPORT_READER_PROCESS_FROM_BYTES=small.stat().st_size):
        reading_tests.read_all(small)
        assert child_reads == [small]


@IN_CHILD
def test_stopping_early_ends_the_child(tmp_path: Path) -> None:
    path = tmp_path / "members.xlsx"
    write_customers(path, 3000, 7)
    before = _children()
    with open_table(path, whole_file=True) as table:
        rows = table.rows()
        first = next(rows)
        assert first.number == 2
        assert _children() - before, "the child should be running while rows are read"
        rows.close()  # type: ignore[attr-defined]
    assert _children() == before


def _fake_interpreter(folder: Path, program: str) -> str:
    """An executable named like a Python interpreter that runs ``program`` instead of the
    reader (whatever arguments it is given)."""
    script = folder / "python-fake"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -c '{program}'\n")
    script.chmod(0o755)
    return str(script)


@IN_CHILD
def test_a_child_that_never_starts_leaves_the_reading_to_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fx.write_xlsx(tmp_path / "m.xlsx", [("姓名", "手机"), ("张三", "1"), ("李四", "2")])
    # Exits at once, writing nothing (an embedding server whose executable is not Python).
    monkeypatch.setattr(sys, "executable", _fake_interpreter(tmp_path, "raise SystemExit(1)"))
    assert sheet_process.available()
    headers, rows = reading_tests.read_all(path)
    assert headers == ("姓名", "手机")
    assert [r.cells for r in rows] == [("张三", "1"), ("李四", "2")]
    assert not _children()


@IN_CHILD
def test_a_child_that_dies_midway_is_a_refusal_not_a_short_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fx.write_xlsx(tmp_path / "m.xlsx", [("姓名", "手机"), ("张三", "1"), ("李四", "2")])
    # Sends the header and one row, then dies without its end frame.
    rows = '[(1, ["姓名", "手机"]), (2, ["张三", "1"])]'
    frame = f'import marshal, sys; marshal.dump(("rows", {rows}, 0), sys.stdout.buffer)'
    monkeypatch.setattr(sys, "executable", _fake_interpreter(tmp_path, frame))
    with pytest.raises(ImportFileError) as caught:
        reading_tests.read_all(path)
    assert caught.value.code == "import_unsafe_file"
    assert not _children()


def test_only_an_interpreter_named_python_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")
    assert not sheet_process.available()
    monkeypatch.setattr(sys, "executable", "")
    assert not sheet_process.available()


@IN_CHILD
def test_the_child_applies_the_parents_limits(tmp_path: Path, child_reads: list[Path]) -> None:
    row = '<row r="{0}"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>'
    path = fx.handmade_xlsx(
        tmp_path / "s.xlsx",
        [("S", "", row.format(1) + row.format(2))],
        shared_strings=[f"<t>{'长' * 40}</t>", f"<t>{'短' * 40}</t>"],
    )
    assert reading_tests.read_all(path)[1][0].cells == ("长" * 40, "短" * 40)  # default limits
    # The parent checks the size of the shared strings first; the child checks again with
    # the limits it is given (its own run of the archive check), and refuses.
    rows = sheet_process.sheet_rows(path, {"TIERCARD_IMPORT_MAX_SHARED_STRINGS": 100})
    with pytest.raises(sheet_process.ReaderFailed) as caught:
        list(rows)
    assert caught.value.reason == "UnsafeWorkbook"


@IN_CHILD
def test_the_child_reports_its_own_peak_memory_and_stays_light(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sheet_process, "_largest_peak_kib", 0)  # this test's child alone
    path = tmp_path / "members.xlsx"
    write_customers(path, 3000, 7)
    with open_table(path, whole_file=True) as table:
        assert len(list(table.rows())) == 3000
    # Its own high-water mark, not the parent's pages it had before exec (this test process
    # holds far more): the interpreter, the XML reader and the cells, without the pinyin
    # dictionaries or Django's apps (about 90 MiB more when ``reading`` was imported).
    assert 10 < sheet_process.largest_peak_mb() < 70


@IN_CHILD
def test_a_header_or_a_sample_is_read_here_and_an_unfinished_reading_ends_its_child(
    tmp_path: Path, child_reads: list[Path]
) -> None:
    path = tmp_path / "members.xlsx"
    write_customers(path, 3000, 7)
    with open_table(path) as table:  # the upload's header, the mapping screen's sample
        assert next(table.rows()).number == 2
    assert child_reads == []
    before = _children()
    with open_table(path, whole_file=True) as table:
        assert next(table.rows()).number == 2
        assert _children() - before
    assert _children() == before  # leaving the table ended the child, rows unread
