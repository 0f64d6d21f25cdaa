"""The top bar in a real browser: one row that fits at laptop widths in both languages, menus
that open from the keyboard and close on Escape or a click elsewhere, and on a phone a Menu
drawer with the same pages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAR_ITEMS = ".mainnav > a, .mainnav summary, .navmenu--account > summary"


def set_language(page: Any, base: str, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("width", [1280, 1366])
def test_the_bar_is_one_row_that_fits(
    live_server: Any, page: Any, users: Any, language: str, width: int
) -> None:
    base = live_server.url
    sign_in(page, base, "admin")
    set_language(page, base, language)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{base}/imports/")

    boxes = [item.bounding_box() for item in page.locator(BAR_ITEMS).all()]
    assert len(boxes) == 6  # dashboard, customers, service desk, two menus, the account
    first = boxes[0]
    for box in boxes:
        assert abs(box["y"] - first["y"]) < 3  # the same row
        assert box["height"] < 44  # one line: no label wraps
        assert box["x"] + box["width"] <= width
    search = page.locator("#hsearch-q").bounding_box()
    assert search["width"] >= 150
    screenshot(page, f"nav-admin-{language}-{width}")


def test_menus_open_from_the_keyboard_and_close_on_escape_or_outside(
    live_server: Any, page: Any, users: Any
) -> None:
    base = live_server.url
    sign_in(page, base, "mgr_east")
    data = page.locator(".mainnav details:has(a[href='/exports/'])")
    summary = data.locator("summary")

    summary.focus()
    page.keyboard.press("Enter")
    assert data.evaluate("d => d.open")
    assert page.locator(".mainnav a[href='/duplicates/']").is_visible()
    page.keyboard.press("Tab")  # into the menu
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/imports/"
    page.keyboard.press("Escape")
    assert not data.evaluate("d => d.open")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"

    summary.click()
    assert data.evaluate("d => d.open")
    page.click("main h1")
    assert not data.evaluate("d => d.open")

    # Tabbing past the last item closes the menu behind the focus.
    summary.click()
    for _ in range(3):  # imports, exports, duplicates
        page.keyboard.press("Tab")
    assert data.evaluate("d => d.open")
    page.keyboard.press("Tab")
    assert not data.evaluate("d => d.open")

    # One menu at a time.
    summary.click()
    page.click(".navmenu--account > summary")
    assert not data.evaluate("d => d.open")
    assert page.locator(".navmenu--account form[action='/logout/'] button").is_visible()


def test_phone_shows_the_daily_links_and_a_menu_drawer(
    live_server: Any, page: Any, users: Any
) -> None:
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base, "rep_east1")

    assert page.locator(".mainnav > a[href='/dashboard/']").is_visible()
    assert page.locator(".mainnav > a[href='/customers/']").is_visible()
    assert page.locator("#hsearch-q").is_visible()
    assert not page.locator(".mainnav details").first.is_visible()
    assert not page.locator(".navmenu--account").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing sticks out sideways

    page.click(".navmenu--drawer > summary")
    drawer = page.locator(".navmenu--drawer .navmenu__panel")
    assert drawer.locator("a[href='/imports/']").is_visible()
    assert drawer.locator("a[href='/exports/']").count() == 0  # not a rep's page
    assert drawer.locator("form[action='/logout/'] button").is_visible()
    screenshot(page, "nav-phone-rep-drawer")
    drawer.locator("a[href='/imports/']").click()
    page.wait_for_url(f"{base}/imports/")
