"""Tier override requests on the web: a rep asks from the card, the team's manager approves or
rejects on the approvals page; the one who asked withdraws; refusals keep input and change
nothing; nobody decides their own request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from tests.web.conftest import block, errors_of
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import Membership, OverrideRequest, RequestStatus, TierChange
from tiercard.loyalty.services.override_requests import override_request

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _state() -> tuple:
    return (
        list(OverrideRequest.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        TierChange.objects.count(),
        AuditEvent.objects.exclude(action=AuditAction.LOGIN).count(),  # signing in is audited
    )


def _until(days: int = 60) -> dt.date:
    return business_today() + dt.timedelta(days=days)


def _ask(users: dict, customer, who: str = "rep_east1") -> OverrideRequest:
    return override_request(
        actor=users[who],
        customer_id=customer.pk,
        tier_code="vip",
        reason="战略客户",
        until=_until(),
    )


def test_a_rep_asks_from_the_card_and_the_panel_says_it_waits(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    client = login("rep_east1")
    panels = client.get(f"/customers/{customer.pk}/loyalty/", headers=HTMX).content.decode()
    assert 'id="request-details"' in panels and 'id="override-details"' not in panels

    response = client.post(
        f"/customers/{customer.pk}/loyalty/override-request/",
        {"tier": "vip", "until": _until().isoformat(), "reason": "年度战略客户"},
        headers=HTMX,
    )
    assert response.status_code == 200
    made = OverrideRequest.objects.get()
    assert (made.status, made.tier, made.requested_by) == (
        RequestStatus.PENDING,
        "vip",
        users["rep_east1"],
    )
    notice = block(response.content.decode(), "id", "override-request") or ""
    assert "VIP级" in notice and "年度战略客户" in notice and "撤回" in notice
    assert Membership.objects.filter(customer=customer, tier="vip").count() == 0  # not yet


def test_a_refused_request_keeps_the_input_and_writes_nothing(
    login: Callable[[str], Client], book: dict
) -> None:
    before = _state()
    response = login("rep_east1").post(
        f"/customers/{book['east1'].pk}/loyalty/override-request/",
        {"tier": "vip", "until": "2000-01-01", "reason": "x"},
        headers={**HTMX, "HX-Target": "request-panel"},
    )
    html = response.content.decode()
    assert "结束日期须晚于今天" in errors_of(html, "until")
    assert 'value="2000-01-01"' in html
    assert _state() == before


def test_another_rep_s_customer_is_404_and_service_staff_may_not_ask(
    login: Callable[[str], Client], book: dict
) -> None:
    before = _state()
    post = {"tier": "vip", "until": _until().isoformat(), "reason": "x"}
    url = f"/customers/{book['east1'].pk}/loyalty/override-request/"
    assert login("rep_south").post(url, post).status_code == 404
    assert login("service").post(url, post).status_code == 403
    assert login("service").get("/approvals/").status_code == 403
    assert _state() == before


def test_the_manager_approves_on_the_approvals_page(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    made = _ask(users, book["east1"])
    client = login("mgr_east")
    page = client.get("/approvals/").content.decode()
    row = block(page, "id", f"request-{made.pk}") or ""
    assert "张三" in row and "战略客户" in row and "批准" in row
    assert f"request-{made.pk}" not in login("mgr_south").get("/approvals/").content.decode()

    response = login("mgr_east").post(f"/approvals/{made.pk}/approve/", {"note": "同意"})
    assert response.status_code == 302
    row = Membership.objects.get(customer=book["east1"])
    assert (row.tier, row.lock_until) == ("vip", _until())
    assert (row.override_by, row.override_approved_by) == (users["rep_east1"], users["mgr_east"])
    decided = block(client.get("/approvals/").content.decode(), "id", "decided") or ""
    assert "已批准" in decided and "同意" in decided


def test_rejecting_needs_a_note_and_nobody_decides_their_own(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    mine = _ask(users, book["east1"], who="mgr_east")
    client = login("mgr_east")
    page = block(client.get("/approvals/").content.decode(), "id", f"request-{mine.pk}") or ""
    assert "批准" not in page and "撤回" in page
    before = _state()
    response = client.post(f"/approvals/{mine.pk}/approve/", {"note": ""})
    assert response.status_code == 403 and "不能由申请人本人审批" in response.content.decode()
    assert _state() == before

    admin = login("admin")
    refused = admin.post(f"/approvals/{mine.pk}/reject/", {"note": ""}, follow=True)
    assert "请填写驳回原因" in refused.content.decode()
    assert _state() == before
    admin.post(f"/approvals/{mine.pk}/reject/", {"note": "不符合条件"})
    assert OverrideRequest.objects.get(pk=mine.pk).status == RequestStatus.REJECTED
    assert Membership.objects.filter(customer=book["east1"], lock_until__isnull=False).count() == 0


def test_the_rep_withdraws_and_may_ask_again(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    made = _ask(users, book["east1"])
    before = _state()
    assert login("rep_east2").post(f"/approvals/{made.pk}/withdraw/").status_code == 404
    assert _state() == before
    client = login("rep_east1")
    response = client.post(f"/approvals/{made.pk}/withdraw/")
    assert response.status_code == 302
    assert OverrideRequest.objects.get(pk=made.pk).status == RequestStatus.WITHDRAWN
    panels = client.get(f"/customers/{book['east1'].pk}/loyalty/", headers=HTMX).content.decode()
    assert 'id="override-request"' not in panels and 'id="request-details"' in panels


def test_both_lists_page_on_their_own_keeping_the_other_page(
    login: Callable[[str], Client],
    make_customer: Callable[..., object],
    users: dict,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    from tiercard.loyalty.services.override_requests import override_reject
    from tiercard.web.views import override_approvals

    monkeypatch.setattr(override_approvals, "PAGE", 2)
    cards = [make_customer("rep_east1", name=f"客户{i}") for i in range(6)]
    asked = [_ask(users, c) for c in cards]
    for made in asked[3:]:  # three decided, three waiting
        override_reject(actor=users["mgr_east"], request_id=made.pk, note="不批")
    client = login("mgr_east")

    def rows(html: str, section: str) -> list[str]:
        part = block(html, "id", section) or ""
        names = {c.name for c in cards}
        return [word for word in part.split() if word in names]

    first = client.get("/approvals/").content.decode()
    with django_assert_max_num_queries(20):
        second = client.get("/approvals/?waiting=2&decided=2").content.decode()
    beyond = client.get("/approvals/?waiting=3&decided=%C2%B2").content.decode()

    # waiting: oldest first; decided: latest decision first
    assert rows(first, "waiting") == ["客户0", "客户1"]
    assert 'href="?waiting=2#waiting"' in first and 'href="?decided=2#decided"' in first
    assert rows(first, "decided") == ["客户5", "客户4"]
    assert '<span class="help">3</span>' in first  # the count is of every waiting request
    assert rows(second, "waiting") == ["客户2"] and rows(second, "decided") == ["客户3"]
    assert 'rel="prev" href="?decided=2#waiting"' in second  # the other list's page is kept
    assert 'rel="prev" href="?waiting=2#decided"' in second
    assert "本页没有更多申请" in beyond and rows(beyond, "waiting") == []
    assert rows(beyond, "decided") == ["客户5", "客户4"]  # "²" is page 1
