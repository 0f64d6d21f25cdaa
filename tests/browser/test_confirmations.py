"""Confirmations in a real browser: the × of a tag on the card asks in the chip's place
(htmx), Cancel puts the chips back, Remove takes the tag off; a bulk status change from the
member table shows how many customers will change before anything does."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot, sign_in
from tiercard.customers.models import Customer, CustomerStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_removing_a_tag_asks_first_in_place(
    live_server: Any, page: Any, make_customer: Any
) -> None:
    customer = make_customer("rep_east1", name="刘备", tags="回头客,重点")
    sign_in(page, live_server.url, "rep_east1")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    chip = page.locator("#card-tags li.tag", has_text="回头客")
    chip.get_by_role("button").click()
    confirm = page.locator("#tag-confirm")
    confirm.wait_for()
    assert "回头客" in confirm.inner_text()
    page.locator("#card-facts").screenshot(path=str(screenshot(page, "browser-tag-confirm")))
    assert sorted(customer.tags.values_list("name", flat=True)) == ["回头客", "重点"]

    confirm.locator("a.btn--ghost").click()  # Cancel: the chips come back, nothing changed
    page.locator("#tag-confirm").wait_for(state="detached")
    chip.wait_for()
    assert sorted(customer.tags.values_list("name", flat=True)) == ["回头客", "重点"]

    chip.get_by_role("button").click()
    page.locator("#tag-confirm button[type=submit]").click()
    page.locator("#card-tags li.tag", has_text="回头客").wait_for(state="detached")
    page.locator("#flash .alert--success").wait_for()
    assert list(customer.tags.values_list("name", flat=True)) == ["重点"]


def test_a_bulk_status_change_shows_the_count_before_changing(
    live_server: Any, page: Any, make_customer: Any
) -> None:
    made = [make_customer("rep_east1", name=name) for name in ("甲一", "乙二", "丙三")]
    sign_in(page, live_server.url, "rep_east1")
    for customer in made[:2]:
        page.check(f"input[name=ids][value='{customer.pk}']")
    page.select_option("#bulk-action", "status")
    page.select_option("#bulk select[name=status]", "at_risk")
    page.click("#bulk button[type=submit]")
    confirm = page.locator("#bulk-confirm")
    confirm.wait_for()
    screenshot(page, "browser-bulk-confirm")
    assert "2" in confirm.locator("h1").inner_text()
    assert set(Customer.objects.values_list("status", flat=True)) == {CustomerStatus.ACTIVE}
    confirm.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/customers/*")
    statuses = dict(Customer.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in made] == ["at_risk", "at_risk", "active"]
