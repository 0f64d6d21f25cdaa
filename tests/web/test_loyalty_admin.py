"""The loyalty records in the Django admin: browsable by administrators, never edited there; a
programme version is the one thing written there, through the ladder services."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.loyalty.tiers_support import member
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict
from tiercard.loyalty import admin as loyalty_admin
from tiercard.loyalty.models import Membership, TierLadder
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.ladders import ladder_draft_create
from tiercard.loyalty.services.rewards import points_redeem, reward_create
from tiercard.tiers.programme import default_programme, dump_programme

pytestmark = pytest.mark.django_db

MODELS = [
    "loyalty/tierladder",
    "loyalty/membership",
    "loyalty/reviewmark",
    "loyalty/tierchange",
    "loyalty/growthentry",
    "loyalty/pointsentry",
    "loyalty/pointslot",
    "loyalty/reward",
    "loyalty/redemption",
    "loyalty/benefituse",
    "outbox/outboxmessage",
]


@pytest.fixture
def staff(users: dict) -> dict:
    for user in users.values():
        user.is_staff = True
        user.is_superuser = user.role == "admin"
        user.save()
    return users


@pytest.fixture
def history(staff: dict, book: dict) -> None:
    for i in range(2):
        data = {"external_ref": f"p-{i}", "lines": [{"item_name": "茶", "unit_price": "1000"}]}
        purchase_record(actor=staff["rep_east1"], customer_id=book["east1"].pk, data=data)
    reward_create(
        actor=staff["admin"],
        data={
            "code": "tea",
            "name_zh": "茶",
            "name_en": "Tea",
            "kind": "gift",
            "points_cost": "100",
        },
    )
    points_redeem(
        actor=staff["rep_east1"],
        customer_id=book["east1"].pk,
        reward_code="tea",
        quantity=1,
        key="r",
    )


def test_every_loyalty_list_opens_read_only_for_the_administrator(
    staff: dict, history: None
) -> None:
    client = Client()
    client.force_login(staff["admin"])
    for model in MODELS:
        response = client.get(f"/admin/{model}/")
        assert response.status_code == 200, model
        addable = f"/admin/{model}/add/" in response.content.decode()
        assert addable == (model == "loyalty/tierladder"), model
    assert "张三" in client.get("/admin/loyalty/tierchange/").content.decode()
    detail = client.get("/admin/loyalty/tierladder/1/change/").content.decode()
    assert "标准级" in detail and 'name="_save"' not in detail


def test_copy_into_a_new_draft_is_an_admin_action(staff: dict) -> None:
    client = Client()
    client.force_login(staff["admin"])
    response = client.post(
        "/admin/loyalty/tierladder/",
        {"action": "copy_into_draft", "_selected_action": ["1"]},
    )
    assert response.status_code == 302
    draft = TierLadder.objects.get(version=2)
    assert not draft.is_active and draft.rules == TierLadder.objects.get(version=1).rules
    assert draft.created_by == staff["admin"]


@pytest.mark.parametrize("who", ["mgr_east", "rep_east1"])
def test_other_roles_do_not_get_in(staff: dict, who: str) -> None:
    client = Client()
    client.force_login(staff[who])
    for model in MODELS:
        response = client.get(f"/admin/{model}/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.post(
        "/admin/loyalty/tierladder/", {"action": "copy_into_draft", "_selected_action": ["1"]}
    )
    client.post("/admin/loyalty/tierladder/add/", {"note": "x", "rules_text": rules_text()})
    assert TierLadder.objects.count() == 1
    draft = ladder_draft_create(actor=staff["admin"], rules=strict_rules(), note="x")
    client.post("/admin/loyalty/tierladder/", apply_action(draft.pk, confirm=True))
    assert TierLadder.objects.get(is_active=True).version == 1


def strict_rules() -> dict:
    """The default programme with standard at 3,000.00 instead of 2,000.00."""
    rules = dump_programme(default_programme())
    rules["ladder"]["tiers"][1]["criteria"]["all"][0]["threshold"] = "3000.00"
    return rules


def rules_text(rules: dict | None = None) -> str:
    return json.dumps(strict_rules() if rules is None else rules, ensure_ascii=False)


def apply_action(pk: int, *, confirm: bool = False) -> dict:
    data = {"action": "apply_version", "_selected_action": [str(pk)]}
    return {**data, "confirm": "yes"} if confirm else data


def test_a_new_draft_is_written_as_json_in_the_admin(staff: dict) -> None:
    client = Client()
    client.force_login(staff["admin"])
    form = client.get("/admin/loyalty/tierladder/add/")
    assert form.status_code == 200
    assert "标准级" in form.content.decode()  # the active version's rules to start from

    response = client.post(
        "/admin/loyalty/tierladder/add/", {"note": "标准级门槛提高", "rules_text": rules_text()}
    )

    assert response.status_code == 302
    draft = TierLadder.objects.get(version=2)
    assert not draft.is_active and draft.created_by == staff["admin"]
    assert draft.note == "标准级门槛提高"
    assert draft.rules["ladder"]["tiers"][1]["criteria"]["all"][0]["threshold"] == "3000.00"
    assert AuditEvent.objects.filter(object_type="loyalty.tierladder", action="create").count() == 1


def test_bad_rules_in_the_admin_are_shown_by_path_and_nothing_is_written(staff: dict) -> None:
    client = Client()
    client.force_login(staff["admin"])
    falling = strict_rules()
    falling["ladder"]["tiers"][1]["criteria"]["all"][0]["threshold"] = "9000.00"  # > premium
    before = (TierLadder.objects.count(), AuditEvent.objects.count())

    for text, expected in (("{not json", "JSON"), (rules_text(falling), "ladder.tiers[")):
        response = client.post("/admin/loyalty/tierladder/add/", {"note": "x", "rules_text": text})
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors["rules_text"]
        assert any(expected in error for error in errors), errors

    assert (TierLadder.objects.count(), AuditEvent.objects.count()) == before


def test_a_draft_the_service_refuses_at_save_is_a_message_not_an_error_page(
    staff: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another draft taking the same version number at that instant (``version_taken``)."""

    def taken(**_kwargs: object) -> None:
        raise Conflict(code="version_taken")

    monkeypatch.setattr(loyalty_admin, "ladder_draft_create", taken)
    client = Client()
    client.force_login(staff["admin"])
    before = (TierLadder.objects.count(), AuditEvent.objects.count())

    response = client.post(
        "/admin/loyalty/tierladder/add/", {"note": "x", "rules_text": rules_text()}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/admin/loyalty/tierladder/"
    levels = [m.level_tag for m in response.context["messages"]]
    assert levels == ["error"]
    assert (TierLadder.objects.count(), AuditEvent.objects.count()) == before


def test_apply_shows_the_dry_run_and_applies_only_on_confirmation(staff: dict, book: dict) -> None:
    client = Client()
    client.force_login(staff["admin"])
    member(book["east1"], "standard", spend="2500.00", orders=2)
    draft = ladder_draft_create(actor=staff["admin"], rules=strict_rules(), note="x")

    page = client.post("/admin/loyalty/tierladder/", apply_action(draft.pk))

    assert page.status_code == 200
    result = page.context["result"]
    assert result.matrix["standard"] == {"basic": 1} and result.changed == 1
    assert 'name="confirm" value="yes"' in page.content.decode()
    assert TierLadder.objects.get(is_active=True).version == 1
    assert Membership.objects.get(pk=book["east1"].pk).tier == "standard"

    done = client.post("/admin/loyalty/tierladder/", apply_action(draft.pk, confirm=True))

    assert done.status_code == 302
    assert TierLadder.objects.get(is_active=True).version == draft.version
    assert Membership.objects.get(pk=book["east1"].pk).tier == "basic"


def test_apply_refuses_the_active_version_and_changes_nothing(staff: dict) -> None:
    client = Client()
    client.force_login(staff["admin"])
    before = (TierLadder.objects.get(is_active=True).version, AuditEvent.objects.count())

    response = client.post("/admin/loyalty/tierladder/", apply_action(1, confirm=True), follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert any("active" in m or "启用" in m or "生效" in m for m in messages), messages
    assert (TierLadder.objects.get(is_active=True).version, AuditEvent.objects.count()) == before
