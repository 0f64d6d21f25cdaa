"""The dashboard in a real browser: ECharts draws every chart, the table view toggles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD
from tiercard.loyalty.services.checkout import purchase_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_dashboard(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/?next=/dashboard/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")


def test_charts_are_drawn_and_each_has_a_table_view(
    live_server: Any, page: Any, book: dict, users: dict
) -> None:
    # Two orders of 1,500 lift 张三 to 标准级 (a migration to chart); 李四 buys for 800.
    for customer, owner, amount in [
        (book["east1"], "rep_east1", "1500"),
        (book["east1"], "rep_east1", "1500"),
        (book["east2"], "rep_east2", "800"),
    ]:
        purchase_record(
            actor=users[owner],
            customer_id=customer.pk,
            data={"lines": [{"item_name": "龙井茶", "quantity": "1", "unit_price": amount}]},
        )
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_dashboard(page, base, "admin")

    revenue = page.locator("#chart-revenue")
    revenue.locator(".dash-chart__canvas svg").first.wait_for()
    for slug in ("tiers", "revenue", "buyers", "migrations", "customers", "points"):
        assert page.locator(f"#canvas-{slug} svg").count() == 1, slug
    # Nothing expires within 90 days yet: that chart shows its empty state instead.
    assert "90" in page.locator("#chart-expiring .dash-empty").inner_text()
    assert page.locator("#table-revenue").is_hidden()
    page.wait_for_timeout(800)  # let the charts' entry animation finish before the picture
    screenshot(page, "browser-dashboard")

    toggle = revenue.locator("button.dash-toggle")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    table = page.locator("#table-revenue")
    assert table.is_visible() and page.locator("#canvas-revenue").is_hidden()
    assert "¥3,800.00" in table.inner_text()  # both purchases, in the month's total
    toggle.click()
    assert page.locator("#canvas-revenue").is_visible() and table.is_hidden()
    assert errors == []


def test_a_sales_rep_on_a_phone(live_server: Any, browser: Any, book: dict, users: dict) -> None:
    purchase_record(
        actor=users["rep_east1"],
        customer_id=book["east1"].pk,
        data={"lines": [{"item_name": "龙井茶", "quantity": "1", "unit_price": "3000"}]},
    )
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    try:
        open_dashboard(page, live_server.url, "rep_east1")
        page.locator("#canvas-tiers svg").first.wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing sticks out sideways
        box = page.locator("#canvas-revenue").bounding_box()
        assert box is not None and box["width"] <= 390
        assert "¥800.00" not in page.content()  # rep_east2's purchase is not in this book
        page.wait_for_timeout(800)
        screenshot(page, "browser-dashboard-phone")
    finally:
        context.close()
