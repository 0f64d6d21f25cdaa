"""Full-data exports: scope, masking, formula neutralising, chunked reading, audit."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from tests.privacy.conftest import EMAIL, NAME, PHONE
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.core.errors import PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.exports.writers import read_back
from tiercard.loyalty.models import PointsEntry
from tiercard.privacy import full_export
from tiercard.privacy.full_export import ExportFilters, clean_request, full_data_export
from tiercard.sales.models import PurchaseLine

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def csv_of(user: Any, kind: str, filters: ExportFilters | None = None) -> list[list[str]]:
    exported = full_data_export(actor=user, kind=kind, fmt="csv", filters=filters)
    return read_back(b"".join(exported.chunks))


def column(rows: list[list[str]], name: str) -> list[str]:
    at = rows[0].index(name)
    return [row[at] for row in rows[1:]]


def test_an_admin_exports_every_customer_with_contacts_tier_and_points(
    rich: Customer, users: dict
) -> None:
    rows = csv_of(users["admin"], "customers")
    assert len(rows) == 1 + Customer.objects.count() == 5
    mine = next(r for r in rows[1:] if r[0] == str(rich.pk))
    record = dict(zip(rows[0], mine, strict=True))
    assert record["Name"] == NAME
    assert record["Mobile / phone"] == PHONE and record["Email"] == EMAIL
    assert record["WeChat"] == "zmm_wx"
    assert record["Contact persons"] == "张无忌 13911112222 zwj@example.com"
    assert record["Tags"] == "老客户" and record["Account manager"] == "rep_east1"
    assert record["Tier"] and record["Points balance"] == str(rich.membership.points_balance)
    assert int(record["Points balance"]) > 0
    assert record["Birthday"] == "1990-04-05" and record["Team"] == "华东"


def test_marketing_gets_contacts_masked_and_a_manager_only_the_team(
    rich: Customer, users: dict, book: dict
) -> None:
    rows = csv_of(users["marketing"], "customers")
    record = dict(zip(rows[0], next(r for r in rows[1:] if r[0] == str(rich.pk)), strict=True))
    assert record["Mobile / phone"] == "138****9876"
    contacts = [record[k] for k in ("Mobile / phone", "Email", "WeChat", "Contact persons")]
    assert contacts == [
        "138****9876",
        "z***@example.com",
        "z****x",
        "张无忌 139****2222 z***@example.com",
    ]
    south = csv_of(users["mgr_south"], "customers")
    assert column(south, "Customer no.") == [str(book["south"].pk)]
    assert column(csv_of(users["mgr_south"], "purchases"), "Customer no.") == []
    assert column(csv_of(users["mgr_south"], "points"), "Customer no.") == []
    east = column(csv_of(users["mgr_east"], "purchases"), "Customer no.")
    assert set(east) == {str(rich.pk)}


def test_purchases_are_one_row_per_line_with_formulas_neutralised(
    rich: Customer, users: dict
) -> None:
    rows = csv_of(users["admin"], "purchases")
    assert len(rows) - 1 == PurchaseLine.objects.count() == 4
    assert sorted(column(rows, "Line")) == ["1", "1", "2", "2"]
    assert '\'=HYPERLINK("x")' in column(rows, "Item")
    assert set(column(rows, "Customer")) == {NAME}


def test_the_points_ledger_and_the_date_filter(rich: Customer, users: dict) -> None:
    rows = csv_of(users["admin"], "points")
    assert len(rows) - 1 == PointsEntry.objects.count() >= 3
    points = column(rows, "Points")
    assert sum(int(p) for p in points) == rich.membership.points_balance
    tomorrow = business_today() + dt.timedelta(days=1)
    later = csv_of(users["admin"], "points", ExportFilters(date_from=tomorrow))
    assert later == rows[:1]
    today = csv_of(users["admin"], "purchases", ExportFilters(date_to=business_today()))
    assert len(today) == len(csv_of(users["admin"], "purchases"))


def test_status_and_tier_filters(rich: Customer, users: dict) -> None:
    tier = rich.membership.tier
    rows = csv_of(users["admin"], "customers", ExportFilters(tier=tier))
    assert str(rich.pk) in column(rows, "Customer no.")
    assert csv_of(users["admin"], "customers", ExportFilters(status="archived")) == rows[:1]


def test_xlsx_has_the_same_rows_on_a_named_sheet(rich: Customer, users: dict) -> None:
    exported = full_data_export(actor=users["admin"], kind="purchases", fmt="xlsx")
    assert exported.filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(b"".join(exported.chunks)), read_only=True)
    sheet = book["Purchases"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(values) == 5 and values[0][0] == "Purchase no."
    assert '\'=HYPERLINK("x")' in [r[16] for r in values[1:]]


def test_every_export_is_audited_before_the_first_byte(rich: Customer, users: dict) -> None:
    filters = ExportFilters(date_from=dt.date(2020, 1, 1))
    exported = full_data_export(actor=users["mgr_east"], kind="points", fmt="csv", filters=filters)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.object_type == "privacy.export.points" and event.actor == users["mgr_east"]
    assert event.changes == {
        "kind": "points",
        "format": "csv",
        "filters": {"date_from": "2020-01-01"},
        "rows": PointsEntry.objects.count(),
    }
    assert len(read_back(b"".join(exported.chunks))) - 1 == event.changes["rows"]


@pytest.mark.parametrize("who", ["rep_east1", "service", "service_reveal"])
def test_roles_without_the_right_are_refused_and_nothing_is_logged(
    rich: Customer, users: dict, who: str
) -> None:
    with pytest.raises(PermissionDenied):
        full_data_export(actor=users[who], kind="customers", fmt="csv")
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_bad_requests_name_each_field_and_log_nothing(users: dict) -> None:
    with pytest.raises(ValidationFailed) as bad:
        clean_request("orders", "pdf", {"date_from": "2024-13-40", "status": "x", "tier": "zz"})
    assert set(bad.value.fields) == {"kind", "format", "date_from", "status", "tier"}
    with pytest.raises(ValidationFailed) as order:
        clean_request("points", "csv", {"date_from": "2024-05-02", "date_to": "2024-05-01"})
    assert set(order.value.fields) == {"date_to"}
    with pytest.raises(ValidationFailed):
        full_data_export(actor=users["admin"], kind="everything", fmt="csv")
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def consume_counting(user: Any, kind: str) -> tuple[int, int]:
    exported = full_data_export(actor=user, kind=kind, fmt="csv")
    with CaptureQueriesContext(connection) as queries:
        data = b"".join(exported.chunks)
    return len(read_back(data)) - 1, len(queries)


@pytest.mark.parametrize("kind", ["customers", "purchases", "points"])
def test_the_query_count_does_not_grow_with_the_rows(
    rich: Customer, users: dict, make_customer: Callable[..., Customer], kind: str
) -> None:
    from tests.privacy.conftest import buy

    rows_small, queries_small = consume_counting(users["admin"], kind)
    for n in range(6):
        extra = make_customer(
            "rep_east1", name=f"客户{n}", phones=f"1350000000{n}", wechat=f"wx_{n}abc"
        )
        buy(users["rep_east1"], extra, "50", f"X-{n}")
    rows_large, queries_large = consume_counting(users["admin"], kind)
    assert rows_large > rows_small
    assert queries_large == queries_small


def test_keyset_chunks_read_every_row_once(
    rich: Customer, users: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = csv_of(users["admin"], "purchases")
    monkeypatch.setattr(full_export, "CHUNK_ROWS", 1)
    assert csv_of(users["admin"], "purchases") == whole
    assert len(csv_of(users["admin"], "customers")) == 1 + Customer.objects.count()


@pytest.mark.parametrize("kind", full_export.KINDS)
def test_sheet_name_and_headers_follow_the_language(rich: Customer, users: dict, kind: str) -> None:
    """In Chinese no header is the English word (needs the zh catalogue merged)."""

    def sheet(language: str) -> tuple[str, list[str]]:
        with translation.override(language):
            exported = full_data_export(actor=users["admin"], kind=kind, fmt="xlsx")
        book = load_workbook(io.BytesIO(b"".join(exported.chunks)), read_only=True)
        [name] = book.sheetnames
        return name, [str(c) for c in next(book[name].iter_rows(max_row=1, values_only=True))]

    en_name, en_head = sheet("en")
    zh_name, zh_head = sheet("zh-hans")

    assert en_name != zh_name and len(en_head) == len(zh_head)
    same = {"QQ", "SKU"}  # written the same in Chinese
    assert [
        en for en, zh in zip(en_head, zh_head, strict=True) if en == zh and en not in same
    ] == []
