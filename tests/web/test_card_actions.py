"""The card's head, side and notes, and the quick actions added with them (notes, owner, tags):
htmx partials with errors beside the field, refresh events, scope and rights, query counts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.web.conftest import block, errors_of
from tiercard.audit.models import AuditEvent
from tiercard.cards.models import CardNote, CardTemplate
from tiercard.cards.notes import note_add
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.interactions.services import interaction_log
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.servicedesk.services import ticket_open

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def audit_count() -> int:
    return AuditEvent.objects.count()


def triggers(response) -> set[str]:  # type: ignore[no-untyped-def]
    raw = response.headers.get("HX-Trigger", "")
    return set(json.loads(raw)) if raw.startswith("{") else {raw} if raw else set()


def buy(customer: Customer, amount: str, hours_ago: int = 1) -> None:
    purchase_record(
        actor=customer.owner,
        customer_id=customer.pk,
        data={
            "occurred_at": timezone.now() - dt.timedelta(hours=hours_ago),
            "lines": [{"item_name": "龙井茶", "unit_price": amount}],
        },
    )


# --- Head: tier badge, progress, keep, completeness -------------------------------------------


def test_head_shows_the_tier_progress_and_the_completeness_todo(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    buy(customer, "1500")
    html = login("rep_east1").get(f"/customers/{customer.pk}/").content.decode()
    head = block(html, "id", "card-head") or ""
    assert "基础级" in (block(html, "id", "card-tier") or "")
    assert "标准级" in (block(html, "id", "card-progress") or "")  # on the way to 标准级
    assert 'role="progressbar"' in html
    completeness = block(html, "id", "card-completeness") or ""
    assert "%" in completeness
    assert "13812345678" in head  # the rep sees the full number


def test_the_head_part_refreshes_with_everything_the_page_showed(
    login: Callable[[str], Client], make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer("rep_east1", name="刘备", birthday="1990-02-03", phones="13800001111")
    client = login("rep_east1")
    page = block(client.get(f"/customers/{customer.pk}/").content, "id", "card-head")
    part = client.get(f"/customers/{customer.pk}/part/head/", headers=HTMX).content.decode()
    assert part.lstrip().startswith('<section id="card-head"')
    assert block(part, "id", "card-head") == page
    assert "1990" in part


def test_crossing_a_threshold_changes_badge_and_timeline(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    buy(customer, "1500", hours_ago=3)
    buy(customer, "1000", hours_ago=2)  # 2 orders, ¥2,500: 标准级
    client = login("rep_east1")
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "标准级" in (block(html, "id", "card-tier") or "")
    tiers = client.get(
        f"/customers/{customer.pk}/timeline/?kind=tier",
        headers={**HTMX, "HX-Target": "timeline"},
    ).content.decode()
    assert tiers.count('class="tl-item tl-item--tier"') == 1
    assert "基础级" in tiers and "标准级" in tiers


def test_a_vip_card_asks_for_business_and_financial_data(
    login: Callable[[str], Client], make_customer: Callable[..., Customer]
) -> None:
    company = make_customer("rep_east1", name="某某科技", kind="company", phones="13800001111")
    buy(company, "12000")  # one large order: VIP
    html = login("rep_east1").get(f"/customers/{company.pk}/").content.decode()
    todo = block(html, "id", "card-todo") or ""
    assert "统一社会信用代码" in todo or "unified social credit code" in todo.lower()
    assert block(html, "id", "section-financial") is not None
    assert f"/customers/{company.pk}/edit/#id_credit_code" in html


def test_the_admins_template_decides_what_the_card_shows(
    login: Callable[[str], Client], book: dict
) -> None:
    client = login("admin")
    data = {"s-basic-shown": "on", "s-basic-priority": "1"}
    data |= {"f-basic-phone-shown": "on", "f-basic-phone-priority": "1"}
    data |= {"f-basic-email-shown": "on", "f-basic-email-required": "on"}
    data |= {"f-basic-email-priority": "2", "s-notes-shown": "on", "s-notes-priority": "9"}
    for key in ("address", "contacts", "business", "financial", "preferences", "consent"):
        data[f"s-{key}-priority"] = "5"
    for key in ("purchases", "loyalty", "timeline"):
        data[f"s-{key}-priority"] = "5"
    for name in ("wechat", "gender", "birthday", "occupation", "company_name", "position"):
        data[f"f-basic-{name}-priority"] = "5"
    data["f-basic-source_channel-priority"] = "5"
    response = client.post("/card-templates/basic/", data)
    assert response.status_code == 302
    html = client.get(f"/customers/{book['east1'].pk}/").content.decode()
    assert block(html, "id", "card-todo") is not None  # email is now required and missing
    assert f"/customers/{book['east1'].pk}/edit/#id_emails" in html
    assert 'id="timeline"' not in html  # the timeline panel is not shown any more
    assert 'id="card-notes"' in html


def test_template_admin_shows_errors_beside_the_row_and_keeps_the_input(
    login: Callable[[str], Client], users: dict
) -> None:
    before = list(CardTemplate.objects.values_list("layout", "version"))
    data = {"s-basic-shown": "on", "s-basic-priority": "1"}
    data |= {"f-basic-phone-required": "on", "f-basic-phone-priority": "3"}  # hidden
    data |= {"f-basic-email-shown": "on", "f-basic-email-priority": "abc"}
    response = login("admin").post("/card-templates/basic/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert block(html, "id", "tpl-basic-phone-error")
    assert block(html, "id", "tpl-basic-email-error")
    assert 'value="abc"' in html
    assert list(CardTemplate.objects.values_list("layout", "version")) == before


@pytest.mark.parametrize("username", ["mgr_east", "rep_east1", "service"])
def test_only_admins_open_the_template_pages(
    login: Callable[[str], Client], users: dict, username: str
) -> None:
    client = login(username)
    assert client.get("/card-templates/").status_code == 403
    before = list(CardTemplate.objects.values_list("layout", "version"))
    assert client.post("/card-templates/basic/", {"s-basic-shown": "on"}).status_code == 403
    assert list(CardTemplate.objects.values_list("layout", "version")) == before


def test_template_list_and_unknown_tier(login: Callable[[str], Client], users: dict) -> None:
    client = login("admin")
    html = client.get("/card-templates/").content.decode()
    assert "VIP级" in html and "/card-templates/_default/" in html
    assert client.get("/card-templates/_default/").status_code == 200
    assert client.get("/card-templates/nonsense/").status_code == 404


# --- Notes ------------------------------------------------------------------------------------


def test_add_a_note_with_htmx(login: Callable[[str], Client], book: dict, users: dict) -> None:
    customer = book["east1"]
    response = login("rep_east1").post(
        f"/customers/{customer.pk}/notes/new/", {"body": "喜欢龙井，春节前联系"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="card-notes"')
    assert "喜欢龙井，春节前联系" in html and 'id="flash"' in html
    assert "timeline-changed" in triggers(response)
    note = CardNote.objects.get()
    assert (note.customer_id, note.author) == (customer.pk, users["rep_east1"])
    assert AuditEvent.objects.filter(object_type="cards.cardnote", action="create").count() == 1


def test_a_blank_note_is_refused_beside_the_field(
    login: Callable[[str], Client], book: dict
) -> None:
    client = login("rep_east1")
    before = audit_count()
    response = client.post(
        f"/customers/{book['east1'].pk}/notes/new/", {"body": "   "}, headers=HTMX
    )
    assert errors_of(response.content, "body")
    assert CardNote.objects.count() == 0 and audit_count() == before


def test_a_too_long_note_keeps_what_was_typed(login: Callable[[str], Client], book: dict) -> None:
    text = "长" * 2001
    response = login("rep_east1").post(
        f"/customers/{book['east1'].pk}/notes/new/", {"body": text}, headers=HTMX
    )
    html = response.content.decode()
    assert errors_of(html, "body")
    assert text in html
    assert CardNote.objects.count() == 0


def test_only_the_author_edits_a_note(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    note = note_add(actor=users["rep_east1"], customer_id=customer.pk, body="初稿")
    url = f"/customers/{customer.pk}/notes/{note.pk}/edit/"
    manager = login("mgr_east")
    assert manager.post(url, {f"note-{note.pk}-body": "改掉"}).status_code == 403
    note.refresh_from_db()
    assert note.body == "初稿" and note.edited_at is None
    response = login("rep_east1").post(url, {f"note-{note.pk}-body": "定稿"}, headers=HTMX)
    assert response["HX-Retarget"] == "#card-notes"
    note.refresh_from_db()
    assert note.body == "定稿" and note.edited_at is not None
    event = AuditEvent.objects.get(object_type="cards.cardnote", action="update")
    assert event.changes == {"body": ["初稿", "定稿"]}


def test_notes_appear_in_the_timeline(login: Callable[[str], Client], book: dict, users: dict):
    customer = book["east1"]
    note_add(actor=users["rep_east1"], customer_id=customer.pk, body="记一笔")
    html = login("rep_east1").get(f"/customers/{customer.pk}/?kind=note").content.decode()
    assert html.count('class="tl-item tl-item--note"') == 1


# --- Owner and tags ---------------------------------------------------------------------------


def test_manager_changes_the_owner_with_htmx(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    response = login("mgr_east").post(
        f"/customers/{customer.pk}/owner/", {"owner_id": users["rep_east2"].pk}, headers=HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="card-facts"')
    assert "timeline-changed" in triggers(response)
    customer.refresh_from_db()
    assert customer.owner == users["rep_east2"]
    timeline = login("mgr_east").get(f"/customers/{customer.pk}/?kind=change").content.decode()
    assert "rep_east1</del> → <ins>rep_east2" in timeline  # names, not ids


def test_a_rep_sees_no_owner_form_and_cannot_post_one(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    client = login("rep_east1")
    assert (
        f"/customers/{customer.pk}/owner/"
        not in client.get(f"/customers/{customer.pk}/").content.decode()
    )
    before = audit_count()
    response = client.post(f"/customers/{customer.pk}/owner/", {"owner_id": users["rep_east2"].pk})
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.owner == users["rep_east1"] and audit_count() == before


def test_owner_outside_the_managers_team_is_an_error_beside_the_field(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    response = login("mgr_east").post(
        f"/customers/{customer.pk}/owner/", {"owner_id": users["rep_south"].pk}, headers=HTMX
    )
    assert errors_of(response.content, "owner_id")
    customer.refresh_from_db()
    assert customer.owner == users["rep_east1"]


def test_add_and_remove_a_tag_with_htmx(login: Callable[[str], Client], book: dict) -> None:
    customer = book["east1"]
    client = login("rep_east1")
    added = client.post(f"/customers/{customer.pk}/tags/add/", {"tag": "回头客"}, headers=HTMX)
    assert "回头客" in (block(added.content, "id", "card-tags") or "")
    assert list(customer.tags.values_list("name", flat=True)) == ["回头客"]
    removed = client.post(
        f"/customers/{customer.pk}/tags/remove/", {"tag": "回头客", "confirm": "1"}, headers=HTMX
    )
    assert "timeline-changed" in triggers(removed)
    assert not customer.tags.exists()
    changes = client.get(f"/customers/{customer.pk}/?kind=change").content.decode()
    assert changes.count("回头客") >= 2  # added, then removed


def test_a_too_long_tag_is_refused_keeping_the_input(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    long_tag = "标" * 41
    response = login("rep_east1").post(
        f"/customers/{customer.pk}/tags/add/", {"tag": long_tag}, headers=HTMX
    )
    assert errors_of(response.content, "tag")
    assert long_tag in response.content.decode()
    assert not customer.tags.exists()


def test_service_cannot_tag(login: Callable[[str], Client], book: dict) -> None:
    customer = book["east1"]
    response = login("service").post(f"/customers/{customer.pk}/tags/add/", {"tag": "x"})
    assert response.status_code == 403
    assert not customer.tags.exists()


def test_follow_up_shows_the_planned_next_step(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    interaction_log(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={
            "kind": "call",
            "summary": "电话",
            "next_step": "寄样品",
            "next_step_due": "2099-01-02",
        },
    )
    html = login("rep_east1").get(f"/customers/{customer.pk}/").content.decode()
    follow = block(html, "id", "card-follow-up") or ""
    assert "寄样品" in follow and "2099" in follow


def test_an_overdue_follow_up_shows_until_the_customer_is_contacted_again(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    week_ago = timezone.now() - dt.timedelta(days=7)
    interaction_log(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={
            "kind": "call",
            "summary": "约好回访",
            "occurred_at": week_ago,
            "next_step": "送报价单",
            "next_step_due": "2099-01-01",
        },
    )
    # given the plan's due date has passed (the service refuses a past date when logging)
    Interaction.objects.update(next_step_due=(week_ago + dt.timedelta(days=2)).date())
    client = login("rep_east1")
    html = client.get(f"/customers/{customer.pk}/").content.decode()
    follow = block(html, "id", "card-follow-up")
    assert follow and "送报价单" in follow and 'class="overdue"' in html
    interaction_log(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={"kind": "visit", "summary": "当面送了报价单"},
    )
    follow = block(client.get(f"/customers/{customer.pk}/").content, "id", "card-follow-up")
    assert follow and "送报价单" not in follow


# --- Scope and cost ---------------------------------------------------------------------------


def test_another_reps_card_and_its_parts_are_404_and_change_nothing(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    south = book["south"]
    note = note_add(actor=users["rep_south"], customer_id=south.pk, body="南方客户的备注")
    client = login("rep_east1")
    before = (audit_count(), CardNote.objects.count())
    gets = ["", "part/head/", "part/facts/", "part/notes/", "timeline/?kind=note"]
    gets.append(f"notes/{note.pk}/edit/")
    for path in gets:
        response = client.get(f"/customers/{south.pk}/{path}", headers=HTMX)
        assert response.status_code == 404, path
        html = response.content.decode()
        assert "王五" not in html and "南方客户的备注" not in html and "13712345670" not in html
    posts = {
        "notes/new/": {"body": "x"},
        f"notes/{note.pk}/edit/": {f"note-{note.pk}-body": "x"},
        "owner/": {"owner_id": users["rep_east1"].pk},
        "tags/add/": {"tag": "x"},
        "tags/remove/": {"tag": "x"},
    }
    for path, data in posts.items():
        assert client.post(f"/customers/{south.pk}/{path}", data).status_code == 404, path
    assert (audit_count(), CardNote.objects.count()) == before
    note.refresh_from_db()
    assert note.body == "南方客户的备注"


def test_unknown_part_is_404(login: Callable[[str], Client], book: dict) -> None:
    response = login("rep_east1").get(f"/customers/{book['east1'].pk}/part/nope/", headers=HTMX)
    assert response.status_code == 404


def _history(customer: Customer, users: dict, size: int) -> None:
    for i in range(size):
        buy(customer, "300", hours_ago=200 - i)
        note_add(actor=users["rep_east1"], customer_id=customer.pk, body=f"备注{i}")
        interaction_log(
            actor=users["rep_east1"],
            customer_id=customer.pk,
            data={"kind": "call", "summary": f"电话{i}"},
        )
        ticket_open(
            actor=users["rep_east1"],
            customer_id=customer.pk,
            data={"kind": "enquiry", "subject": f"咨询{i}"},
        )


def _queries(client: Client, url: str, headers: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, headers=headers or {}).status_code == 200
    return len(captured.captured_queries)


def test_card_and_timeline_cost_a_fixed_number_of_queries(
    login: Callable[[str], Client], book: dict, users: dict, django_assert_max_num_queries
) -> None:
    customer = book["east1"]
    _history(customer, users, 3)
    client = login("rep_east1")
    card = f"/customers/{customer.pk}/"
    timeline = f"/customers/{customer.pk}/timeline/"
    partial = {**HTMX, "HX-Target": "timeline"}
    with django_assert_max_num_queries(23):  # 21, and the service tickets' panel and source
        client.get(card)
    with django_assert_max_num_queries(16):
        client.get(timeline, headers=partial)
    _history(customer, users, 12)  # more than a page of every kind
    # The bound holds however long the history: each source reads one page plus one row.
    # A higher tier: what keeps it reads the window (2 more); the newest page then holds no
    # purchase, so their points are not read (1 fewer).
    assert _queries(client, card) <= 24
    assert _queries(client, timeline, partial) <= 16
    for kind in ("purchase", "points", "tier", "interaction", "note", "change", "ticket"):
        assert _queries(client, f"{timeline}?kind={kind}", partial) <= 12


def test_every_template_field_links_to_a_field_of_the_edit_form() -> None:
    from tiercard.cards.layout import SECTIONS
    from tiercard.web.forms import CustomerForm

    for section in SECTIONS:
        for spec in section.fields:
            assert not spec.form_field or spec.form_field in CustomerForm.base_fields, spec.name


def test_redeeming_tells_the_timeline_to_reload_and_it_lists_the_points(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    from tiercard.loyalty.services.rewards import reward_create

    reward_create(
        actor=users["admin"],
        data={
            "code": "tea",
            "name_zh": "龙井礼盒",
            "name_en": "Tea box",
            "kind": "gift",
            "points_cost": "100",
        },
    )
    customer = book["east1"]
    buy(customer, "500")
    client = login("rep_east1")
    response = client.post(
        f"/customers/{customer.pk}/loyalty/redeem/",
        {"reward": "tea", "quantity": "1", "key": "k-redeem-1"},
        headers={**HTMX, "HX-Target": "redeem-panel"},
    )
    assert {"timeline-changed", "card-changed"} <= triggers(response)
    timeline = client.get(
        f"/customers/{customer.pk}/timeline/", headers={**HTMX, "HX-Target": "timeline"}
    ).content.decode()
    assert timeline.count('class="tl-item tl-item--points"') == 1  # the redemption
    assert "−100" in timeline
    assert "+500" in timeline  # the purchase's earned points, on its own row


def test_notes_work_without_javascript(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    client = login("rep_east1")
    added = client.post(f"/customers/{customer.pk}/notes/new/", {"body": "无脚本也能记"})
    assert added.status_code == 302 and added["Location"].endswith("#card-notes")
    note = CardNote.objects.get()
    url = f"/customers/{customer.pk}/notes/{note.pk}/edit/"
    form = client.get(url)
    assert form.status_code == 200 and "无脚本也能记" in form.content.decode()
    refused = client.post(url, {f"note-{note.pk}-body": ""})
    assert refused.status_code == 200 and errors_of(refused.content, f"note-{note.pk}-body")
    saved = client.post(url, {f"note-{note.pk}-body": "改过了"})
    assert saved.status_code == 302
    note.refresh_from_db()
    assert note.body == "改过了"


def test_tag_errors_without_javascript_show_the_card_with_the_error(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    response = login("rep_east1").post(f"/customers/{customer.pk}/tags/add/", {"tag": "签" * 41})
    html = response.content.decode()
    assert response.status_code == 200
    assert block(html, "id", "card-head") is not None  # the whole card
    assert errors_of(html, "tag") and "签" * 41 in html
    assert not customer.tags.exists()
