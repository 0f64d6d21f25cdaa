"""Programme versions through the API: read, draft, dry-run, apply."""

from __future__ import annotations

import pytest

from tests.api.loyalty_support import loyalty_state
from tests.loyalty.tiers_support import member
from tiercard.loyalty.models import Membership, TierChange, TierLadder
from tiercard.tiers.programme import default_programme, dump_programme

pytestmark = pytest.mark.django_db


def strict_rules() -> dict:
    """The default programme with standard at 3000.00 instead of 2000.00."""
    rules = dump_programme(default_programme())
    rules["ladder"]["tiers"][1]["criteria"]["all"][0]["threshold"] = "3000.00"
    return rules


def test_versions_are_listed_newest_first_in_fixed_queries(
    users, api, django_assert_max_num_queries
):
    client = api("rep_east1")
    client.get("/me")
    counts = []
    for n in (1, 6):
        for _i in range(n - TierLadder.objects.count()):
            api("admin").post("/ladders", {"preset": "card", "note": "卡"})
        with django_assert_max_num_queries(2) as captured:
            response = client.get("/ladders")
        assert [v["version"] for v in response.json()["items"]] == list(range(n, 0, -1))
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    newest = response.json()["items"][0]
    assert newest["is_active"] is False and newest["note"] == "卡"
    assert newest["created_by"] == {"id": users["admin"].pk, "name": str(users["admin"])}
    assert [t["code"] for t in newest["tiers"]] == ["member", "silver", "gold", "diamond"]
    assert response.json()["items"][-1]["is_active"] is True


def test_admin_drafts_a_version_from_rules(users, api):
    response = api("admin").post("/ladders", {"rules": strict_rules(), "note": "标准级门槛提高"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["version"], body["is_active"], body["note"]) == (2, False, "标准级门槛提高")
    assert body["rules"] == strict_rules()
    assert api("rep_east1").get("/ladders/2").json() == body


def falling(rules: dict) -> dict:
    rules["ladder"]["tiers"][2]["criteria"]["all"][0]["threshold"] = "1000.00"
    return rules


def unknown_benefit_tier(rules: dict) -> dict:
    rules["benefits"]["gold"] = {}
    return rules


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("admin", {"rules": falling(strict_rules())}, 422, "thresholds_not_rising"),
        ("admin", {"rules": unknown_benefit_tier(strict_rules())}, 422, "unknown_tier"),
        ("admin", {"preset": "gold"}, 422, "unknown_preset"),
        ("admin", {"rules": strict_rules(), "preset": "card"}, 422, "rules_or_preset"),
        ("admin", {"rules": "x"}, 422, "validation_error"),
        ("mgr_east", {"preset": "card"}, 403, "admin_only"),
    ],
)
def test_refused_drafts_change_nothing(users, api, who, body, status, code):
    client = api(who)
    before = loyalty_state()

    response = client.post("/ladders", body)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    if code == "thresholds_not_rising":
        assert "ladder.tiers[2].criteria.all[0].threshold" in response.json()["fields"]
    assert loyalty_state() == before


def test_unknown_version_is_404(users, api):
    for path in ("/ladders/99", "/ladders/99999999999/dry-run"):
        response = api("admin").get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "unknown_version"


def test_dry_run_then_apply(users, book, api):
    member(book["east1"], "standard", spend="2500.00", orders=2)
    member(book["east2"], "standard", spend="3500.00", orders=2)
    client = api("admin")
    client.post("/ladders", {"rules": strict_rules()})
    before = loyalty_state()

    run = client.get("/ladders/2/dry-run")

    assert run.status_code == 200, run.content
    assert loyalty_state() == before
    body = run.json()
    assert (body["version"], body["active_version"], body["total"], body["changed"]) == (
        2,
        1,
        3,
        1,
    )
    assert body["moves"] == [
        {"from_tier": "basic", "to_tier": "basic", "customers": 1, "sample_ids": []},
        {
            "from_tier": "standard",
            "to_tier": "basic",
            "customers": 1,
            "sample_ids": [book["east1"].pk],
        },
        {"from_tier": "standard", "to_tier": "standard", "customers": 1, "sample_ids": []},
    ]

    applied = client.post("/ladders/2/apply")

    assert applied.status_code == 200, applied.content
    assert applied.json() == {
        "version": 2,
        "previous_version": 1,
        "changed": 1,
        "memberships": 2,
        "window_rebuilt": False,
    }
    assert Membership.objects.get(pk=book["east1"].pk).tier == "basic"
    assert TierChange.objects.get().reason == "rule_change"
    assert TierLadder.objects.get(is_active=True).version == 2


@pytest.mark.parametrize(
    ("who", "path", "status", "code"),
    [
        ("admin", "/ladders/1/apply", 409, "already_active"),
        ("admin", "/ladders/9/apply", 404, "unknown_version"),
        ("mgr_east", "/ladders/2/apply", 403, "admin_only"),
        ("rep_east1", "/ladders/2/apply", 403, "admin_only"),
    ],
)
def test_refused_applies_change_nothing(users, book, api, who, path, status, code):
    member(book["east1"], "standard", spend="2500.00", orders=2)
    api("admin").post("/ladders", {"rules": strict_rules()})
    client = api(who)
    before = loyalty_state()

    response = client.post(path)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert loyalty_state() == before


def test_dry_run_is_for_administrators(users, api):
    api("admin").post("/ladders", {"rules": strict_rules()})

    response = api("mgr_east").get("/ladders/2/dry-run")

    assert response.status_code == 403
    assert response.json()["code"] == "admin_only"
