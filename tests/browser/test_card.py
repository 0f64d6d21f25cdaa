"""The customer card in a real browser: a purchase crosses 标准级 and the head's badge and the
timeline's tier-change row follow without a reload, points are redeemed, a note is added, a
tag is put on; then the same card on a phone, and the card template admin page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import record_purchase, screenshot, sign_in, tea_reward
from tiercard.cards.models import CardNote
from tiercard.loyalty.models import Membership, Redemption

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_card_purchase_upgrade_redeem_note_and_tag(
    live_server: Any, page: Any, book: dict, users: dict
) -> None:
    tea_reward(users["admin"])
    base = live_server.url
    customer = book["east1"]
    sign_in(page, base, "rep_east1")
    page.goto(f"{base}/customers/{customer.pk}/")
    assert page.locator("#card-tier").inner_text() == "基础级"
    assert "%" in page.locator("#card-completeness").inner_text()
    page.locator("#points-panel").wait_for()  # the loyalty panels load on their own
    screenshot(page, "browser-card-opened")

    page.click("#purchase-details summary")
    record_purchase(page, "1000")
    record_purchase(page, "1000")
    # The head refreshes itself after the purchase (card-changed): the new badge, no reload.
    page.locator("#card-tier", has_text="标准级").wait_for()
    tier_row = page.locator("#timeline .tl-item--tier")
    tier_row.wait_for()
    assert "基础级" in tier_row.inner_text() and "标准级" in tier_row.inner_text()
    assert "高级" in page.locator("#card-progress").inner_text()  # now on the way to 高级
    page.locator("#points-balance", has_text="2,200").wait_for()  # the side panels reloaded
    page.locator("#tier-panel .tierbadge", has_text="标准级").wait_for()
    screenshot(page, "browser-card-upgraded")

    page.click("#redeem-details summary")
    page.select_option("#redeem-panel select[name=reward]", "tea")
    page.fill("#redeem-panel input[name=quantity]", "1")
    page.click("#redeem-panel button[type=submit]")
    page.locator("#points-balance").get_by_text("1,700").wait_for()
    page.locator("#timeline .tl-item--points").first.wait_for()  # the timeline reloaded
    assert "龙井礼盒" in page.locator("#flash").inner_text()

    page.fill("#note-body", "")
    page.click("#card-notes button[type=submit]")
    page.locator("#card-notes .errors").wait_for()  # the error beside the field
    page.fill("#note-body", "春节前送一盒明前龙井")
    page.click("#card-notes button[type=submit]")
    page.locator("#card-notes .note", has_text="春节前送一盒明前龙井").wait_for()
    page.locator("#timeline .tl-item--note").wait_for()

    page.fill("#card-facts input[name=tag]", "茶客")
    page.click("#card-facts form.inline-form button[type=submit]")
    page.locator("#card-tags .tag", has_text="茶客").wait_for()
    page.locator("#card-facts").focus()
    screenshot(page, "browser-card-after-actions")

    member = Membership.objects.get(pk=customer.pk)
    assert (member.tier, member.points_balance) == ("standard", 1700)
    assert Redemption.objects.filter(customer=customer).count() == 1
    assert CardNote.objects.get().body == "春节前送一盒明前龙井"
    assert list(customer.tags.values_list("name", flat=True)) == ["茶客"]


def test_card_on_a_phone_and_the_template_admin(
    live_server: Any, browser: Any, book: dict, users: dict
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    phone = context.new_page()
    base = live_server.url
    sign_in(phone, base, "rep_east1")
    phone.goto(f"{base}/customers/{book['east1'].pk}/")
    phone.locator("#points-panel").wait_for()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing sticks out sideways
    facts = phone.locator("#card-facts").bounding_box()
    timeline = phone.locator("#timeline").bounding_box()
    assert facts["y"] < timeline["y"]  # owner and tags before the long history
    phone.keyboard.press("Tab")
    phone.keyboard.press("Tab")
    outline = phone.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")  # keyboard focus is visible
    screenshot(phone, "browser-card-phone")
    context.close()

    admin = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = admin.new_page()
    sign_in(page, base, "admin")
    page.goto(f"{base}/card-templates/")
    screenshot(page, "browser-card-templates")
    page.goto(f"{base}/card-templates/vip/")
    page.uncheck("input[name='f-basic-phone-shown']")  # still required: refused
    page.click("form.tplform button[type=submit]")
    page.locator("#tpl-basic-phone-error").wait_for()
    screenshot(page, "browser-card-template-error")
    admin.close()
