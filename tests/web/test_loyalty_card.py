"""The loyalty section of the card: tier, points and benefits panels and their quick actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.web.conftest import block, errors_of, field_block
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.loyalty.models import (
    BenefitUse,
    Membership,
    PointsEntry,
    Redemption,
    Reward,
    TierChange,
)
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.overrides import tier_override
from tiercard.loyalty.services.rewards import reward_create
from tiercard.sales.models import Purchase, PurchaseReturn

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def buy(users: dict, customer: Customer, amount: str, ref: str, who: str = "rep_east1") -> Purchase:
    data = {
        "external_ref": ref,
        "lines": [{"item_name": "龙井茶", "quantity": "1", "unit_price": amount}],
    }
    return purchase_record(actor=users[who], customer_id=customer.pk, data=data).purchase


@pytest.fixture
def tea(users: dict) -> Reward:
    data = {"code": "tea", "name_zh": "龙井礼盒", "name_en": "Tea box", "points_cost": "500"}
    return reward_create(actor=users["admin"], data={**data, "kind": "gift"})


def panels(client: Client, customer: Customer) -> str:
    response = client.get(f"/customers/{customer.pk}/loyalty/", headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def state() -> tuple[int, ...]:
    return (
        PointsEntry.objects.count(),
        Redemption.objects.count(),
        TierChange.objects.count(),
        AuditEvent.objects.exclude(action=AuditAction.LOGIN).count(),
        BenefitUse.objects.count(),
    )


# --- Panels -----------------------------------------------------------------------------------


def test_the_card_loads_the_section_with_htmx(login: Callable[[str], Client], book: dict) -> None:
    pk = book["east1"].pk
    html = login("rep_east1").get(f"/customers/{pk}/").content.decode()
    assert f'hx-get="/customers/{pk}/loyalty/" hx-trigger="load"' in html
    assert 'id="loyalty-refresh"' in html  # where a purchase's response asks for a refresh


def test_a_fresh_customer_holds_the_entry_tier_with_progress(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    buy(users, book["east1"], "1000", "p-1")
    html = panels(login("rep_east1"), book["east1"])
    tier = block(html, "id", "tier-panel") or ""
    assert 'data-tier="basic"' in html and "--tier: #9E9E9E" in html
    assert "基础级" in tier
    assert "标准级" in tier  # the next tier, with bars per criterion
    assert "¥1,000.00 / ¥2,000.00" in tier and "1 / 2" in tier
    assert 'aria-valuenow="50"' in html
    points = block(html, "id", "points-panel") or ""
    assert block(html, "id", "points-balance") == "1,000"
    assert "+1,000" in points


def test_two_purchases_reach_standard_with_why_history_and_keep(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    buy(users, book["east1"], "1000", "p-1")
    buy(users, book["east1"], "1000", "p-2")
    html = panels(login("rep_east1"), book["east1"])
    assert 'data-tier="standard"' in html and "--tier: #4A90D9" in html
    tier = block(html, "id", "tier-panel") or ""
    assert "≥ ¥2,000" in tier and "¥2,000.00" in tier  # condition and the actual value
    assert tier.count("✓") >= 2  # both conditions met
    history = block(html, "id", "tier-history") or ""
    assert "基础级 → 标准级" in history
    assert "高级" in tier  # progress to the next tier


def test_the_tier_on_a_past_date_is_looked_up_from_the_card(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    buy(users, customer, "1000", "p-1")
    buy(users, customer, "1000", "p-2")  # 标准级 from today
    client = login("rep_east1")
    url = f"/customers/{customer.pk}/loyalty/tier-on/"
    today = business_today()
    assert block(panels(client, customer), "id", "tier-on") is not None  # the form is shown

    before = client.get(url, {"date": (today - dt.timedelta(days=1)).isoformat()}, headers=HTMX)
    now = client.get(url, {"date": today.isoformat()}, headers=HTMX)

    assert before.status_code == now.status_code == 200
    assert "基础级" in (block(before.content, "id", "tier-on-answer") or "")
    assert "标准级" in (block(now.content, "id", "tier-on-answer") or "")
    assert b'id="tier-panel"' not in now.content  # only the lookup is swapped
    page = client.get(url, {"date": today.isoformat()})  # without htmx: the section's page
    assert page.status_code == 200 and "标准级" in (
        block(page.content, "id", "tier-on-answer") or ""
    )


@pytest.mark.parametrize(
    ("typed", "error"),
    [("2026-13-45", "有效的日期"), ("tomorrow", "有效的日期"), ("future", "今天或更早")],
)
def test_a_bad_or_future_date_is_refused_beside_the_field(
    login: Callable[[str], Client], book: dict, typed: str, error: str
) -> None:
    if typed == "future":
        typed = (business_today() + dt.timedelta(days=1)).isoformat()
    before = state()
    response = login("rep_east1").get(
        f"/customers/{book['east1'].pk}/loyalty/tier-on/", {"date": typed}, headers=HTMX
    )
    assert response.status_code == 200
    assert error in errors_of(response.content, "date")
    assert block(response.content, "id", "tier-on-answer") is None
    assert f'value="{typed}"' in response.content.decode()  # the input is kept
    assert state() == before


def test_panels_query_count_is_bounded_and_independent_of_history(
    login: Callable[[str], Client],
    book: dict,
    users: dict,
    tea: Reward,
    django_assert_max_num_queries: Callable,
) -> None:
    customer = book["east1"]
    for i in range(4):
        buy(users, customer, "2500", f"few-{i}")  # 高级: its quota is read too
    client = login("mgr_east")  # sees every form: redeem, return, adjust, override
    with django_assert_max_num_queries(30):
        panels(client, customer)
    with CaptureQueriesContext(connection) as few:
        panels(client, customer)
    for i in range(12):
        buy(users, customer, "800", f"many-{i}")
    with CaptureQueriesContext(connection) as many:
        panels(client, customer)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_another_reps_customer_is_not_found_through_every_door(
    login: Callable[[str], Client], book: dict, users: dict, tea: Reward
) -> None:
    foreign = book["east2"]
    buy(users, foreign, "3000", "x-1", who="rep_east2")
    before = state()
    client = login("rep_east1")
    pk = foreign.pk
    assert client.get(f"/customers/{pk}/loyalty/").status_code == 404
    assert client.get(f"/customers/{pk}/loyalty/", headers=HTMX).status_code == 404
    post = {"reward": "tea", "quantity": "1", "key": "k-1"}
    assert client.post(f"/customers/{pk}/loyalty/redeem/", post).status_code == 404
    post = {"code": "free_delivery", "key": "k-2"}
    assert client.post(f"/customers/{pk}/loyalty/benefits/use/", post).status_code == 404
    purchase = Purchase.objects.get(customer=foreign)
    post = {"purchase": str(purchase.pk), "amount": "10", "external_ref": "r-1"}
    assert client.post(f"/customers/{pk}/loyalty/return/", post).status_code == 404
    day = business_today().isoformat()
    assert client.get(f"/customers/{pk}/loyalty/tier-on/?date={day}").status_code == 404
    assert state() == before
    assert not PurchaseReturn.objects.exists()


# --- Redeem -----------------------------------------------------------------------------------


def test_redeem_with_htmx_refreshes_the_section_and_a_double_submit_replays(
    login: Callable[[str], Client], book: dict, users: dict, tea: Reward
) -> None:
    customer = book["east1"]
    buy(users, customer, "1200", "p-1")
    client = login("rep_east1")
    html = panels(client, customer)
    key = _hidden(block(html, "id", "redeem-panel") or "", "key")
    post = {"reward": "tea", "quantity": "2", "key": key}
    url = f"/customers/{customer.pk}/loyalty/redeem/"
    first = client.post(url, post, headers={**HTMX, "HX-Target": "redeem-panel"})
    assert first.status_code == 200
    assert first["HX-Retarget"] == "#loyalty" and first["HX-Reswap"] == "outerHTML"
    body = first.content.decode()
    assert block(body, "id", "points-balance") == "200"
    assert "龙井礼盒" in (block(body, "id", "flash") or "")
    second = client.post(url, post, headers={**HTMX, "HX-Target": "redeem-panel"})
    assert second.status_code == 200
    assert Redemption.objects.count() == 1
    assert Membership.objects.get(pk=customer.pk).points_balance == 200
    fresh_key = _hidden(block(body, "id", "redeem-panel") or "", "key")
    assert fresh_key and fresh_key != key  # the next form redeems anew


def _hidden(text: str, name: str) -> str:
    """The value of a hidden input inside a block (``block`` shows ``name=key value=...``)."""
    marker = f"name={name} value="
    return text.split(marker, 1)[1].split()[0] if marker in text else ""


def test_redeem_errors_stay_beside_the_field_in_chinese_and_keep_the_input(
    login: Callable[[str], Client], book: dict, users: dict, tea: Reward
) -> None:
    customer = book["east1"]
    buy(users, customer, "300", "p-1")
    before = state()
    client = login("rep_east1")
    url = f"/customers/{customer.pk}/loyalty/redeem/"
    headers = {**HTMX, "HX-Target": "redeem-panel"}
    response = client.post(url, {"reward": "tea", "quantity": "1", "key": "k-1"}, headers=headers)
    assert response.status_code == 200
    html = response.content.decode()
    assert "积分不足" in errors_of(html, "quantity")
    assert 'value="tea" selected' in html and 'name="key" value="k-1"' in html
    response = client.post(
        url, {"reward": "tea", "quantity": "两个", "key": "k-2"}, headers=headers
    )
    html = response.content.decode()
    assert "请输入整数" in errors_of(html, "quantity")
    assert 'value="两个"' in field_block(html, "quantity") or "两个" in html
    assert state() == before


# --- Return -----------------------------------------------------------------------------------


def test_a_return_from_the_purchase_list_takes_points_back_and_lowers_totals(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    purchase = buy(users, customer, "1000", "p-1")
    client = login("rep_east1")
    url = f"/customers/{customer.pk}/loyalty/return/"
    form = client.get(
        f"{url}?purchase={purchase.pk}", headers={**HTMX, "HX-Target": "return-panel"}
    )
    assert 'name="amount" value="1000.00"' in form.content.decode()
    ref = _hidden(block(form.content.decode(), "id", "return-panel") or "", "external_ref")
    post = {"purchase": str(purchase.pk), "amount": "400", "reason": "破损", "external_ref": ref}
    response = client.post(url, post, headers={**HTMX, "HX-Target": "return-panel"})
    assert response.status_code == 200 and response["HX-Retarget"] == "#loyalty"
    html = response.content.decode()
    assert block(html, "id", "points-balance") == "600"
    assert 'id="totals"' in html and "hx-swap-oob" in html  # the card's totals refresh too
    again = client.post(url, post, headers={**HTMX, "HX-Target": "return-panel"})
    assert again.status_code == 200
    assert PurchaseReturn.objects.count() == 1
    customer.refresh_from_db()
    assert customer.total_spend == Decimal("600.00")


def test_returning_more_than_is_left_is_refused_beside_the_amount(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    purchase = buy(users, customer, "100", "p-1")
    before = state()
    client = login("rep_east1")
    post = {"purchase": str(purchase.pk), "amount": "150", "external_ref": "r-1"}
    response = client.post(
        f"/customers/{customer.pk}/loyalty/return/",
        post,
        headers={**HTMX, "HX-Target": "return-panel"},
    )
    html = response.content.decode()
    assert "¥100" in errors_of(html, "amount")
    assert 'value="150"' in html
    assert state() == before and not PurchaseReturn.objects.exists()


# --- Adjust and override ----------------------------------------------------------------------


def test_adjusting_points_is_for_managers_only(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    url = f"/customers/{customer.pk}/loyalty/adjust/"
    post = {"points": "+300", "reason": "补偿", "key": "a-1"}
    assert login("rep_east1").post(url, post).status_code == 403
    assert 'id="adjust-panel"' not in panels(login("rep_east1"), customer)
    assert not PointsEntry.objects.exists()
    response = login("mgr_east").post(url, post, headers=HTMX)
    assert block(response.content.decode(), "id", "points-balance") == "300"
    bad = login("mgr_east").post(
        url,
        {"points": "-1,000", "reason": "", "key": "a-2"},
        headers={**HTMX, "HX-Target": "adjust-panel"},
    )
    html = bad.content.decode()
    assert "此项为必填" in errors_of(html, "reason")
    assert 'value="-1,000"' in html
    assert PointsEntry.objects.count() == 1


def test_a_manager_undoes_an_adjustment_from_the_ledger_once(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    from tiercard.loyalty.services.points import points_adjust

    customer = book["east1"]
    made = points_adjust(
        actor=users["mgr_east"], customer_id=customer.pk, points=300, reason="补偿", key="a"
    )
    url = f"/customers/{customer.pk}/loyalty/adjust/{made.pk}/reverse/"
    rep = login("rep_east1")
    assert f'id="undo-{made.pk}"' not in panels(rep, customer)
    assert rep.post(url, {"reason": "我来"}).status_code == 403
    manager = login("mgr_east")  # the same browser, signed in as the manager now
    assert f'id="undo-{made.pk}"' in panels(manager, customer)
    other_card = f"/customers/{book['east2'].pk}/loyalty/adjust/{made.pk}/reverse/"
    assert manager.post(other_card, {"reason": "别的卡"}, headers=HTMX).status_code == 404
    assert PointsEntry.objects.count() == 1

    done = manager.post(url, {"reason": "补偿重复"}, headers=HTMX).content.decode()

    assert block(done, "id", "points-balance") == "0"
    assert "已撤销调整" in done and f'id="undo-{made.pk}"' not in done
    again = manager.post(url, {"reason": "补偿重复"}, headers=HTMX).content.decode()
    assert "该调整已撤销过" in again
    assert PointsEntry.objects.count() == 2


def test_a_manager_overrides_the_tier_and_the_panel_says_until_when(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    until = business_today() + dt.timedelta(days=60)
    post = {
        "tier": "vip",
        "until": until.isoformat(),
        "approver": str(users["mgr_east"].pk),
        "reason": "重点客户",
    }
    response = login("mgr_east").post(
        f"/customers/{customer.pk}/loyalty/override/", post, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-tier="vip"' in html
    notice = block(html, "id", "tier-panel") or ""
    assert "重点客户" in notice
    member = Membership.objects.get(pk=customer.pk)
    assert (member.tier, member.lock_until) == ("vip", until)


def test_override_errors_keep_the_input(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    before = state()
    post = {
        "tier": "vip",
        "until": "2000-01-01",
        "approver": str(users["mgr_east"].pk),
        "reason": "x",
    }
    response = login("mgr_east").post(
        f"/customers/{customer.pk}/loyalty/override/",
        post,
        headers={**HTMX, "HX-Target": "override-panel"},
    )
    html = response.content.decode()
    assert "结束日期须晚于今天" in errors_of(html, "until")
    assert 'value="2000-01-01"' in html
    assert state() == before


def test_a_tampered_override_on_a_foreign_customer_changes_nothing(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    south = book["south"]
    before = state()
    post = {
        "tier": "vip",
        "until": (business_today() + dt.timedelta(days=30)).isoformat(),
        "approver": str(users["mgr_east"].pk),
        "reason": "越权",
    }
    for who in ("mgr_east", "rep_east1"):
        response = login(who).post(f"/customers/{south.pk}/loyalty/override/", post, headers=HTMX)
        assert response.status_code == 404
    assert (
        login("rep_south").post(f"/customers/{south.pk}/loyalty/override/", post).status_code == 403
    )  # sees the customer, may not override
    assert state() == before
    assert not Membership.objects.filter(pk=south.pk, tier="vip").exists()


# --- Benefits ---------------------------------------------------------------------------------


def test_a_quota_benefit_is_used_once_per_key_and_stops_at_its_limit(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    tier_override(
        actor=users["mgr_east"],
        customer_id=customer.pk,
        tier_code="premium",  # one free delivery a month
        reason="测试",
        approver_id=users["mgr_east"].pk,
        until=business_today() + dt.timedelta(days=30),
    )
    client = login("rep_east1")
    html = panels(client, customer)
    quota = block(html, "id", "quota-free_delivery") or ""
    assert "免费配送" in quota
    url = f"/customers/{customer.pk}/loyalty/benefits/use/"
    first = client.post(url, {"code": "free_delivery", "key": "b-1"}, headers=HTMX)
    assert first["HX-Retarget"] == "#loyalty"
    client.post(url, {"code": "free_delivery", "key": "b-1"}, headers=HTMX)  # a double click
    assert BenefitUse.objects.count() == 1
    used_up = client.post(url, {"code": "free_delivery", "key": "b-2"}, headers=HTMX)
    assert "alert--error" in (block(used_up.content.decode(), "id", "flash") or "") or (
        "alert alert--error" in used_up.content.decode()
    )
    assert BenefitUse.objects.count() == 1
    assert "disabled" in used_up.content.decode()


# --- Purchases refresh the panel --------------------------------------------------------------


def test_a_purchase_from_the_card_asks_the_tier_panel_to_refresh(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    buy(users, customer, "1000", "p-1")
    data: dict[str, Any] = {
        "external_ref": "web-2",
        "occurred_at": "",
        "channel": "store",
        "payment_method": "wechat_pay",
        "line-0-item_name": "龙井茶",
        "line-0-quantity": "1",
        "line-0-unit_price": "1000",
    }
    client = login("rep_east1")
    response = client.post(
        f"/customers/{customer.pk}/purchases/new/",
        data,
        headers={**HTMX, "HX-Target": "purchase-panel"},
    )
    html = response.content.decode()
    assert 'id="loyalty-refresh" hidden hx-swap-oob="true"' in html
    assert f'hx-get="/customers/{customer.pk}/loyalty/" hx-trigger="load"' in html
    assert 'data-tier="standard"' in panels(client, customer)
