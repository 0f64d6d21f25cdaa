"""A sales rep's day in a real browser: sign in, find a customer by initials, record a sale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser.conftest import screenshot, sign_in
from tiercard.customers.models import Customer
from tiercard.sales.models import Purchase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_find_by_initials_open_the_card_and_record_a_purchase(live_server, page, book):
    base = live_server.url
    sign_in(page, base, "rep_east1")
    assert page.locator("h1").inner_text() == "会员客户分级管理表"

    page.fill("#id_q", "zs")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    rows = page.locator("tbody tr")
    assert rows.count() == 1 and "张三" in rows.first.inner_text()
    assert "李四" not in page.content()  # another rep's customer never shows
    screenshot(page, "browser-list-search-zs")

    rows.first.locator("a").first.click()
    page.wait_for_url(f"{base}/customers/{book['east1'].pk}/")
    page.click("#purchase-details summary")
    page.fill("input[name='line-0-item_name']", "龙井茶")
    page.fill("input[name='line-0-unit_price']", "1234.50")
    page.fill("input[name='line-0-quantity']", "2")
    page.click("#purchase-details button[type=submit]")
    page.locator("#totals .stat__value").first.get_by_text("¥2,469.00").wait_for()
    assert "龙井茶" in page.locator(".tl-item").first.inner_text()
    screenshot(page, "browser-card-after-purchase")

    customer = Customer.objects.get(pk=book["east1"].pk)
    assert customer.order_count == 1 and customer.total_spend == Decimal("2469.00")
    assert Purchase.objects.filter(customer=customer).count() == 1


def test_service_sees_masked_phones_and_switches_to_english(live_server, page, book):
    base = live_server.url
    sign_in(page, base, "service")
    assert "138****5678" in page.content() and "13812345678" not in page.content()
    page.click(".navmenu--account > summary")  # the language switch sits in the account menu
    page.click(".navmenu--account button[name=language][value=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Member table"
    screenshot(page, "browser-list-service-en")
