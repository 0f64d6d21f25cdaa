"""Tiers and points in a real browser: a purchase crosses 标准级, points are redeemed, and an
administrator looks at the dry run of a new programme version."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import record_purchase, screenshot, sign_in, tea_reward
from tiercard.loyalty.models import Membership, Redemption, TierChange
from tiercard.loyalty.services.ladders import ladder_draft_create
from tiercard.loyalty.services.state import active_programme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_purchase_upgrades_the_badge_then_points_are_redeemed(
    live_server: Any, page: Any, book: dict, users: dict
) -> None:
    tea_reward(users["admin"])
    base = live_server.url
    customer = book["east1"]
    sign_in(page, base, "rep_east1")
    page.goto(f"{base}/customers/{customer.pk}/")
    page.locator("#tier-panel .tierbadge").wait_for()
    assert page.locator("#tier-panel .tierbadge").inner_text() == "基础级"

    page.click("#purchase-details summary")
    record_purchase(page, "1000")
    page.locator("#points-balance").get_by_text("1,000").wait_for()
    assert page.locator("#tier-panel .tierbadge").inner_text() == "基础级"
    record_purchase(page, "1000")
    page.locator("#tier-panel .tierbadge").get_by_text("标准级").wait_for()
    assert "基础级 → 标准级" in page.locator("#tier-history").inner_text()
    screenshot(page, "browser-loyalty-upgraded")

    page.click("#redeem-details summary")
    page.select_option("#redeem-panel select[name=reward]", "tea")
    page.fill("#redeem-panel input[name=quantity]", "2")
    page.click("#redeem-panel button[type=submit]")
    page.locator("#points-balance").get_by_text("1,200").wait_for()
    assert "龙井礼盒" in page.locator("#flash").inner_text()
    screenshot(page, "browser-loyalty-redeemed")

    member = Membership.objects.get(pk=customer.pk)
    assert (member.tier, member.points_balance) == ("standard", 1200)
    assert TierChange.objects.filter(customer=customer, to_tier="standard").count() == 1
    assert Redemption.objects.filter(customer=customer).count() == 1


def test_the_administrator_reads_the_dry_run_of_a_draft(
    live_server: Any, page: Any, book: dict, users: dict
) -> None:
    active_programme()  # a flushed test database gets its default programme back first
    draft = ladder_draft_create(actor=users["admin"], preset="card", note="会员卡方案")
    base = live_server.url
    sign_in(page, base, "admin")
    page.goto(f"{base}/programme/")
    screenshot(page, "browser-programme-versions")
    page.goto(f"{base}/programme/v1/")
    screenshot(page, "browser-programme-v1")
    page.goto(f"{base}/programme/v{draft.version}/dry-run/")
    matrix = page.locator("#matrix")
    assert "普通会员" in matrix.inner_text() and "基础级" in matrix.inner_text()
    screenshot(page, "browser-programme-dry-run")
    page.goto(f"{base}/programme/new/")
    screenshot(page, "browser-programme-draft")
    page.goto(f"{base}/programme/rewards/")
    screenshot(page, "browser-programme-rewards")
    page.goto(f"{base}/programme/points/")
    screenshot(page, "browser-programme-points")
