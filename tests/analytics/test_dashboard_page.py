"""The dashboard page and its CSV downloads."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from tiercard.audit.models import AuditEvent
from tiercard.web.views.dashboard import csv_cell

pytestmark = pytest.mark.django_db


def signed_in(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def chart_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html)
    assert found, "no JSON data block"
    return json.loads(found.group(1))


def test_the_dashboard_needs_a_login(client: Client) -> None:
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/dashboard/revenue.csv").status_code == 302
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_administrator_sees_every_chart_with_its_table(
    refreshed: dict, client: Client, django_assert_max_num_queries: Any
) -> None:
    """A fixed number of queries whatever the size of the book: session, user, the figures'
    state, the programme, seven sums over the precomputed groups, and follow-ups ×2."""
    signed_in(client, "admin")
    with django_assert_max_num_queries(15):
        response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    data = chart_data(html)
    assert set(data["charts"]) == {
        "tiers",
        "revenue",
        "buyers",
        "migrations",
        "customers",
        "points",
        "expiring",
    }
    revenue = {s["name"]: s["data"][-1] for s in data["charts"]["revenue"]["series"]}
    assert revenue == {"基础级": "200.00", "标准级": "500.00", "高级": "0.00", "VIP级": "110.00"}
    assert data["charts"]["revenue"]["categories"][-1] == "2026年6月"
    assert data["currency"] == "¥"
    # The table view carries the same numbers, money formatted for the page.
    assert 'id="table-revenue"' in html and "¥810.00" in html and "¥860.00" in html
    # No script with data in it: the page's only scripts are files and the JSON block.
    assert "<script>" not in html
    assert 'src="/static/tiercard/vendor/echarts/echarts.min.js"' in html
    # Follow-ups link to the cards.
    assert f'href="/customers/{refreshed["jia"].pk}/"' in html
    assert f'href="/customers/{refreshed["yi"].pk}/"' in html
    assert "送生日礼物" in html and "确认报价" in html


def test_a_sales_rep_sees_only_their_own_customers(refreshed: dict, client: Client) -> None:
    signed_in(client, "rep_east1")
    html = client.get("/dashboard/").content.decode()
    data = chart_data(html)
    pie = data["charts"]["tiers"]
    tiers = dict(zip(pie["categories"], pie["series"][0]["data"], strict=True))
    assert tiers == {"基础级": 1, "标准级": 0, "高级": 0, "VIP级": 1}
    assert "¥500.00" not in html and "¥360.00" in html
    assert f'href="/customers/{refreshed["bing"].pk}/"' not in html  # 丙 belongs to rep_south


def test_the_page_follows_the_language(refreshed: dict, client: Client) -> None:
    user = signed_in(client, "admin")
    client.cookies["django_language"] = "en"
    html = user.get("/dashboard/").content.decode()
    data = chart_data(html)
    assert data["charts"]["tiers"]["categories"] == ["Basic", "Standard", "Premium", "VIP"]
    assert data["charts"]["revenue"]["categories"][-1] == "June 2026"


def test_a_large_book_without_figures_yet_says_they_are_coming(
    refreshed: dict, client: Client, settings: Any
) -> None:
    from tiercard.analytics.models import RollupState

    RollupState.objects.all().delete()
    settings.TIERCARD_DASHBOARD_INLINE_CUSTOMERS = 3
    signed_in(client, "admin")
    html = client.get("/dashboard/").content.decode()
    assert 'id="dashboard-preparing"' in html and "dashboard-data" not in html
    assert "送生日礼物" in html  # the follow-ups of the last refresh still show
    assert client.get("/dashboard/revenue.csv").status_code == 404


def test_an_empty_book_shows_what_to_do(client: Client, users: dict) -> None:
    signed_in(client, "admin")
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="dashboard-empty"' in html
    assert chart_data(html)["charts"] == {}  # nothing drawn, every chart shows its empty state
    assert html.count('class="dash-empty"') == 8  # seven charts and the follow-ups


def test_csv_download_is_utf8_with_bom_and_audited(refreshed: dict, client: Client) -> None:
    signed_in(client, "rep_east1")
    response = client.get("/dashboard/revenue.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][1:5] == ["基础级", "标准级", "高级", "VIP级"] and len(rows[0]) == 6
    assert len(rows) == 14  # header, twelve months, the total
    assert rows[-2][1:] == ["200.00", "0.00", "0.00", "110.00", "310.00"]
    assert rows[-1][1:] == ["200.00", "0.00", "0.00", "160.00", "360.00"]
    event = AuditEvent.objects.get(action="export")
    assert (event.actor_label, event.object_type, event.object_id) == (
        "rep_east1",
        "dashboard",
        "revenue",
    )
    assert event.changes == {"rows": 12}


def test_an_unknown_figure_is_not_found_and_not_audited(refreshed: dict, client: Client) -> None:
    signed_in(client, "admin")
    assert client.get("/dashboard/salaries.csv").status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_csv_cells_that_look_like_formulas_stay_text() -> None:
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert [csv_cell(v) for v in ("+1", "-x", "@a", "\tz")] == ["'+1", "'-x", "'@a", "'\tz"]
    assert csv_cell(-5) == -5 and csv_cell("张三") == "张三"


def test_the_navigation_marks_the_dashboard(refreshed: dict, client: Client) -> None:
    signed_in(client, "service")
    html = client.get("/dashboard/").content.decode()
    assert 'class="is-active" aria-current="page" href="/dashboard/"' in html
    assert 'class="is-active" aria-current="page" href="/customers/"' not in html
