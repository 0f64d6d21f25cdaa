"""The programme form editor and the benefits page.

The form is read and submitted the way a browser does (every input's current value, the
clicked button's name), so these tests exercise the names the template really renders.
Messages are asserted in English (the language switch), Chinese names as stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from tests.web.conftest import block
from tiercard.loyalty.models import TierLadder
from tiercard.loyalty.services.ladders import ladder_draft_create
from tiercard.loyalty.services.state import active_programme
from tiercard.tiers.programme import card_programme, default_programme, dump_programme

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The values a browser would submit from the form ``id="editor"`` (no button pressed)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.values: dict[str, str] = {}
        self.select: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == "editor":
            self.inside = True
        if not self.inside:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button"):
                return
            self.values[a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self.select, self.first_option = a["name"], None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = a.get("value", "")
                self.values.setdefault(self.select, self.first_option)
            if "selected" in a:
                self.values[self.select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        if tag == "form":
            self.inside = False


def form_values(html: bytes | str) -> dict[str, str]:
    parser = _Form()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser.values


@pytest.fixture
def admin(login: Callable[[str], Client]) -> Client:
    client = login("admin")
    client.post("/language/", {"language": "en"})
    return client


def press(client: Client, values: dict[str, str], action: str) -> Any:
    return client.post("/programme/edit/", {**values, "action": action})


def test_the_form_shows_the_active_version_prefilled(
    admin: Client, django_assert_max_num_queries: Callable
) -> None:
    active_programme()
    with django_assert_max_num_queries(5):  # session, user, the active version (+ cache)
        response = admin.get("/programme/edit/")
    assert response.status_code == 200
    values = form_values(response.content)
    assert values["source"] == "v1"
    assert values["window_kind"] == "rolling" and values["window_months"] == "12"
    assert values["protected_months"] == "3" and values["grace_months"] == "1"
    assert values["landing"] == "one_step" and values["warning_days"] == "14"
    assert [values[f"t{i}-code"] for i in range(4)] == ["basic", "standard", "premium", "vip"]
    assert values["t1-name_zh"] == "标准级" and values["t3-name_en"] == "VIP"
    assert values["t1-colour"] == "#4A90D9"
    assert values["t0-groups"] == "0"  # the lowest tier has no criteria
    # 标准级: one route of two conditions; VIP级: two routes (the OR), the second one order
    assert (values["t1-g0-c0-metric"], values["t1-g0-c0-op"]) == ("spend", ">=")
    assert values["t1-g0-c0-threshold"] == "2000" and values["t1-g0-c1-threshold"] == "2"
    assert values["t3-groups"] == "2" and values["t3-g1-c0-metric"] == "max_order"
    assert values["t3-discount_percent"] == "10.0" and values["t3-dedicated_manager"] == "on"
    assert values["t3-q1-name_zh"] == "贵宾室预约" and values["t3-q1-period"] == "quarter"
    html = response.content.decode()
    assert 'type="color"' in html and "Largest single order" in html
    assert "Advanced: edit as JSON" in html


def test_presets_open_in_the_form(admin: Client) -> None:
    values = form_values(admin.get("/programme/edit/?preset=card").content)
    assert values["source"] == "preset:card"
    assert [values[f"t{i}-name_zh"] for i in range(4)] == ["普通会员", "银卡", "金卡", "钻石"]
    assert values["t2-g0-c0-metric"] == "growth_value"


def test_an_unchanged_form_saves_the_same_rules(admin: Client, users: dict) -> None:
    values = form_values(admin.get("/programme/edit/").content)
    response = press(admin, values, "save")
    draft = TierLadder.objects.order_by("-version").first()
    assert draft is not None and draft.version == 2 and not draft.is_active
    assert response.status_code == 302 and response["Location"] == "/programme/v2/dry-run/"
    assert draft.rules == TierLadder.objects.get(version=1).rules


def test_raising_a_threshold_and_adding_a_quota_equals_the_json_path(
    admin: Client, users: dict
) -> None:
    values = form_values(admin.get("/programme/edit/").content)
    values["t3-g0-c0-threshold"] = "30,000"  # VIP级 spend, with a grouping comma
    page = press(admin, values, "add_quota:2")  # 高级
    assert page.status_code == 200
    assert 'id="t2-q1-name_zh"' in page.content.decode()
    assert 'id="t2-q1-name_zh" value="" autofocus' in page.content.decode()
    values = form_values(page.content)
    assert values["t3-g0-c0-threshold"] == "30,000"  # kept as typed over the round trip
    values.update(
        {"t2-q1-name_zh": "免费停车", "t2-q1-name_en": "Free parking", "t2-q1-limit": "3"}
    )
    values["note"] = "VIP 门槛提高"
    assert press(admin, values, "save").status_code == 302
    form_draft = TierLadder.objects.get(version=2)

    expected = dump_programme(default_programme())
    expected["ladder"]["tiers"][3]["criteria"]["any"][0]["all"][0]["threshold"] = "30000"
    expected["benefits"]["premium"]["quotas"].append(
        {
            "code": "free_parking",
            "name_zh": "免费停车",
            "name_en": "Free parking",
            "limit": 3,
            "period": "month",
        }
    )
    json_draft = ladder_draft_create(
        actor=users["admin"], rules=json.loads(json.dumps(expected)), note="VIP 门槛提高"
    )
    assert form_draft.rules == json_draft.rules
    assert form_draft.note == "VIP 门槛提高"
    vip = form_draft.rules["ladder"]["tiers"][3]["criteria"]["any"][0]["all"][0]
    assert vip == {"metric": "spend", "op": ">=", "threshold": "30000.00"}


def test_tiers_and_conditions_are_added_moved_and_removed_by_round_trips(
    admin: Client,
) -> None:
    values = form_values(admin.get("/programme/edit/?preset=card").content)
    page = press(admin, values, "add_tier")
    values = form_values(page.content)
    assert values["t-count"] == "5" and values["t4-rank"] == "50"
    assert 'id="t4-name_zh" value="" autofocus' in page.content.decode()
    values.update({"t4-code": "black", "t4-name_zh": "黑金", "t4-name_en": "Black"})
    values["t4-g0-c0-metric"] = "growth_value"
    values["t4-g0-c0-threshold"] = "50000"
    values = form_values(press(admin, values, "add_condition:4:0").content)
    assert values["t4-g0-count"] == "2"
    values = form_values(press(admin, values, "remove_condition:4:0:1").content)
    assert values["t4-g0-count"] == "1"
    # 钻石 (position 3) moves above 黑金: ranks swap, the page shows the new order
    page = press(admin, values, "higher:3")
    values = form_values(page.content)
    assert [values[f"t{i}-code"] for i in range(5)] == [
        "member",
        "silver",
        "gold",
        "black",
        "diamond",
    ]
    assert (values["t3-rank"], values["t4-rank"]) == ("40", "50")
    assert 'id="t4-lower" autofocus' in page.content.decode()
    values = form_values(press(admin, values, "remove_tier:3").content)
    assert values["t-count"] == "4" and values["t3-code"] == "diamond"
    assert TierLadder.objects.count() == 1  # none of the buttons writes anything


BAD_INPUTS = [
    # (what, field to change, value, input that shows the message, message)
    (
        "thresholds not rising",
        "t2-g0-c0-threshold",
        "500",
        "t2-g0-c0-threshold",
        "Must be stricter than in the lower tier Silver.",
    ),
    ("duplicate rank", "t2-rank", "20", "t2-rank", "Another tier has this rank."),
    ("duplicate code", "t2-code", "silver", "t2-code", "Another tier has this code."),
    ("bad colour", "t1-colour", "silver-ish", "t1-colour", "Enter a colour as #RRGGBB."),
    (
        "negative threshold",
        "t1-g0-c0-threshold",
        "-5",
        "t1-g0-c0-threshold",
        "Must be zero or more.",
    ),
    (
        "negative discount",
        "t3-discount_percent",
        "-3",
        "t3-discount_percent",
        "This number is out of range.",
    ),
    (
        "negative grace",
        "grace_months",
        "-1",
        "grace_months",
        "Enter a number of months from 0 to 120.",
    ),
    (
        "unknown metric",
        "t1-g0-c0-metric",
        "height",
        "t1-g0-c0-metric",
        "Choose a figure from the list.",
    ),
    (
        "threshold not a number",
        "t3-g0-c0-threshold",
        "lots",
        "t3-g0-c0-threshold",
        "Enter a number, e.g. 5000.",
    ),
    ("quota limit zero", "t2-q0-limit", "0", "t2-q0-limit", "Enter a whole number from 1 to 1000."),
]


@pytest.mark.parametrize(
    ("what", "name", "value", "where", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_a_bad_input_is_shown_beside_its_field_kept_and_nothing_is_written(
    admin: Client, what: str, name: str, value: str, where: str, message: str
) -> None:
    values = form_values(admin.get("/programme/edit/?preset=card").content)
    values[name] = value
    values["t0-name_en"] = "Members"  # another edit, kept through the refusal
    before = list(TierLadder.objects.values_list("version", "rules"))
    response = press(admin, values, "save")
    assert response.status_code == 422
    assert list(TierLadder.objects.values_list("version", "rules")) == before
    html = response.content.decode()
    errors = block(html, "id", f"{where}-error") or ""
    assert message in errors, (what, errors)
    again = form_values(html)
    assert again[name] == value and again["t0-name_en"] == "Members"
    summary = block(html, "id", "editor-problems") or ""
    assert "The draft was not saved" in summary and message in summary
    assert f'href="#{where}"' in html


def test_the_lowest_tier_with_criteria_and_a_tier_without_are_refused(admin: Client) -> None:
    values = form_values(admin.get("/programme/edit/?preset=card").content)
    # 普通会员 moves above 银卡: the new lowest tier keeps its condition, 普通会员 has none
    values = form_values(press(admin, values, "higher:0").content)
    assert values["t0-code"] == "silver"
    response = press(admin, values, "save")
    assert response.status_code == 422
    html = response.content.decode()
    assert "The lowest tier must have no criteria" in (block(html, "id", "t0-criteria") or "")
    assert "Every tier above the lowest needs criteria." in (block(html, "id", "t1-criteria") or "")
    assert TierLadder.objects.count() == 1


@pytest.mark.parametrize("who", ["mgr_east", "rep_east1", "service", "marketing"])
def test_other_roles_get_403_and_nothing_is_written(
    login: Callable[[str], Client], who: str
) -> None:
    active_programme()
    client = login(who)
    assert client.get("/programme/edit/").status_code == 403
    assert client.get("/programme/benefits/").status_code == 403
    values = {
        "source": "v1",
        "t-count": "1",
        "t0-code": "basic",
        "t0-rank": "10",
        "t0-name_zh": "基础",
        "t0-name_en": "Basic",
        "t0-colour": "#9E9E9E",
        "action": "save",
    }
    assert client.post("/programme/edit/", values).status_code == 403
    assert TierLadder.objects.count() == 1


def test_the_benefits_page_lists_each_tier_and_links_to_the_editor(
    admin: Client, users: dict, django_assert_max_num_queries: Callable
) -> None:
    active_programme()
    with django_assert_max_num_queries(4):
        response = admin.get("/programme/benefits/")
    html = response.content.decode()
    table = block(html, "id", "benefits") or ""
    assert "VIP" in table and "10%" in table and "×2" in table and "within 4 h" in table
    assert "Free delivery" in table and "2 per month" in table and "4 per quarter" in table
    assert "Editing them makes a new draft" in html
    assert 'href="/programme/edit/#t3-benefits"' in html
    # the top bar's Loyalty menu leads here
    assert "Benefits" in (block(html, "aria-label", "Main") or "")
    assert 'href="/programme/benefits/">Benefits</a>' in html


def test_a_deeper_condition_tree_is_kept_unchanged(admin: Client, users: dict) -> None:
    document = dump_programme(card_programme())
    document["ladder"]["tiers"][3]["criteria"] = {
        "all": [
            {"metric": "growth_value", "op": ">=", "threshold": 20000},
            {
                "any": [
                    {"metric": "order_count", "op": ">=", "threshold": 10},
                    {"metric": "max_order", "op": ">=", "threshold": "5000.00"},
                ]
            },
        ]
    }
    source = ladder_draft_create(actor=users["admin"], rules=document, note="")
    page = admin.get(f"/programme/edit/?from={source.version}")
    assert "nest deeper than the form shows" in page.content.decode()
    values = form_values(page.content)
    values["t1-g0-c0-threshold"] = "1500"
    again = press(admin, values, "add_quota:0").content.decode()  # a round trip
    assert "nest deeper than the form shows" in again and "Orders" in again
    values = form_values(again)
    values = form_values(press(admin, values, "remove_quota:0:0").content)
    assert press(admin, values, "save").status_code == 302
    saved = TierLadder.objects.order_by("-version").first()
    assert saved is not None
    assert (
        saved.rules["ladder"]["tiers"][3]["criteria"]
        == source.rules["ladder"]["tiers"][3]["criteria"]
    )
    assert saved.rules["ladder"]["tiers"][1]["criteria"]["threshold"] == 1500


def test_a_second_route_makes_an_or_and_a_quota_can_be_removed(admin: Client, users: dict) -> None:
    values = form_values(admin.get("/programme/edit/?preset=card").content)
    page = press(admin, values, "add_group:3")  # 钻石: growth ≥ 20000, or ...
    assert 'id="t3-g1-c0-metric" autofocus' in page.content.decode()
    values = form_values(page.content)
    values.update({"t3-g1-c0-metric": "max_order", "t3-g1-c0-threshold": "8000"})
    values = form_values(press(admin, values, "remove_quota:3:0").content)
    assert values["t3-quotas"] == "0"
    assert press(admin, values, "save").status_code == 302
    draft = TierLadder.objects.get(version=2)
    assert draft.rules["ladder"]["tiers"][3]["criteria"] == {
        "any": [
            {"metric": "growth_value", "op": ">=", "threshold": 20000},
            {"metric": "max_order", "op": ">=", "threshold": "8000.00"},
        ]
    }
    assert draft.rules["benefits"]["diamond"]["quotas"] == []


def test_the_json_editor_stays_as_the_advanced_option(admin: Client) -> None:
    active_programme()
    versions = admin.get("/programme/").content.decode()
    assert 'href="/programme/edit/"' in versions and 'href="/programme/new/"' in versions
    version = admin.get("/programme/v1/").content.decode()
    assert 'href="/programme/edit/?from=1"' in version
    assert 'href="/programme/new/?from=1"' in version
    editor = admin.get("/programme/edit/?preset=card").content.decode()
    assert 'href="/programme/new/?preset=card"' in editor
    json_page = admin.get("/programme/new/?preset=card").content.decode()
    assert 'href="/programme/edit/?preset=card"' in json_page


def test_a_colour_the_colour_input_cannot_show_is_offered_as_text(admin: Client) -> None:
    values = form_values(admin.get("/programme/edit/?preset=card").content)
    values.update({"t1-colour": "purple", "t1-g0-c0-threshold": "-5"})
    html = press(admin, values, "save").content.decode()
    # the threshold is reported first (the colour is checked once the conditions parse);
    # the colour stays as typed instead of turning black in a colour picker
    assert "Must be zero or more." in (block(html, "id", "t1-g0-c0-threshold-error") or "")
    assert 'type="text" name="t1-colour" id="t1-colour" value="purple"' in html
    assert TierLadder.objects.count() == 1


def test_a_cleared_colour_on_a_new_code_is_an_error_beside_it_not_a_crash(admin: Client) -> None:
    values = form_values(admin.get("/programme/edit/?preset=card").content)
    values.update({"t1-code": "silver_plus", "t1-colour": ""})
    before = list(TierLadder.objects.values_list("version", "rules"))
    response = press(admin, values, "save")
    assert response.status_code == 422
    assert list(TierLadder.objects.values_list("version", "rules")) == before
    html = response.content.decode()
    assert "Enter a colour as #RRGGBB." in (block(html, "id", "t1-colour-error") or "")
