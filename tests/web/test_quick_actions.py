"""Quick actions on the card: record a purchase, log an interaction, archive and restore.
With htmx they answer with fragments; without, they post and redirect."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tests.web.conftest import errors_of, field_block
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.customers.contact_persons import contact_add
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.interactions.models import Interaction
from tiercard.sales.models import Purchase, PurchaseLine

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def purchase_post(ref: str = "web-test-1", **extra: Any) -> dict[str, Any]:
    data = {
        "external_ref": ref,
        "occurred_at": "",
        "channel": "store",
        "payment_method": "wechat_pay",
        "store": "南京西路店",
        "discount": "10",
        "note": "生日礼物",
        "line-0-item_name": "西湖龙井",
        "line-0-sku": "LJ-250",
        "line-0-quantity": "2",
        "line-0-unit_price": "100.50",
        "line-0-discount": "1",
        "line-1-item_name": "茶具",
        "line-1-quantity": "1",
        "line-1-unit_price": "50",
        "line-2-item_name": "",
        "line-2-quantity": "1",
        "line-2-unit_price": "",
    }
    data.update(extra)
    return data


# --- Purchases ------------------------------------------------------------------------------


def test_record_purchase_updates_totals_and_the_timeline(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    client = login("rep_east1")
    response = client.post(f"/customers/{customer.pk}/purchases/new/", purchase_post())
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/#timeline"
    purchase = Purchase.objects.get()
    assert purchase.total == Decimal("240.00")  # 2 × 100.50 − 1 + 50 − 10
    assert purchase.lines.count() == 2  # the blank third row is not a line
    customer.refresh_from_db()
    assert (customer.order_count, customer.total_spend) == (1, Decimal("240.00"))
    page = client.get(response["Location"]).content.decode()
    assert "¥240.00" in page
    assert "西湖龙井 × 2" in page
    assert 'class="tl-item tl-item--purchase"' in page


def test_double_submit_of_the_same_form_records_once(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    client = login("rep_east1")
    first = client.post(f"/customers/{customer.pk}/purchases/new/", purchase_post("web-dup"))
    second = client.post(f"/customers/{customer.pk}/purchases/new/", purchase_post("web-dup"))
    assert first.status_code == second.status_code == 302
    assert Purchase.objects.count() == 1
    customer.refresh_from_db()
    assert (customer.order_count, customer.total_spend) == (1, Decimal("240.00"))


def test_the_tier_discount_box_says_what_it_takes_off_and_takes_it(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    client = login("rep_east1")
    url = f"/customers/{customer.pk}/purchases/new/"
    headers = {**HTMX, "HX-Target": "purchase-panel"}
    assert "基础级没有折扣。" in field_block(
        client.get(url, headers=headers).content, "tier_discount"
    )
    for ref in ("web-a", "web-b"):  # 2 × 500 − 1 + 50 each: 标准级 on 2,098 over two orders
        client.post(url, purchase_post(ref, discount="", **{"line-0-unit_price": "500"}))
    form = client.get(url, headers=headers).content
    assert "标准级：小计优惠 2%，代替整单折扣。" in field_block(form, "tier_discount")

    client.post(url, purchase_post("web-d", discount="", tier_discount="on"))

    purchase = Purchase.objects.get(external_ref="web-d")
    assert (purchase.subtotal, purchase.discount, purchase.total) == (
        Decimal("250.00"),
        Decimal("5.00"),
        Decimal("245.00"),
    )


def test_an_order_discount_beside_the_tier_discount_is_refused_beside_the_field(
    login: Callable[[str], Client], book: dict
) -> None:
    response = login("rep_east1").post(
        f"/customers/{book['east1'].pk}/purchases/new/",
        purchase_post("web-both", tier_discount="on"),
        headers={**HTMX, "HX-Target": "purchase-panel"},
    )
    assert response.status_code == 200
    assert "只能选一个" in errors_of(response.content, "discount")
    assert not Purchase.objects.exists()


def test_each_rendered_form_carries_its_own_reference(
    login: Callable[[str], Client], book: dict
) -> None:
    client = login("rep_east1")
    url = f"/customers/{book['east1'].pk}/purchases/new/"
    headers = {**HTMX, "HX-Target": "purchase-panel"}  # the card loads the form on opening
    refs = [
        client.get(url, headers=headers).context["purchase_form"]["external_ref"].value()
        for _ in range(2)
    ]
    assert refs[0] != refs[1]
    assert all(ref.startswith("web-") for ref in refs)


def test_record_purchase_with_htmx_returns_a_fresh_form_and_out_of_band_updates(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    response = login("rep_east1").post(
        f"/customers/{customer.pk}/purchases/new/",
        purchase_post("web-htmx"),
        headers={**HTMX, "HX-Target": "purchase-panel"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="purchase-panel"')
    assert 'value="web-htmx"' not in html  # the next purchase gets a new reference
    assert '<section id="totals" class="stats"' in html and 'hx-swap-oob="true"' in html
    assert "¥240.00" in html
    assert '<section id="timeline"' in html and "西湖龙井 × 2" in html
    assert '<div id="flash"' in html
    assert "card-changed" in response["HX-Trigger"]  # the head (tier badge) and side refresh
    assert Purchase.objects.count() == 1


def test_htmx_double_submit_says_it_was_already_recorded(
    login: Callable[[str], Client], book: dict
) -> None:
    client = login("rep_east1")
    url = f"/customers/{book['east1'].pk}/purchases/new/"
    client.post(url, purchase_post("web-twice"), headers=HTMX)
    again = client.post(url, purchase_post("web-twice"), headers=HTMX)
    assert again.status_code == 200
    assert Purchase.objects.count() == 1
    assert 'id="flash"' in again.content.decode()


def test_bad_purchase_line_shows_the_error_on_that_row_and_writes_nothing(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    data = purchase_post(**{"line-1-unit_price": "-5", "line-1-quantity": "0"})
    response = login("rep_east1").post(
        f"/customers/{customer.pk}/purchases/new/",
        data,
        headers={**HTMX, "HX-Target": "purchase-panel"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="purchase-panel"')
    assert "has-error" in html
    assert errors_of(html, "line-1-unit_price")
    assert errors_of(html, "line-1-quantity")
    assert not errors_of(html, "line-0-unit_price")
    assert 'value="西湖龙井"' in html  # input kept
    assert Purchase.objects.count() == PurchaseLine.objects.count() == 0
    customer.refresh_from_db()
    assert customer.order_count == 0


def test_purchase_without_items_is_refused(login: Callable[[str], Client], book: dict) -> None:
    response = login("rep_east1").post(
        f"/customers/{book['east1'].pk}/purchases/new/",
        {"external_ref": "web-empty", "channel": "store", "payment_method": "cash"},
    )
    assert response.status_code == 200
    assert 'class="alert alert--error"' in response.content.decode()
    assert Purchase.objects.count() == 0


def test_purchase_in_the_future_is_refused_beside_the_time_field(
    login: Callable[[str], Client], book: dict
) -> None:
    response = login("rep_east1").post(
        f"/customers/{book['east1'].pk}/purchases/new/",
        purchase_post(occurred_at="2999-01-01T10:00"),
    )
    assert errors_of(response.content, "occurred_at")
    assert Purchase.objects.count() == 0


def test_more_line_rows_with_and_without_javascript(
    login: Callable[[str], Client], book: dict
) -> None:
    client = login("rep_east1")
    pk = book["east1"].pk
    row = client.get(f"/customers/{pk}/purchases/line/?index=3", headers=HTMX).content.decode()
    assert 'name="line-3-item_name"' in row
    assert 'id="add-line"' in row and "index=4" in row and 'hx-swap-oob="true"' in row
    page = client.get(f"/customers/{pk}/purchases/new/?rows=6").content.decode()
    assert 'name="line-5-item_name"' in page
    assert 'name="line-6-item_name"' not in page


def test_marketing_may_not_record_purchases(login: Callable[[str], Client], book: dict) -> None:
    client = login("marketing")
    url = f"/customers/{book['east1'].pk}/purchases/new/"
    assert client.get(url).status_code == 403
    assert client.post(url, purchase_post()).status_code == 403
    assert Purchase.objects.count() == 0


def test_service_may_record_purchases(login: Callable[[str], Client], book: dict) -> None:
    login("service").post(f"/customers/{book['south'].pk}/purchases/new/", purchase_post())
    assert Purchase.objects.get().customer == book["south"]


# --- Interactions ---------------------------------------------------------------------------


def test_log_interaction_with_a_contact_person(
    login: Callable[[str], Client], make_customer: Callable[..., Customer], users: dict
) -> None:
    company = make_customer("rep_east1", name="某公司", kind="company")
    person = contact_add(actor=users["rep_east1"], customer_id=company.pk, data={"name": "周婷"})
    client = login("rep_east1")
    response = client.post(
        f"/customers/{company.pk}/interactions/new/",
        {
            "kind": "visit",
            "occurred_at": "2024-05-01T14:30",
            "contact_id": person.pk,
            "summary": "拜访，沟通年底礼盒方案",
            "outcome": "positive",
            "next_step": "寄样品",
            "next_step_due": "",
        },
    )
    assert response.status_code == 302
    interaction = Interaction.objects.get()
    assert (interaction.kind, interaction.contact, interaction.actor) == (
        "visit",
        person,
        users["rep_east1"],
    )
    assert interaction.occurred_at.isoformat() == "2024-05-01T06:30:00+00:00"  # 14:30 Shanghai
    page = client.get(f"/customers/{company.pk}/").content.decode()
    assert "拜访，沟通年底礼盒方案" in page
    assert "周婷" in page


def test_log_interaction_with_htmx_refreshes_the_timeline(
    login: Callable[[str], Client], book: dict
) -> None:
    response = login("service").post(
        f"/customers/{book['east1'].pk}/interactions/new/",
        {"kind": "call", "summary": "投诉处理回访"},
        headers={**HTMX, "HX-Target": "interaction-panel"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="interaction-panel"')
    assert '<section id="timeline"' in html and "投诉处理回访" in html
    assert Interaction.objects.count() == 1


def test_interaction_without_summary_keeps_the_input_and_writes_nothing(
    login: Callable[[str], Client], book: dict
) -> None:
    response = login("rep_east1").post(
        f"/customers/{book['east1'].pk}/interactions/new/",
        {"kind": "call", "summary": "", "next_step": "再打一次"},
        headers={**HTMX, "HX-Target": "interaction-panel"},
    )
    html = response.content.decode()
    assert errors_of(html, "summary")
    assert 'value="再打一次"' in html
    assert Interaction.objects.count() == 0


def test_contact_person_of_another_customer_is_refused(
    login: Callable[[str], Client], make_customer: Callable[..., Customer], users: dict
) -> None:
    mine = make_customer("rep_east1", name="甲", kind="company")
    contact_add(actor=users["rep_east1"], customer_id=mine.pk, data={"name": "自己人"})
    other = make_customer("rep_south", name="乙", kind="company")
    foreign = contact_add(actor=users["rep_south"], customer_id=other.pk, data={"name": "外人"})
    response = login("rep_east1").post(
        f"/customers/{mine.pk}/interactions/new/",
        {"kind": "call", "summary": "x", "contact_id": foreign.pk},
    )
    assert response.status_code == 200
    assert errors_of(response.content, "contact_id")
    assert "外人" not in response.content.decode()
    assert Interaction.objects.count() == 0


# --- Archive and restore --------------------------------------------------------------------


def test_archive_asks_for_confirmation_first(login: Callable[[str], Client], book: dict) -> None:
    customer = book["east1"]
    response = login("mgr_east").get(f"/customers/{customer.pk}/archive/")
    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.ACTIVE


def test_manager_archives_with_a_reason_and_restores(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    client = login("mgr_east")
    response = client.post(f"/customers/{customer.pk}/archive/", {"reason": "客户要求注销"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.ARCHIVED
    event = AuditEvent.objects.get(action=AuditAction.ARCHIVE)
    assert event.note == "客户要求注销"
    client.post(f"/customers/{customer.pk}/restore/")
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.ACTIVE


@pytest.mark.parametrize("username", ["rep_east1", "service", "marketing"])
def test_archive_needs_the_right_role(
    login: Callable[[str], Client], book: dict, username: str
) -> None:
    customer = book["east1"]
    client = login(username)
    assert client.get(f"/customers/{customer.pk}/archive/").status_code == 403
    assert client.post(f"/customers/{customer.pk}/archive/").status_code == 403
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.ACTIVE
    assert not AuditEvent.objects.filter(action=AuditAction.ARCHIVE).exists()


# --- Tampering: posting to another rep's customer id ----------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("edit/", {"kind": "person", "name": "篡改", "status": "active"}),
        ("purchases/new/", purchase_post("web-tamper")),
        ("interactions/new/", {"kind": "call", "summary": "篡改"}),
        ("archive/", {"reason": "x"}),
        ("restore/", {}),
        ("reveal/", {}),
        ("contacts/new/", {"name": "篡改"}),
    ],
)
def test_posting_to_another_reps_customer_changes_nothing(
    login: Callable[[str], Client], book: dict, path: str, data: dict[str, Any]
) -> None:
    target = book["south"]
    audits = AuditEvent.objects.exclude(action=AuditAction.LOGIN).count()
    for username in ("rep_east1", "mgr_east"):
        response = login(username).post(f"/customers/{target.pk}/{path}", data)
        assert response.status_code == 404, (username, path)
        assert "王五" not in response.content.decode()
    target.refresh_from_db()
    assert (target.name, target.version, target.status, target.order_count) == (
        "王五",
        1,
        CustomerStatus.ACTIVE,
        0,
    )
    assert Purchase.objects.count() == Interaction.objects.count() == 0
    assert target.contacts.count() == 0
    assert AuditEvent.objects.exclude(action=AuditAction.LOGIN).count() == audits
