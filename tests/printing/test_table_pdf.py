"""The printed member table: exactly the view (scope, filters, sort, columns), a header row on
every page, masking, the row limit, rights, audit, and the web and API doors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.printing.conftest import read_pdf
from tiercard.audit.models import AuditEvent
from tiercard.core.context import interface
from tiercard.core.errors import PermissionDenied, ValidationFailed
from tiercard.customers.models import Customer
from tiercard.listviews.services import saved_view_create
from tiercard.listviews.table import TableFilters, TableView
from tiercard.printing.services import member_table_print

pytestmark = pytest.mark.django_db

ROWS = 60


@pytest.fixture
def many(make_customer: Callable[..., Customer]) -> list[Customer]:
    """ROWS customers of rep_east1 in 上海 and two elsewhere, with phones."""
    made = [
        make_customer("rep_east1", name=f"客户{n:03d}", phones=f"1380000{n:04d}", city="上海")
        for n in range(ROWS)
    ]
    made.append(make_customer("rep_east2", name="杭州客户", phones="13911110000", city="杭州"))
    made.append(make_customer("rep_south", name="广州客户", phones="13722220000", city="广州"))
    return made


def test_a_long_table_repeats_its_header_on_every_page(
    users: dict, many: list[Customer], django_assert_max_num_queries: Any
) -> None:
    view = TableView(filters=TableFilters(city="上海"), sort="name")
    with django_assert_max_num_queries(25):  # pages of rows, not a query per row
        printed = member_table_print(actor=users["mgr_east"], view=view)
    pdf = read_pdf(printed.content)
    assert 2 <= pdf.pages <= 5
    for text in pdf.page_texts:
        assert "Phone" in text and "Tier" in text  # the header row
        assert re.search(r"Page \d+ of \d+", text)
    names = re.findall(r"客户\d{3}", pdf.text)
    assert names == sorted(names) and len(names) == ROWS  # every row once, in the view's order
    assert "杭州客户" not in pdf.text  # the city filter
    assert f"{ROWS} customers" in pdf.text
    assert "City: 上海" in pdf.text  # the view is stated above the table
    for font in pdf.fonts:
        assert font["embedded"] and font["subset"], font


def test_the_table_holds_only_the_viewers_customers(users: dict, many: list[Customer]) -> None:
    pdf = read_pdf(member_table_print(actor=users["mgr_south"], view=TableView()).content)
    assert "广州客户" in pdf.text
    assert "客户000" not in pdf.text and "杭州客户" not in pdf.text
    assert "1 customer" in pdf.text


def test_masked_roles_print_masked_phones(users: dict, many: list[Customer]) -> None:
    view = TableView(filters=TableFilters(city="杭州"))
    pdf = read_pdf(member_table_print(actor=users["marketing"], view=view).content)
    assert "杭州客户" in pdf.text
    assert "13911110000" not in re.sub(r"\D", "", pdf.text)
    assert "139****0000" in pdf.text


def test_printing_the_table_is_audited_with_its_view(users: dict, many: list[Customer]) -> None:
    view = TableView(filters=TableFilters(city="杭州"), sort="name")
    with interface("web"):
        member_table_print(actor=users["marketing"], view=view)
    row = AuditEvent.objects.get(action="export")
    assert row.actor == users["marketing"] and row.interface == "web"
    assert row.object_type == "printing.member_table"
    assert row.changes["view"]["filters"] == {"city": "杭州"}
    assert row.changes["view"]["sort"] == "name"
    assert row.changes["rows"] == 1


def test_too_many_rows_are_refused_with_a_pointer_to_excel(
    users: dict, many: list[Customer], settings: Any
) -> None:
    settings.TIERCARD_PDF_MAX_ROWS = 10
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        member_table_print(actor=users["admin"], view=TableView())
    assert caught.value.code == "too_many_rows"
    assert "10" in str(caught.value.message) and "xlsx" in str(caught.value.message)
    assert AuditEvent.objects.count() == before


def test_sales_reps_may_not_print_the_table(users: dict, many: list[Customer]) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        member_table_print(actor=users["rep_east1"], view=TableView())
    assert AuditEvent.objects.count() == before


# --- Web --------------------------------------------------------------------------------------


def test_web_prints_the_current_view(login: Callable[[str], Client], many: list[Customer]) -> None:
    client = login("mgr_east")
    page = client.get("/customers/?city=杭州").content.decode()
    assert 'id="table-print"' in page and "/customers/print.pdf?" in page
    response = client.get("/customers/print.pdf", {"city": "杭州", "sort": "name"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('inline; filename="members-')
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    pdf = read_pdf(response.content)
    assert "杭州客户" in pdf.text and "客户000" not in pdf.text


def test_web_goes_back_to_the_table_when_the_view_is_too_large(
    login: Callable[[str], Client], many: list[Customer], settings: Any
) -> None:
    settings.TIERCARD_PDF_MAX_ROWS = 10
    before = AuditEvent.objects.count()
    response = login("mgr_east").get("/customers/print.pdf", {"city": "上海"}, follow=True)
    assert response.redirect_chain[-1][0].startswith("/customers/?")
    assert "city=" in response.redirect_chain[-1][0]
    assert "xlsx" in response.content.decode()
    assert AuditEvent.objects.exclude(action="login").count() == before


def test_web_refuses_a_sales_rep(login: Callable[[str], Client], many: list[Customer]) -> None:
    client = login("rep_east1")
    before = AuditEvent.objects.exclude(action="login").count()
    assert 'id="table-print"' not in client.get("/customers/").content.decode()
    assert client.get("/customers/print.pdf").status_code == 403
    assert AuditEvent.objects.exclude(action="login").count() == before


# --- API --------------------------------------------------------------------------------------


def test_api_prints_the_filters_of_the_list(api: Callable, many: list[Customer]) -> None:
    response = api("admin").get("/customers/table.pdf", {"city": "广州", "sort": "name"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = read_pdf(response.content)
    assert "广州客户" in pdf.text and "杭州客户" not in pdf.text
    row = AuditEvent.objects.get(action="export")
    assert row.interface == "api" and row.changes["view"]["filters"] == {"city": "广州"}


def test_api_prints_a_saved_view(users: dict, api: Callable, many: list[Customer]) -> None:
    saved = saved_view_create(
        actor=users["mgr_east"],
        name="杭州",
        view=TableView(filters=TableFilters(city="杭州"), columns=("name", "phone", "city")),
    )
    response = api("mgr_east", lang="en").get("/customers/table.pdf", {"view": saved.pk})
    assert response.status_code == 200
    pdf = read_pdf(response.content)
    assert "杭州客户" in pdf.text and "客户000" not in pdf.text
    assert "City" in pdf.text and "Account manager" not in pdf.text  # the view's columns
    # Someone else's private view is as good as missing.
    assert api("mgr_south").get("/customers/table.pdf", {"view": saved.pk}).status_code == 404


def test_api_rejects_bad_filters_and_large_views_in_the_error_shape(
    api: Callable, many: list[Customer], settings: Any
) -> None:
    client = api("admin")
    bad = client.get("/customers/table.pdf", {"tier": "platinum", "sort": "shoe-size"})
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"tier", "sort"}
    assert client.get("/customers/table.pdf", {"min_spend": "lots"}).status_code == 422
    settings.TIERCARD_PDF_MAX_ROWS = 10
    large = client.get("/customers/table.pdf")
    assert large.status_code == 422 and large.json()["code"] == "too_many_rows"
    assert api("rep_east1").get("/customers/table.pdf").status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()
