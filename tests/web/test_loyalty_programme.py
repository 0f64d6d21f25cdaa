"""Programme pages: versions, drafts as JSON, the dry run and apply; rewards; points overview."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from tests.web.conftest import block, errors_of
from tiercard.loyalty.models import Membership, Reward, TierChange, TierLadder
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.ladders import ladder_draft_create
from tiercard.loyalty.services.points import points_adjust
from tiercard.tiers.programme import default_programme, dump_programme

pytestmark = pytest.mark.django_db


def buy(users: dict, customer, amount: str, ref: str, who: str = "rep_east1") -> None:
    data = {
        "external_ref": ref,
        "lines": [{"item_name": "茶", "quantity": "1", "unit_price": amount}],
    }
    purchase_record(actor=users[who], customer_id=customer.pk, data=data)


@pytest.fixture
def draft(users: dict):
    return ladder_draft_create(actor=users["admin"], preset="card", note="会员卡方案")


ADMIN_PAGES = [
    "/programme/",
    "/programme/new/",
    "/programme/v1/",
    "/programme/v{draft}/dry-run/",
    "/programme/rewards/new/",
]


@pytest.mark.parametrize("who", ["rep_east1", "mgr_east", "service", "marketing"])
def test_only_administrators_open_the_programme_pages(
    login: Callable[[str], Client], draft, book: dict, who: str
) -> None:
    client = login(who)
    for url in ADMIN_PAGES:
        assert client.get(url.format(draft=draft.version)).status_code == 403, url
    response = client.post(f"/programme/v{draft.version}/apply/", {"confirm": "yes"})
    assert response.status_code == 403
    rules = json.dumps(dump_programme(default_programme()))
    assert client.post("/programme/new/", {"rules": rules}).status_code == 403
    assert TierLadder.objects.count() == 2
    assert TierLadder.objects.get(is_active=True).version == 1


def test_versions_and_a_version_in_readable_chinese(
    login: Callable[[str], Client], draft, django_assert_max_num_queries: Callable
) -> None:
    client = login("admin")
    with django_assert_max_num_queries(8):
        page = client.get("/programme/").content.decode()
    rows = block(page, "id", "versions") or ""
    assert "v1" in rows and f"v{draft.version}" in rows and "会员卡方案" in rows
    html = client.get("/programme/v1/").content.decode()
    standard = block(html, "id", "tier-standard") or ""
    assert "--tier: #4A90D9" in html
    assert "≥ ¥2,000" in standard and "≥ 2" in standard
    vip = block(html, "id", "tier-vip") or ""
    assert "≥ ¥10,000" in vip  # the single-order route of the OR
    assert "免费配送" in vip


def test_a_draft_starts_from_the_active_version_and_saves_to_its_dry_run(
    login: Callable[[str], Client], users: dict
) -> None:
    client = login("admin")
    form = client.get("/programme/new/").content.decode()
    assert "&quot;standard&quot;" in form and "标准级" in form  # the active rules, readable
    rules = dump_programme(default_programme())
    rules["ladder"]["tiers"][1]["criteria"]["all"][0]["threshold"] = "3000.00"
    response = client.post("/programme/new/", {"rules": json.dumps(rules), "note": "提高门槛"})
    assert response.status_code == 302
    assert response["Location"] == "/programme/v2/dry-run/"
    assert TierLadder.objects.get(version=2).rules == rules


def test_draft_errors_list_each_field_path_and_keep_the_text(
    login: Callable[[str], Client],
) -> None:
    client = login("admin")
    rules = dump_programme(default_programme())
    rules["ladder"]["tiers"][2]["criteria"]["all"][0]["threshold"] = "1000.00"
    rules["ladder"]["tiers"][0]["colour"] = "red"
    text = json.dumps(rules, ensure_ascii=False)
    response = client.post("/programme/new/", {"rules": text, "note": "错误"})
    assert response.status_code == 422
    html = response.content.decode()
    problems = block(html, "id", "draft-problems") or ""
    assert "ladder.tiers[0].colour" in problems
    assert "ladder.tiers[2].criteria.all[0].threshold" in problems
    assert "#RRGGBB" in problems
    assert "&quot;red&quot;" in html  # what was typed stays in the box
    broken = client.post("/programme/new/", {"rules": '{"ladder": ', "note": ""})
    assert "JSON" in errors_of(broken.content.decode(), "rules")
    assert "{&quot;ladder&quot;: " in broken.content.decode()
    assert TierLadder.objects.count() == 1


def test_the_dry_run_shows_the_matrix_and_samples_and_apply_needs_confirmation(
    login: Callable[[str], Client],
    users: dict,
    book: dict,
    draft,
    django_assert_max_num_queries: Callable,
) -> None:
    buy(users, book["east1"], "1000", "p-1")
    buy(users, book["east1"], "1000", "p-2")  # 标准级
    client = login("admin")
    with django_assert_max_num_queries(20):
        html = client.get(f"/programme/v{draft.version}/dry-run/").content.decode()
    matrix = block(html, "id", "matrix") or ""
    assert "普通会员" in matrix and "银卡" in matrix and "基础级" in matrix
    assert 'class="is-moved"' in html  # basic → member: same place, another tier
    assert "张三" in html  # a sample of standard → silver
    unconfirmed = client.post(f"/programme/v{draft.version}/apply/", {})
    assert unconfirmed.status_code == 302
    assert TierLadder.objects.get(is_active=True).version == 1
    assert not TierChange.objects.filter(reason="rule_change").exists()
    applied = client.post(f"/programme/v{draft.version}/apply/", {"confirm": "yes"})
    assert applied["Location"] == f"/programme/v{draft.version}/"
    assert TierLadder.objects.get(is_active=True).version == draft.version
    assert Membership.objects.get(pk=book["east1"].pk).tier == "silver"


def test_rewards_are_created_and_edited_by_administrators_with_field_errors(
    login: Callable[[str], Client],
) -> None:
    client = login("admin")
    bad = client.post(
        "/programme/rewards/new/",
        {"code": "Tea Box", "name_zh": "茶", "name_en": "Tea", "kind": "gift", "points_cost": "0"},
    )
    html = bad.content.decode()
    assert errors_of(html, "code") and errors_of(html, "points_cost")
    assert 'value="Tea Box"' in html
    assert not Reward.objects.exists()
    good = client.post(
        "/programme/rewards/new/",
        {
            "code": "tea",
            "name_zh": "龙井礼盒",
            "name_en": "Tea box",
            "kind": "gift",
            "points_cost": "500",
            "stock": "",
            "active": "on",
        },
    )
    assert good.status_code == 302
    reward = Reward.objects.get()
    assert (reward.points_cost, reward.stock, reward.active) == (500, None, True)
    edit = client.post(
        f"/programme/rewards/{reward.pk}/edit/",
        {"name_zh": "龙井礼盒", "name_en": "Tea box", "kind": "gift", "points_cost": "800"},
    )
    assert edit.status_code == 302
    reward.refresh_from_db()
    assert (reward.points_cost, reward.active) == (800, False)
    listing = login("rep_east1").get("/programme/rewards/").content.decode()
    assert "龙井礼盒" not in listing  # no longer offered: only administrators still see it
    assert login("rep_east1").get(f"/programme/rewards/{reward.pk}/edit/").status_code == 403


def test_points_overview_covers_the_viewers_customers_only(
    login: Callable[[str], Client], users: dict, book: dict
) -> None:
    for name in ("east1", "south"):
        points_adjust(
            actor=users["admin"], customer_id=book[name].pk, points=1000, reason="测试", key=name
        )
    rep = login("rep_east1").get("/programme/points/").content.decode()
    assert "1,000" in (block(rep, "id", "liability") or "")
    assert "2,000" not in (block(rep, "id", "liability") or "")
    admin = login("admin").get("/programme/points/").content.decode()
    assert "2,000" in (block(admin, "id", "liability") or "")
    assert "¥20.00" in (block(admin, "id", "liability") or "")


def test_a_points_campaign_drafted_as_json_reads_as_a_sentence(
    login: Callable[[str], Client], users: dict
) -> None:
    document = dump_programme(default_programme())
    document["points"]["campaigns"] = [
        {"name": "双11", "starts": "2026-11-01", "ends": "2026-11-11", "multiplier": "3"},
        {
            "name": "VIP周",
            "starts": "2026-11-12",
            "ends": "2026-11-18",
            "multiplier": "2.5",
            "tiers": ["vip", "premium"],
        },
    ]
    client = login("admin")
    saved = client.post("/programme/new/", {"rules": json.dumps(document), "note": "活动"})
    version = TierLadder.objects.order_by("-version").first()
    assert saved.status_code == 302 and version is not None and version.version == 2

    rules = block(client.get("/programme/v2/").content, "id", "points-rules") or ""

    assert "积分活动“双11”：2026-11-01 至 2026-11-11，积分 ×3。" in rules
    assert "积分活动“VIP周”：2026-11-12 至 2026-11-18，VIP级、高级积分 ×2.5。" in rules
    assert "加倍不叠加" in rules
    document["points"]["campaigns"][0]["ends"] = "2026-10-01"
    refused = client.post("/programme/new/", {"rules": json.dumps(document), "note": "错"})
    assert "points.campaigns[0].ends" in refused.content.decode()
    assert TierLadder.objects.count() == 2


def test_a_longer_window_is_estimated_on_sight_and_counted_exactly_on_request(
    login: Callable[[str], Client], users: dict, book: dict
) -> None:
    document = dump_programme(default_programme())
    document["window"] = {"kind": "rolling", "months": 24}
    draft = ladder_draft_create(actor=users["admin"], rules=document, note="两年")
    buy(users, book["east1"], "100", "w1")  # the window row exists once a purchase was made
    client = login("admin")
    url = f"/programme/v{draft.version}/dry-run/"
    members = list(Membership.objects.order_by("pk").values())

    shown = block(client.get(url).content, "id", "window-note") or ""
    counted = block(client.post(url).content, "id", "window-note") or ""

    assert "估算" in shown and "精确计算" in shown
    assert "与正式应用时一致" in counted and "精确计算" not in counted
    assert list(Membership.objects.order_by("pk").values()) == members
    assert TierLadder.objects.get(is_active=True).version == 1
