"""Card parts that are computed and shown but had no test of their own: the "what keeps this
tier, until when" line (card head and tier panel), the expiring-points block of the points
panel and the benefits list with its "N of M left" quotas. Exact texts, in Chinese and English,
on a frozen business day so the dates are fixed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from tests.web.conftest import block
from tiercard.customers.models import Customer
from tiercard.loyalty.models import TierLadder
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.overrides import tier_override
from tiercard.loyalty.services.points import points_adjust
from tiercard.loyalty.services.state import active_programme
from tiercard.tiers.earning import Expiry
from tiercard.tiers.programme import dump_programme

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI)
HTMX = {"HX-Request": "true"}
# Programme versions never used elsewhere in this process: parsed programmes are cached by version.
_versions = itertools.count(7000)


def buy(users: dict, customer: Customer, price: str, ref: str, at: str) -> None:
    data = {
        "external_ref": ref,
        "occurred_at": at,
        "lines": [{"item_name": "茶", "unit_price": price}],
    }
    purchase_record(actor=users["admin"], customer_id=customer.pk, data=data)


def english(client: Client) -> Client:
    assert client.post("/language/", {"language": "en"}).status_code == 302
    return client


def panels(client: Client, customer: Customer) -> str:
    response = client.get(f"/customers/{customer.pk}/loyalty/", headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def card(client: Client, customer: Customer) -> str:
    response = client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def points_expire_after(days: int) -> None:
    """Activate a programme version whose points expire ``days`` after they are earned."""
    current = active_programme().programme
    rules = dataclasses.replace(current.points, expiry=Expiry.AFTER_DAYS, expiry_after=days)
    TierLadder.objects.filter(is_active=True).update(is_active=False)
    TierLadder.objects.create(
        version=next(_versions),
        rules=dump_programme(dataclasses.replace(current, points=rules)),
        is_active=True,
    )


def give(users: dict, customer: Customer, points: int, on: dt.date) -> None:
    """Points credited by hand on business day ``on`` (they expire by the programme's rule)."""
    with time_machine.travel(dt.datetime.combine(on, dt.time(10), tzinfo=SHANGHAI), tick=False):
        points_adjust(
            actor=users["admin"],
            customer_id=customer.pk,
            points=points,
            reason="赠送",
            key=f"give-{on}",
        )


def quota_left(html: str, code: str) -> str:
    """The "N of M left" figure of one quota, exactly as shown."""
    found = re.search(
        rf'id="quota-{code}".*?<div class="quota__left[^"]*">([^<]*)</div>', html, re.S
    )
    assert found, f"no quota {code!r} on the page"
    return found.group(1).strip()


def seen_in(lang: str, login: Callable[[str], Client], who: str) -> Client:
    client = login(who)
    return english(client) if lang == "en" else client


frozen = time_machine.travel(NOW, tick=False)


# --- What keeps this tier, until when ---------------------------------------------------------

KEEPS = {
    "zh": "即使不再消费，按目前数据该等级也可保持至 2027年2月28日。 最早可能于 2027年4月1日 降级。",
    "en": "Without further purchases the figures keep this tier until Feb. 28, 2027. "
    "The earliest downgrade would be on April 1, 2027.",
}


@frozen
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_keep_line_says_until_when_the_figures_hold_and_the_earliest_downgrade(
    lang: str, login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    buy(users, customer, "1500.00", "P1", "2026-03-01T10:00")
    buy(users, customer, "1000.00", "P2", "2026-06-10T10:00")  # 标准级: ¥2,500 in 2 orders
    # The March order leaves the 12-month window on 2027-03-01, so ¥1,000 alone holds until
    # 2027-02-28; the downgrade waits for one month of grace (protection ended in September).
    client = seen_in(lang, login, "rep_east1")
    html = card(client, customer)
    assert block(html, "id", "card-keep") == KEEPS[lang]
    part = panels(client, customer)
    assert block(part, "class", "keep") == KEEPS[lang]
    heading = {"zh": "保级条件", "en": "What keeps this tier"}[lang]
    assert f'<h3 class="lpanel__h">{heading}</h3>' in part


BELOW = {
    "zh": "目前数据未达到该等级的要求。 如数据未重新达标，该等级最晚保留至 2026年7月15日。",
    "en": "The figures are below this tier. "
    "It is kept until July 15, 2026 at the latest unless the figures reach it again.",
}


@frozen
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_tier_held_by_hand_says_it_is_below_the_figures_and_kept_until_the_lock_ends(
    lang: str, login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    tier_override(
        actor=users["mgr_east"],
        customer_id=customer.pk,
        tier_code="premium",
        reason="大客户试用",
        approver_id=users["mgr_east"].pk,
        until=dt.date(2026, 7, 15),  # the lock ends after 07-15: the last day kept
    )
    client = seen_in(lang, login, "rep_east1")
    assert block(card(client, customer), "id", "card-keep") == BELOW[lang]
    assert block(panels(client, customer), "class", "keep") == BELOW[lang]


@frozen
def test_the_entry_tier_has_no_keep_line(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    buy(users, customer, "500.00", "P1", "2026-06-01T10:00")
    client = login("rep_east1")
    html = card(client, customer)
    assert 'data-tier="basic"' in panels(client, customer)
    assert block(html, "id", "card-keep") is None
    assert "保级条件" not in panels(client, customer)


# --- Expiring points --------------------------------------------------------------------------

EXPIRING = {
    "zh": (
        ["30 天内过期 100", "60 天内过期 140", "90 天内过期 147"],
        "下次过期：2026年7月5日 将有 100 积分过期。",
    ),
    "en": (
        [
            "Expiring within 30 days 100",
            "Expiring within 60 days 140",
            "Expiring within 90 days 147",
        ],
        "Next expiry: 100 points on July 5, 2026.",
    ),
}


@frozen
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_points_panel_shows_what_expires_within_30_60_90_days_and_the_next_expiry(
    lang: str, login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    points_expire_after(100)
    today = NOW.date()
    # Each lot lasts 100 days: 100 points end on 07-05 (in 20 days), 40 on 07-30 (45 days),
    # 7 on 08-29 (75 days), 1,000 on 09-23 (100 days: beyond every horizon).
    for days_ago, points in ((80, 100), (55, 40), (25, 7), (0, 1000)):
        give(users, customer, points, today - dt.timedelta(days=days_ago))
    html = panels(seen_in(lang, login, "rep_east1"), customer)
    cells = re.findall(r'<div class="expiring__cell[^"]*">(.*?)</div>', html, re.S)
    shown = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]
    horizons, next_expiry = EXPIRING[lang]
    assert shown == horizons
    assert html.count("expiring__cell--some") == 3
    assert block(html, "id", "points-balance") == "1,147"
    points = block(html, "id", "points-panel") or ""
    assert next_expiry in points


@frozen
def test_nothing_expiring_shows_zeros_and_says_so(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    give(users, customer, 50, NOW.date())  # default rule: valid until the end of next year
    html = panels(login("rep_east1"), customer)
    assert "expiring__cell--some" not in html
    assert html.count('<div class="expiring__cell">') == 3
    points = block(html, "id", "points-panel") or ""
    assert "下次过期：2027年12月31日 将有 50 积分过期。" in points


# --- Benefits and their quotas ----------------------------------------------------------------

BENEFITS = {
    "zh": {
        "facts": "优惠 10% 积分 ×2 生日礼品：定制生日礼品 专属客户经理 4 小时内服务响应 "
        "每 14 天跟进一次 优先预约",
        "delivery": "免费配送 每月 · 2026年7月1日 重置",
        "lounge": "贵宾室预约 每季度 · 2026年7月1日 重置",
        "left": ("剩余 2 / 2", "剩余 1 / 2", "剩余 0 / 2", "剩余 4 / 4"),
    },
    "en": {
        "facts": "10% off Points ×2 Birthday gift: 定制生日礼品 Dedicated account manager "
        "Service response within 4 hours Follow-up every 14 days Priority booking",
        "delivery": "Free delivery per month · renews July 1, 2026",
        "lounge": "VIP lounge booking per quarter · renews July 1, 2026",
        "left": ("2 of 2 left", "1 of 2 left", "0 of 2 left", "4 of 4 left"),
    },
}


@frozen
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_benefits_list_counts_down_what_is_left_after_each_use(
    lang: str, login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    tier_override(
        actor=users["mgr_east"],
        customer_id=customer.pk,
        tier_code="vip",  # two free deliveries a month, four lounge bookings a quarter
        reason="测试",
        approver_id=users["mgr_east"].pk,
        until=dt.date(2026, 12, 31),
    )
    want = BENEFITS[lang]
    full, one, none, lounge = want["left"]
    client = seen_in(lang, login, "rep_east1")
    html = panels(client, customer)
    facts = re.search(r'<ul class="facts">(.*?)</ul>', html, re.S)
    assert facts and " ".join(re.sub(r"<[^>]+>", " ", facts.group(1)).split()) == want["facts"]
    delivery = block(html, "class", "quota__text")
    assert delivery == want["delivery"]
    assert want["lounge"] in (block(html, "id", "quota-vip_lounge") or "")
    assert (quota_left(html, "free_delivery"), quota_left(html, "vip_lounge")) == (full, lounge)

    url = f"/customers/{customer.pk}/loyalty/benefits/use/"
    client.post(url, {"code": "free_delivery", "key": "b-1"}, headers=HTMX)
    html = panels(client, customer)
    assert (quota_left(html, "free_delivery"), quota_left(html, "vip_lounge")) == (one, lounge)

    used_up = client.post(url, {"code": "free_delivery", "key": "b-2"}, headers=HTMX)
    assert quota_left(used_up.content.decode(), "free_delivery") == none
    assert 'class="quota__left quota__left--none"' in used_up.content.decode()
    assert quota_left(panels(client, customer), "vip_lounge") == lounge  # another quota
