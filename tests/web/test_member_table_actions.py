"""The member table's actions: bulk owner / tag / status (all-or-nothing, scoped, audited) and
the export of exactly the current view (CSV with BOM, xlsx; masked per role; formula-safe)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.test import Client
from openpyxl import load_workbook

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.bulk import (
    customer_bulk_add_tag,
    customer_bulk_assign_owner,
    customer_bulk_set_status,
)
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.customers.services import customer_archive
from tiercard.exports.writers import csv_stream, neutralise, read_back

pytestmark = pytest.mark.django_db


def snapshot(*customers: Customer) -> list[tuple]:
    rows = Customer.objects.filter(pk__in=[c.pk for c in customers]).order_by("pk")
    return [
        (c.pk, c.owner_id, c.team_id, c.status, c.version, sorted(t.name for t in c.tags.all()))
        for c in rows.prefetch_related("tags")
    ]


@pytest.fixture
def east(make_customer: Callable[..., Customer]) -> list[Customer]:
    return [
        make_customer("rep_east1", name="张一", phones="13800000011", city="上海"),
        make_customer("rep_east1", name="张二", city="上海"),
        make_customer("rep_east2", name="李三", city="上海"),
    ]


@pytest.fixture
def south(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer("rep_south", name="王南", city="广州")


# --- Bulk -----------------------------------------------------------------------------------


def test_manager_assigns_an_owner_to_the_ticked_rows(
    login: Callable[[str], Client], east: list[Customer], users: dict[str, User]
) -> None:
    client = login("mgr_east")
    before = AuditEvent.objects.count()
    response = client.post(
        "/customers/bulk/",
        {
            "action": "owner",
            "owner": users["rep_east2"].pk,
            "ids": [east[0].pk, east[1].pk, east[2].pk],
            "query": "city=上海&sort=name",
            "confirm": "1",  # the confirmation's button (see tests/web/test_bulk_confirm.py)
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/customers/?city=%E4%B8%8A%E6%B5%B7&sort=name"
    owners = set(Customer.objects.filter(pk__in=[c.pk for c in east]).values_list("owner_id"))
    assert owners == {(users["rep_east2"].pk,)}
    # Two changed (the third already was rep_east2's): one audit row per changed card.
    assert AuditEvent.objects.count() == before + 2
    assert set(
        AuditEvent.objects.filter(action=AuditAction.UPDATE).values_list("customer_id", flat=True)
    ) >= {east[0].pk, east[1].pk}


def test_a_tampered_request_with_a_foreign_id_changes_nothing_and_says_so(
    login: Callable[[str], Client], east: list[Customer], south: Customer, users: dict[str, User]
) -> None:
    client = login("mgr_east")
    before, audits = snapshot(*east, south), AuditEvent.objects.count()
    for data in (
        {"action": "owner", "owner": users["rep_east2"].pk},
        {"action": "tag", "tag": "篡改"},
        {"action": "status", "status": "churned"},
    ):
        response = client.post(
            "/customers/bulk/", {**data, "ids": [east[0].pk, south.pk]}, follow=True
        )
        assert response.status_code == 200
        assert "nothing was changed" in response.content.decode() or "未作任何更改" in (
            response.content.decode()
        )
    assert snapshot(*east, south) == before
    assert AuditEvent.objects.count() == audits
    with pytest.raises(NotFound):
        customer_bulk_set_status(
            actor=users["rep_east1"], customer_ids=[east[0].pk, east[2].pk], status="churned"
        )
    assert snapshot(*east, south) == before


def test_sales_may_tag_and_set_status_of_their_own_but_not_hand_them_over(
    login: Callable[[str], Client], east: list[Customer], users: dict[str, User]
) -> None:
    rep = users["rep_east1"]
    mine = [east[0].pk, east[1].pk]
    tagged = customer_bulk_add_tag(actor=rep, customer_ids=mine, tag=" 重点 ")
    assert tagged.changed == mine
    again = customer_bulk_add_tag(actor=rep, customer_ids=mine, tag="重点")
    assert (again.changed, again.unchanged) == ([], mine)
    status = customer_bulk_set_status(actor=rep, customer_ids=mine, status="at_risk")
    assert status.changed == mine
    assert set(Customer.objects.filter(pk__in=mine).values_list("status", flat=True)) == {
        CustomerStatus.AT_RISK
    }
    before = snapshot(*east)
    with pytest.raises(PermissionDenied):
        customer_bulk_assign_owner(actor=rep, customer_ids=mine, owner_id=users["rep_east2"].pk)
    assert (
        login("rep_east1")
        .post("/customers/bulk/", {"action": "owner", "owner": users["rep_east2"].pk, "ids": mine})
        .status_code
        == 403
    )
    assert snapshot(*east) == before


def test_bad_bulk_values_are_refused_before_anything_changes(
    east: list[Customer], users: dict[str, User]
) -> None:
    mgr = users["mgr_east"]
    ids = [c.pk for c in east]
    customer_archive(actor=mgr, customer_id=east[2].pk)
    before = snapshot(*east)
    with pytest.raises(ValidationFailed):
        customer_bulk_set_status(actor=mgr, customer_ids=ids, status="archived")
    with pytest.raises(ValidationFailed):  # an archived customer is in the selection
        customer_bulk_set_status(actor=mgr, customer_ids=ids, status="churned")
    with pytest.raises(ValidationFailed):
        customer_bulk_add_tag(actor=mgr, customer_ids=ids, tag="x" * 41)
    with pytest.raises(ValidationFailed):
        customer_bulk_assign_owner(actor=mgr, customer_ids=ids, owner_id=users["rep_south"].pk)
    with pytest.raises(ValidationFailed):
        customer_bulk_add_tag(actor=mgr, customer_ids=[], tag="空")
    with pytest.raises(NotFound):
        customer_bulk_add_tag(actor=mgr, customer_ids=["1 OR 1=1"], tag="注入")
    assert snapshot(*east) == before


# --- Export ---------------------------------------------------------------------------------


def _download(response) -> bytes:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_csv_export_is_exactly_the_current_view_masked_for_marketing(
    login: Callable[[str], Client], east: list[Customer], south: Customer
) -> None:
    client = login("marketing")
    response = client.get("/customers/export/?city=上海&sort=name&cols=phone&cols=city&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    data = _download(response)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = read_back(data)
    assert len(rows[0]) == 3  # name, phone, city: the chosen columns only
    assert [r[0] for r in rows[1:]] == ["李三", "张二", "张一"]  # the view's order (pinyin)
    assert "138****0011" in [r[1] for r in rows[1:]]
    assert "13800000011" not in data.decode("utf-8-sig")
    assert "王南" not in data.decode("utf-8-sig")
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.changes["format"] == "csv"
    assert event.changes["view"]["filters"] == {"city": "上海"}


def test_xlsx_export_has_the_same_rows(
    login: Callable[[str], Client], east: list[Customer]
) -> None:
    client = login("mgr_east")
    data = _download(client.get("/customers/export/?sort=name&cols=city&format=xlsx"))
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [r[0] for r in values[1:]] == ["李三", "张二", "张一"]
    assert [r[1] for r in values[1:]] == ["上海", "上海", "上海"]


def test_formula_like_cells_are_neutralised(
    login: Callable[[str], Client], make_customer: Callable[..., Customer]
) -> None:
    make_customer("rep_east1", name='=HYPERLINK("http://x","点我")', city="+上海")
    data = _download(login("admin").get("/customers/export/?cols=city&format=csv"))
    row = read_back(data)[1]
    assert row[0].startswith("'=HYPERLINK")
    assert row[1] == "'+上海"
    for raw in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(raw) == "'" + raw
    assert neutralise(-5) == -5 and neutralise("张三") == "张三"
    lines = list(csv.reader(io.StringIO(b"".join(csv_stream(["a"], [["=x"]])).decode("utf-8-sig"))))
    assert lines == [["a"], ["'=x"]]


def test_service_staff_cannot_export_and_nothing_is_logged(
    login: Callable[[str], Client], east: list[Customer]
) -> None:
    client = login("service")
    assert client.get("/customers/export/?format=csv").status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
    assert "/customers/export/" not in client.get("/customers/").content.decode()


def test_an_unknown_format_is_refused(login: Callable[[str], Client], east: list[Customer]) -> None:
    assert login("admin").get("/customers/export/?format=pdf").status_code == 422
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
