"""The service desk in a real browser: a VIP customer's complaint opened from the card shows
the tier's promise, goes first in the queue, is answered (the reply lands on the card's
timeline), then resolved; a refused reply keeps what was typed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.loyalty.tiers_support import member
from tiercard.loyalty.services.state import active_programme
from tiercard.servicedesk.models import ServiceTicket, TicketStatus
from tiercard.servicedesk.services import ticket_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_open_answer_and_resolve_a_vip_complaint(
    live_server: Any, page: Any, book: dict, users: dict, make_customer: Any
) -> None:
    base = live_server.url
    vip = book["east1"]
    member(vip, "vip", ladder_version=active_programme().version)
    plain = make_customer("rep_east1", name="普通客户")
    ticket_open(
        actor=users["rep_east1"],
        customer_id=plain.pk,
        data={"kind": "enquiry", "subject": "询问发票"},
    )
    sign_in(page, base, "rep_east1")

    page.goto(f"{base}/customers/{vip.pk}/")
    page.locator("#tickets a", has_text="新建").click()
    assert "4 小时" in page.locator("#terms").inner_text()
    page.select_option("#id_kind", "complaint")
    page.fill("#id_subject", "快递外箱破损")
    page.click("#ticket-form button[type=submit]")
    page.locator("#flash .alert--success").wait_for()
    ticket = ServiceTicket.objects.get(subject="快递外箱破损")
    assert (ticket.response_hours, ticket.priority) == (4, True)
    screenshot(page, "browser-ticket-opened")

    page.goto(f"{base}/service/")
    rows = page.locator("#tickets tbody tr")
    assert "快递外箱破损" in rows.nth(0).inner_text()  # priority first
    assert "询问发票" in rows.nth(1).inner_text()
    screenshot(page, "browser-service-queue")

    page.click(f"a[href='/service/{ticket.pk}/']")
    page.fill("#respond textarea[name=summary]", "")
    page.click("#respond button[type=submit]")
    page.locator("#respond .errors").wait_for()
    page.fill("#respond textarea[name=summary]", "已致电道歉，安排换货")
    page.click("#respond button[type=submit]")
    page.locator("#replies", has_text="已致电道歉，安排换货").wait_for()
    assert ServiceTicket.objects.get(pk=ticket.pk).status == TicketStatus.RESPONDED

    page.fill("#resolve textarea[name=resolution]", "已换新，客户满意")
    page.click("#resolve button[type=submit]")
    page.locator("#ticket-status", has_text="已解决").wait_for()
    page.locator("#reopen").wait_for()
    screenshot(page, "browser-ticket-resolved")

    page.goto(f"{base}/customers/{vip.pk}/")
    timeline = page.locator("#timeline")
    timeline.locator(".tl-item--ticket", has_text="快递外箱破损").wait_for()
    timeline.locator(".tl-item--interaction", has_text="已致电道歉").wait_for()
