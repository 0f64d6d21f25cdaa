"""The header search box in a real browser: type initials, see the match, Enter opens it."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_initials_in_the_header_box_then_enter_opens_the_card(live_server, page, book):
    base = live_server.url
    sign_in(page, base, "rep_east1")
    box = page.locator("#hsearch-q")
    box.click()
    box.type("zs", delay=60)
    option = page.locator("#hsearch-list [role=option]").first
    option.wait_for()
    assert "张三" in option.inner_text()
    assert page.locator("#hsearch-list [role=option]").count() == 1
    assert "李四" not in page.locator("#hsearch-results").inner_text()  # another rep's
    assert box.get_attribute("aria-expanded") == "true"
    screenshot(page, "browser-header-search-zs")

    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "hsearch-opt-0"
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    assert not page.locator("#hsearch-results").is_visible()

    box.fill("")
    box.type("zs", delay=60)
    page.locator("#hsearch-list [role=option]").first.wait_for()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/customers/{book['east1'].pk}/")
    assert "张三" in page.locator("h1").inner_text()


def test_the_box_works_on_a_phone(live_server, browser, book):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    try:
        base = live_server.url
        sign_in(page, base, "service")
        box = page.locator("#hsearch-q")
        assert box.is_visible()
        box.type("5678", delay=60)
        option = page.locator("#hsearch-list [role=option]").first
        option.wait_for()
        text = option.inner_text()
        assert "张三" in text and "138****5678" in text  # masked for service
        panel = page.locator("#hsearch-results").bounding_box()
        assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["width"] <= 391
        screenshot(page, "browser-header-search-phone")
    finally:
        context.close()
