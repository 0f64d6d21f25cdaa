"""Every dashboard chart's CSV download: its header row and its figures, checked against the
rows of the ``world`` fixture (see ``tests/analytics/conftest.py``, where each number is worked
out), for the administrator in Chinese, for a sales rep (own customers only) in English."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from tiercard.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FIGURES = ("tiers", "revenue", "buyers", "migrations", "customers", "points", "expiring")
ZERO_MONTHS_ZH = [f"2025年{m}月" for m in range(7, 13)] + [f"2026年{m}月" for m in range(1, 7)]


def download(client: Client, figure: str) -> list[list[str]]:
    response = client.get(f"/dashboard/{figure}.csv")
    assert response.status_code == 200, figure
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="tiercard-{figure}-20260615.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def months(rows: list[list[str]]) -> dict[str, list[str]]:
    """Rows keyed by their first cell (the month, or the total's label)."""
    return {row[0]: row[1:] for row in rows[1:]}


@pytest.fixture
def admin(refreshed: dict, client: Client) -> Client:
    assert client.login(username="admin", password=PASSWORD)
    return client


def test_customers_per_tier_csv(admin: Client) -> None:
    # 甲 vip, 丙 standard, 丁 premium; 乙 and 戊 without a membership row hold 基础级.
    assert download(admin, "tiers") == [
        ["等级", "客户", "占比"],
        ["基础级", "2", "40.0"],
        ["标准级", "1", "20.0"],
        ["高级", "1", "20.0"],
        ["VIP级", "1", "20.0"],
        ["合计", "5", "100"],
    ]


def test_revenue_by_tier_csv(admin: Client) -> None:
    rows = download(admin, "revenue")
    assert rows[0] == ["月份", "基础级", "标准级", "高级", "VIP级", "合计"]
    assert [r[0] for r in rows[1:13]] == ZERO_MONTHS_ZH
    by_month = months(rows)
    # 甲 (vip): May 50 (23:30 on 31 May), June 100 − 20 returned + 30; 乙 200; 丙 500.
    assert by_month["2026年5月"] == ["0.00", "0.00", "0.00", "50.00", "50.00"]
    assert by_month["2026年6月"] == ["200.00", "500.00", "0.00", "110.00", "810.00"]
    assert by_month["12 个月合计"] == ["200.00", "500.00", "0.00", "160.00", "860.00"]
    assert by_month["2025年7月"] == ["0.00"] * 5  # 乙's 999 of 30 June 2025 is before


def test_buyers_by_tier_csv(admin: Client) -> None:
    rows = download(admin, "buyers")
    assert rows[0] == ["月份", "基础级", "标准级", "高级", "VIP级", "合计"]
    assert len(rows) == 13  # twelve months; buyers of different months do not add up
    by_month = months(rows)
    # June: 乙 (basic), 丙 (standard) and 甲 (vip, two orders, one buyer).
    assert by_month["2026年6月"] == ["1", "1", "0", "1", "3"]
    assert by_month["2026年5月"] == ["0", "0", "0", "1", "1"]


def test_tier_migrations_csv(admin: Client) -> None:
    rows = download(admin, "migrations")
    assert rows[0] == ["月份", "升级", "降级", "净变动"]
    by_month = months(rows)
    # March: 甲 up; June: 甲 up, 丙 down. Joining (丙, January) is neither.
    assert by_month["2026年3月"] == ["1", "0", "1"]
    assert by_month["2026年6月"] == ["1", "1", "0"]
    assert by_month["2026年1月"] == ["0", "0", "0"]
    assert by_month["12 个月合计"] == ["2", "1", "1"]


def test_new_and_lapsed_customers_csv(admin: Client) -> None:
    rows = download(admin, "customers")
    assert rows[0] == ["月份", "新增", "流失"]
    by_month = months(rows)
    # New: 乙 July 2025, 丁 and 戊 February, 甲 June. Lapsed: 乙 in May, 丙 today.
    assert by_month["2025年7月"] == ["1", "0"]
    assert by_month["2026年2月"] == ["2", "0"]
    assert by_month["2026年5月"] == ["0", "1"]
    assert by_month["2026年6月"] == ["1", "1"]
    assert by_month["12 个月合计"] == ["4", "2"]


def test_points_flow_csv(admin: Client) -> None:
    rows = download(admin, "points")
    assert rows[0] == ["月份", "已发放", "兑换", "过期"]
    by_month = months(rows)
    # May: 甲 earns 50. June: 甲 100 + 丙 500 earned; 30 redeemed less 10 cancelled; 5 expire.
    assert by_month["2026年5月"] == ["50", "0", "0"]
    assert by_month["2026年6月"] == ["600", "20", "5"]
    assert by_month["12 个月合计"] == ["650", "20", "5"]


def test_points_expiring_csv(admin: Client) -> None:
    # 丙 100 on 20 June and 甲 40 on 1 July lie within 30 days; 甲's 25 on 20 August in 90.
    assert download(admin, "expiring") == [
        ["期限", "积分", "客户"],
        ["30 天内", "140", "2"],
        ["60 天内", "140", "2"],
        ["90 天内", "165", "2"],
    ]


def test_each_download_is_audited_with_its_row_count(admin: Client) -> None:
    for figure in FIGURES:
        download(admin, figure)
    events = AuditEvent.objects.filter(action="export", object_type="dashboard").order_by("pk")
    assert [(e.object_id, e.changes) for e in events] == [
        ("tiers", {"rows": 4}),
        ("revenue", {"rows": 12}),
        ("buyers", {"rows": 12}),
        ("migrations", {"rows": 12}),
        ("customers", {"rows": 12}),
        ("points", {"rows": 12}),
        ("expiring", {"rows": 3}),
    ]
    assert {e.actor_label for e in events} == {"admin"}


def test_a_sales_rep_downloads_only_their_customers_figures_in_english(
    refreshed: dict, client: Client
) -> None:
    assert client.login(username="rep_east1", password=PASSWORD)  # 甲 (vip) and 乙 (basic)
    client.post("/language/", {"language": "en"})
    got = {figure: download(client, figure) for figure in FIGURES}
    assert got["tiers"] == [
        ["Tier", "Customers", "Share"],
        ["Basic", "1", "50.0"],
        ["Standard", "0", "0.0"],
        ["Premium", "0", "0.0"],
        ["VIP", "1", "50.0"],
        ["Total", "2", "100"],
    ]
    revenue = months(got["revenue"])
    assert got["revenue"][0] == ["Month", "Basic", "Standard", "Premium", "VIP", "Total"]
    assert revenue["June 2026"] == ["200.00", "0.00", "0.00", "110.00", "310.00"]  # not 丙's
    assert revenue["12 months"] == ["200.00", "0.00", "0.00", "160.00", "360.00"]
    assert got["buyers"][0] == ["Month", "Basic", "Standard", "Premium", "VIP", "Total"]
    assert months(got["buyers"])["June 2026"] == ["1", "0", "0", "1", "2"]
    assert got["migrations"][0] == ["Month", "Upgrades", "Downgrades", "Net"]
    assert months(got["migrations"])["12 months"] == ["2", "0", "2"]  # 丙's downgrade is south
    assert got["customers"][0] == ["Month", "New", "Lapsed"]
    assert months(got["customers"])["12 months"] == ["2", "1"]  # 乙 and 甲; 乙 lapsed
    assert got["points"][0] == ["Month", "Issued", "Redeemed", "Expired"]
    assert months(got["points"])["June 2026"] == ["100", "20", "5"]  # without 丙's 500
    assert got["expiring"] == [
        ["Within", "Points", "Customers"],
        ["Within 30 days", "40", "1"],
        ["Within 60 days", "40", "1"],
        ["Within 90 days", "65", "1"],
    ]
