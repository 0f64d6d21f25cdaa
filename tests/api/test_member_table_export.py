"""GET /customers/export: the member table view as CSV or xlsx, as the web export gives it —
scope, filters, sort and columns, masking per role, formula-safe, audit-logged first."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.api.conftest import ApiClient
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.customers.models import Customer
from tiercard.exports.writers import read_back
from tiercard.listviews.services import saved_view_create
from tiercard.listviews.table import TableFilters, TableView

pytestmark = pytest.mark.django_db
URL = "/customers/export"


@pytest.fixture
def people(make_customer: Callable[..., Customer]) -> dict[str, Customer]:
    """Three customers of the east team in 上海, one of the south team (the other rep's)."""
    return {
        "a": make_customer("rep_east1", name="安娜", phones="13800000011", city="上海"),
        "b": make_customer("rep_east2", name="白雪", phones="13800000022", city="上海"),
        "formula": make_customer("rep_east1", name='=HYPERLINK("x")', city="上海"),
        "south": make_customer("rep_south", name="南方客户", phones="13722220000", city="上海"),
    }


def download(client: ApiClient, params: dict[str, Any]) -> Any:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    assert response.streaming
    return response, b"".join(response.streaming_content)


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("pk"))


def test_a_manager_gets_the_view_of_their_team_as_csv_with_a_bom(
    api: Callable[..., ApiClient], people: dict[str, Customer], users: dict[str, User]
) -> None:
    params = {"format": "csv", "city": "上海", "sort": "name", "cols": ["phone", "city"]}
    response, data = download(api("mgr_east", lang="en"), params)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="members-')
    assert data.startswith(b"\xef\xbb\xbf")
    rows = read_back(data)
    assert rows[0] == ["Name", "Phone", "City"]
    names = [r[0] for r in rows[1:]]
    assert sorted(names) == sorted(["安娜", "白雪", '\'=HYPERLINK("x")'])  # neutralised
    assert "南方客户" not in str(rows)  # the other team's rep's customer is out of scope
    assert ["安娜", "13800000011", "上海"] in rows  # a manager sees the team's phones
    [event] = exports()
    assert (event.actor, event.object_type, event.interface) == (
        users["mgr_east"],
        "listviews.member_table",
        "api",
    )
    assert event.changes["format"] == "csv"
    assert event.changes["view"]["filters"] == {"city": "上海"}
    assert event.changes["view"]["columns"] == ["name", "phone", "city"]


def test_marketing_gets_every_team_with_phones_masked_in_xlsx(
    api: Callable[..., ApiClient], people: dict[str, Customer]
) -> None:
    response, data = download(
        api("marketing", lang="en"), {"format": "xlsx", "sort": "name", "cols": ["phone"]}
    )

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Name", "Phone"]
    phones = {r[0]: r[1] for r in rows[1:]}
    assert set(phones) >= {"安娜", "白雪", "南方客户"}
    assert phones["安娜"] == "138****0011" and phones["南方客户"] == "137****0000"
    assert "13800000011" not in str(rows)
    assert phones['\'=HYPERLINK("x")'] in ("", None)
    assert [e.interface for e in exports()] == ["api"]


def test_a_saved_view_is_exported_with_its_filters_and_columns(
    api: Callable[..., ApiClient], people: dict[str, Customer], users: dict[str, User]
) -> None:
    saved = saved_view_create(
        actor=users["mgr_east"],
        name="安娜",
        view=TableView(filters=TableFilters(q="安娜"), columns=("name", "city")),
    )
    _response, data = download(api("mgr_east", lang="en"), {"view": saved.pk})
    assert read_back(data) == [["Name", "City"], ["安娜", "上海"]]
    # a filter given replaces the view's
    _response, data = download(api("mgr_east", lang="en"), {"view": saved.pk, "q": "白雪"})
    assert read_back(data)[1:] == [["白雪", "上海"]]


@pytest.mark.parametrize("who", ["service", "service_reveal", "rep_east1"])
def test_roles_that_may_not_export_get_403_and_nothing_is_logged(
    api: Callable[..., ApiClient], people: dict[str, Customer], who: str
) -> None:
    response = api(who, lang="en").get(URL, {"format": "csv"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert exports() == []


def test_bad_parameters_name_each_field_and_nothing_is_logged(
    api: Callable[..., ApiClient], people: dict[str, Customer], users: dict[str, User]
) -> None:
    client = api("admin", lang="en")
    bad = client.get(URL, {"tier": "platinum", "sort": "shoe-size", "cols": ["shoe"]})
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"tier", "sort", "cols"}
    wrong_format = client.get(URL, {"format": "pdf"})
    assert wrong_format.status_code == 422 and set(wrong_format.json()["fields"]) == {"format"}
    private = saved_view_create(actor=users["mgr_south"], name="南", view=TableView())
    assert api("mgr_east").get(URL, {"view": private.pk}).status_code == 404
    assert exports() == []


def test_the_export_reads_in_pages_not_per_row(
    api: Callable[..., ApiClient],
    people: dict[str, Customer],
    make_customer: Callable[..., Customer],
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(12):
        make_customer("rep_east1", name=f"客户{n:02d}", phones=f"1390000{n:04d}", city="上海")
    client = api("admin")
    with django_assert_max_num_queries(12):  # 10 today: rows are read in pages
        _response, data = download(client, {"format": "csv", "cols": ["phone", "tier", "tags"]})
    assert len(read_back(data)) == 1 + 16


def test_the_export_narrows_to_customers_due_for_contact(
    api: Callable[..., ApiClient], people: dict[str, Customer]
) -> None:
    """基础级 asks for a contact every 180 days: 安娜 was added 200 days ago, never contacted."""
    import datetime as dt

    from django.utils import timezone

    long_ago = timezone.now() - dt.timedelta(days=200)
    Customer.objects.filter(pk=people["a"].pk).update(created_at=long_ago)
    client = api("mgr_east", lang="en")

    _response, data = download(client, {"format": "csv", "follow_up_due": "true"})
    _response, everyone = download(client, {"format": "csv"})

    assert [r[0] for r in read_back(data)[1:]] == ["安娜"]
    assert len(read_back(everyone)) == 4  # the header and the team's three
    assert client.get(URL, {"follow_up_due": "maybe"}).status_code == 422


def test_the_export_keeps_the_customers_missing_their_dedicated_manager(
    users: dict[str, User], people: dict[str, Customer], api: Callable[..., Any]
) -> None:
    from tests.loyalty.tiers_support import member

    member(people["a"], "vip")
    Customer.objects.filter(pk=people["a"].pk).update(owner=None)
    client = api("admin", lang="en")

    _response, data = download(client, {"format": "csv", "manager_missing": "true"})

    assert [r[0] for r in read_back(data)[1:]] == ["安娜"]
    assert client.get(URL, {"manager_missing": "maybe"}).status_code == 422
