"""``tiercard export_table``: the member table view to a file, as the web and API export it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.core.context import interface
from tiercard.customers.models import Customer
from tiercard.exports.writers import read_back
from tiercard.listviews.services import saved_view_create
from tiercard.listviews.table import TableFilters, TableView

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_customer: Callable[..., Customer]) -> dict[str, Customer]:
    return {
        "a": make_customer("rep_east1", name="安娜", phones="13800000011", city="上海"),
        "b": make_customer("rep_east2", name="白雪", phones="13800000022", city="杭州"),
        "south": make_customer("rep_south", name="南方客户", phones="13722220000", city="上海"),
    }


def run(*args: str) -> None:
    with interface("cli"):  # what the tiercard command sets
        call_command("export_table", *args)


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.EXPORT))


def test_a_manager_exports_their_teams_view_as_csv(
    people: dict[str, Customer], tmp_path: Path
) -> None:
    out = tmp_path / "members.csv"
    run(
        "--as", "mgr_east", "-o", str(out), "--format", "csv", "--lang", "en",
        "--city", "上海", "--sort", "name", "--cols", "phone,city",
    )  # fmt: skip

    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert read_back(data) == [["Name", "Phone", "City"], ["安娜", "13800000011", "上海"]]
    [event] = exports()  # 南方客户 (the south rep's) is outside the manager's scope
    assert (event.interface, event.object_type, event.changes["format"]) == (
        "cli",
        "listviews.member_table",
        "csv",
    )
    assert event.changes["view"]["filters"] == {"city": "上海"}


def test_marketing_gets_masked_phones_in_xlsx(people: dict[str, Customer], tmp_path: Path) -> None:
    out = tmp_path / "members.xlsx"
    run("--as", "marketing", "-o", str(out), "--sort", "name", "--cols", "phone", "--lang", "en")

    sheet = load_workbook(io.BytesIO(out.read_bytes()), read_only=True).active
    assert sheet is not None
    rows = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows == {"安娜": "138****0011", "白雪": "138****0022", "南方客户": "137****0000"}


def test_a_saved_view_with_a_filter_replacing_its_own(
    people: dict[str, Customer], tmp_path: Path, users: dict
) -> None:
    saved = saved_view_create(
        actor=users["mgr_east"],
        name="上海",
        view=TableView(filters=TableFilters(city="上海"), columns=("name", "city")),
    )
    out = tmp_path / "v.csv"
    run("--as", "mgr_east", "-o", str(out), "--format", "csv", "--lang", "en",
        "--view", str(saved.pk), "--city", "杭州")  # fmt: skip
    assert read_back(out.read_bytes()) == [["Name", "City"], ["白雪", "杭州"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as", "service"], "permission_denied"),
        (["--as", "rep_east1"], "permission_denied"),
        (["--as", "nobody"], "No active user"),
        (["--as", "admin", "--view", "999999"], "not_found"),
        (["--as", "admin", "--min-spend", "lots"], "Not an amount"),
        (["--as", "admin", "--lang", "fr"], "--lang"),
    ],
)
def test_refusals_write_and_log_nothing(
    people: dict[str, Customer], tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "x.csv"
    with pytest.raises(CommandError, match=message):
        run("-o", str(out), "--format", "csv", *args)
    assert not out.exists()
    assert exports() == []


def test_a_missing_folder_is_refused_before_anything_is_logged(
    people: dict[str, Customer], tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="No such directory"):
        run("--as", "admin", "-o", str(tmp_path / "nope" / "x.xlsx"))
    assert exports() == []
