"""The programme form editor in a real browser: an administrator raises a threshold, saves,
and reads the dry-run matrix; the form is also looked at in English and with an error."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot, sign_in
from tiercard.loyalty.models import TierLadder
from tiercard.loyalty.services.state import active_programme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_edits_a_threshold_and_sees_the_dry_run(
    live_server: Any, page: Any, book: dict, users: dict
) -> None:
    active_programme()  # a flushed test database gets its default programme back first
    base = live_server.url
    sign_in(page, base, "admin")
    page.goto(f"{base}/programme/")
    page.get_by_role("link", name="新建草稿").click()
    page.wait_for_url(f"{base}/programme/edit/")
    assert page.locator("#t1-name_zh").input_value() == "标准级"
    screenshot(page, "browser-programme-editor-zh")

    # 标准级 needs ¥2,000 today; lower it to ¥1,000 and add a condition route to 高级
    page.fill("#t1-g0-c0-threshold", "1000")
    page.evaluate("window.samePage = true")
    page.click("button[value='add_quota:1']")
    page.locator("#t1-q0-name_zh").wait_for()
    assert page.evaluate("window.samePage") is True  # htmx swapped the form, no reload
    assert page.evaluate("document.activeElement.id") == "t1-q0-name_zh"
    assert page.locator("#t1-g0-c0-threshold").input_value() == "1000"  # kept
    page.keyboard.type("免费停车")
    page.fill("#t1-q0-name_en", "Free parking")
    page.fill("#t1-q0-limit", "1")

    # mistakes first: a negative grace period, 高级 asking less than 标准级, a bad colour
    page.fill("#grace_months", "-1")
    page.fill("#t2-g0-c0-threshold", "500")
    page.click(".form-actions button[value=save]")
    page.locator("#editor-problems").wait_for()
    assert "0 到 120" in page.locator("#grace_months-error").inner_text() or (
        "0 to 120" in page.locator("#grace_months-error").inner_text()
    )
    assert page.locator("#t2-g0-c0-threshold-error").inner_text().strip()
    assert page.locator("#t1-q0-name_zh").input_value() == "免费停车"
    screenshot(page, "browser-programme-editor-error")
    page.locator("#t2-g0-c0-threshold").scroll_into_view_if_needed()
    page.screenshot(
        path=str(
            screenshot(page, "browser-programme-editor-error").with_name(
                "browser-programme-editor-error-tier.png"
            )
        )
    )
    page.fill("#t2-g0-c0-threshold", "8000")
    assert TierLadder.objects.count() == 1

    page.fill("#grace_months", "1")
    page.fill("#note", "标准级门槛降到 ¥1,000")
    page.click(".form-actions button[value=save]")
    page.wait_for_url(f"{base}/programme/v2/dry-run/")
    matrix = page.locator("#matrix")
    assert "标准级" in matrix.inner_text()
    screenshot(page, "browser-programme-editor-dry-run")
    draft = TierLadder.objects.get(version=2)
    assert not draft.is_active
    standard = draft.rules["ladder"]["tiers"][1]["criteria"]["all"][0]
    assert standard == {"metric": "spend", "op": ">=", "threshold": "1000.00"}
    assert draft.rules["benefits"]["standard"]["quotas"][0]["code"] == "free_parking"

    page.goto(f"{base}/programme/benefits/")
    screenshot(page, "browser-programme-benefits-zh")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    page.goto(f"{base}/programme/edit/?preset=card")
    screenshot(page, "browser-programme-editor-en")
    page.goto(f"{base}/programme/benefits/")
    screenshot(page, "browser-programme-benefits-en")
