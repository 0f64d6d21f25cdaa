"""The customer card: scoped, masked per viewer, revealed with an audit row, one timeline
that filters and pages, and a bounded number of queries however long the history is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.web.conftest import block
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.customers.contact_persons import contact_add
from tiercard.customers.models import Customer
from tiercard.interactions.services import interaction_log
from tiercard.loyalty.services.checkout import purchase_record

pytestmark = pytest.mark.django_db


def reveals() -> int:
    return AuditEvent.objects.filter(action=AuditAction.REVEAL).count()


def test_card_shows_the_sections_of_a_customer(
    login: Callable[[str], Client], make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer(
        "rep_east1",
        name="刘备",
        gender="male",
        birthday="1990-02-03",
        province="四川省",
        city="成都",
        address="武侯祠大街 1 号",
        credit_limit="50000",
        needs="定制礼盒",
        interests="书法",
        consent_data=True,
        tags="VIP",
        wechat="liubei_01",
    )
    html = login("rep_east1").get(f"/customers/{customer.pk}/").content.decode()
    for text in ("刘备", "成都", "武侯祠大街 1 号", "¥50,000.00", "定制礼盒", "书法", "VIP"):
        assert text in html
    assert "liubei_01" in html
    # A new customer holds the basic tier, whose card asks for little: the template's fields
    # come first, and what else is on record is folded away but never hidden.
    basic = block(html, "id", "section-basic") or ""
    assert "男" in basic and "1990" not in basic
    extra = block(html, "id", "section-extra") or ""
    assert "1990" in extra and "武侯祠大街 1 号" in extra and "¥50,000.00" in extra


def test_age_is_derived_from_the_birthday(
    login: Callable[[str], Client], make_customer: Callable[..., Customer]
) -> None:
    from tiercard.core.timeutils import age_on, business_today

    customer = make_customer("rep_east1", birthday="1990-02-03")
    age = age_on(dt.date(1990, 2, 3), business_today())
    response = login("rep_east1").get(f"/customers/{customer.pk}/")
    assert response.context["age"].startswith(str(age))


def test_lunar_birthday_is_shown_with_traditional_names_in_chinese(
    login: Callable[[str], Client], make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer(
        "rep_east1",
        birthday_calendar="lunar",
        lunar_birth_year="1985",
        lunar_birth_month="4",
        lunar_birth_day="8",
    )
    html = login("rep_east1").get(f"/customers/{customer.pk}/").content.decode()
    assert "农历四月初八" in html
    assert "1985年5月27日" in html  # the solar date of that lunar day


def test_another_reps_customer_is_404_and_reveals_nothing(
    login: Callable[[str], Client], book: dict
) -> None:
    client = login("rep_east1")
    for path in ("", "edit/", "purchases/new/", "interactions/new/", "timeline/"):
        response = client.get(f"/customers/{book['south'].pk}/{path}")
        assert response.status_code == 404, path
        html = response.content.decode()
        assert "王五" not in html
        assert "13712345670" not in html


def test_a_missing_customer_is_404(login: Callable[[str], Client], book: dict) -> None:
    assert login("admin").get("/customers/999999/").status_code == 404


def test_service_sees_masked_contact_data_and_a_reveal_button(
    login: Callable[[str], Client], book: dict
) -> None:
    html = login("service_reveal").get(f"/customers/{book['south'].pk}/").content.decode()
    assert "137****5670" in html
    assert "13712345670" not in html
    assert "w***@example.com" in html
    assert "wangwu@example.com" not in html
    assert f"/customers/{book['south'].pk}/reveal/" in html


def test_service_without_the_right_sees_no_reveal_button(
    login: Callable[[str], Client], book: dict
) -> None:
    html = login("service").get(f"/customers/{book['east1'].pk}/").content.decode()
    assert "138****5678" in html
    assert "/reveal/" not in html


def test_account_manager_sees_full_numbers_and_no_reveal_button(
    login: Callable[[str], Client], book: dict
) -> None:
    html = login("rep_east1").get(f"/customers/{book['east1'].pk}/").content.decode()
    assert "13812345678" in html
    assert "/reveal/" not in html


def test_reveal_with_htmx_swaps_in_full_values_and_is_audited(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    client = login("service_reveal")
    response = client.post(
        f"/customers/{book['south'].pk}/reveal/",
        headers={"HX-Request": "true", "HX-Target": "contact-values"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="contact-values"')
    assert "13712345670" in html and "wangwu@example.com" in html
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert event.actor == users["service_reveal"]
    assert event.customer_id == book["south"].pk
    assert event.interface == "web"


def test_reveal_without_javascript_renders_the_card_unmasked(
    login: Callable[[str], Client], book: dict
) -> None:
    response = login("service_reveal").post(f"/customers/{book['east1'].pk}/reveal/")
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    assert reveals() == 1


def test_reveal_without_the_right_is_refused_and_not_logged(
    login: Callable[[str], Client], book: dict
) -> None:
    response = login("service").post(f"/customers/{book['east1'].pk}/reveal/")
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    assert reveals() == 0


def test_reveal_of_an_out_of_scope_customer_is_404_and_not_logged(
    login: Callable[[str], Client], book: dict
) -> None:
    response = login("rep_east1").post(f"/customers/{book['south'].pk}/reveal/")
    assert response.status_code == 404
    assert "13712345670" not in response.content.decode()
    assert reveals() == 0


def test_reveal_needs_a_post(login: Callable[[str], Client], book: dict) -> None:
    response = login("service_reveal").get(f"/customers/{book['east1'].pk}/reveal/")
    assert response.status_code == 405
    assert reveals() == 0


def test_masked_viewer_does_not_see_full_numbers_in_the_change_history(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    from tiercard.customers.services import customer_update

    customer_update(
        actor=users["rep_east1"], customer_id=book["east1"].pk, data={"phones": "13800000000"}
    )
    html = login("service").get(f"/customers/{book['east1'].pk}/").content.decode()
    assert "13800000000" not in html
    assert "13812345678" not in html
    assert "138****0000" in html


def test_contact_persons_are_listed_and_masked_for_service(
    login: Callable[[str], Client], make_customer: Callable[..., Customer], users: dict
) -> None:
    company = make_customer("rep_east1", name="某某科技", kind="company")
    contact_add(
        actor=users["rep_east1"],
        customer_id=company.pk,
        data={"name": "周婷", "title": "采购经理", "mobile": "13900001234", "is_primary": True},
    )
    rep_html = login("rep_east1").get(f"/customers/{company.pk}/").content.decode()
    assert "周婷" in rep_html and "13900001234" in rep_html
    service_html = login("service").get(f"/customers/{company.pk}/").content.decode()
    assert "周婷" in service_html
    assert "139****1234" in service_html and "13900001234" not in service_html


def _history(customer: Customer, purchases: int, interactions: int) -> None:
    base = timezone.now() - dt.timedelta(days=60)
    for i in range(purchases):
        purchase_record(
            actor=customer.owner,
            customer_id=customer.pk,
            data={
                "occurred_at": base + dt.timedelta(hours=i),
                "lines": [
                    {"item_name": f"商品{i}", "unit_price": "10"},
                    {"item_name": "赠品", "unit_price": "0"},
                ],
            },
        )
    for i in range(interactions):
        interaction_log(
            actor=customer.owner,
            customer_id=customer.pk,
            data={
                "kind": "call",
                "summary": f"电话 {i}",
                "occurred_at": base + dt.timedelta(hours=i, minutes=30),
            },
        )


def test_timeline_merges_purchases_interactions_and_changes_newest_first(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    _history(customer, purchases=2, interactions=1)
    entries = login("rep_east1").get(f"/customers/{customer.pk}/").context["entries"]
    assert [e.kind for e in entries] == ["change", "purchase", "interaction", "purchase"]
    assert entries[1].amount == "¥10.00"


def test_timeline_filters_by_kind_with_htmx(login: Callable[[str], Client], book: dict) -> None:
    customer = book["east1"]
    _history(customer, purchases=2, interactions=3)
    response = login("rep_east1").get(
        f"/customers/{customer.pk}/timeline/?kind=interaction",
        headers={"HX-Request": "true", "HX-Target": "timeline"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="timeline"')
    assert html.count('class="tl-item tl-item--interaction"') == 3
    assert "tl-item--purchase" not in html
    assert "tl-item--change" not in html


def test_timeline_loads_more_without_repeats(login: Callable[[str], Client], book: dict) -> None:
    customer = book["east1"]
    _history(customer, purchases=30, interactions=0)
    client = login("rep_east1")
    first = client.get(f"/customers/{customer.pk}/?kind=purchase").context
    assert len(first["entries"]) == 20
    assert first["more_query"]
    more = client.get(
        f"/customers/{customer.pk}/timeline/?{first['more_query']}",
        headers={"HX-Request": "true", "HX-Target": "tl-more"},
    )
    html = more.content.decode()
    assert html.lstrip().startswith('<li class="tl-item')  # only the next entries
    assert "<section" not in html
    assert html.count('class="tl-item tl-item--purchase"') == 10
    assert all(f"商品{i} ×" in html for i in range(10))  # the oldest ten: 商品0 … 商品9
    assert not any(f"商品{i} ×" in html for i in range(10, 30))  # already on the first page
    assert "tl-more" not in html  # nothing older


def test_load_more_without_javascript_is_a_link_to_the_card(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    _history(customer, purchases=25, interactions=0)
    client = login("rep_east1")
    query = client.get(f"/customers/{customer.pk}/?kind=purchase").context["more_query"]
    redirected = client.get(f"/customers/{customer.pk}/timeline/?{query}")
    assert redirected.status_code == 302
    page = client.get(redirected["Location"])
    assert len(page.context["entries"]) == 5
    assert page.context["timeline_paged"]


def _card_queries(client: Client, customer: Customer) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/customers/{customer.pk}/").status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("username", ["rep_east1", "service_reveal", "admin"])
def test_card_query_count_is_bounded_and_independent_of_history(
    login: Callable[[str], Client],
    make_customer: Callable[..., Customer],
    users: dict,
    django_assert_max_num_queries: Callable,
    username: str,
) -> None:
    customer = make_customer(
        "rep_east1", name="某公司", kind="company", phones="13800001111", tags="A, B"
    )
    for name in ("甲", "乙"):
        contact_add(actor=users["rep_east1"], customer_id=customer.pk, data={"name": name})
    _history(customer, purchases=5, interactions=5)
    client = login(username)
    # The scope is checked once, by customer_get; service tickets add two (panel, timeline).
    with django_assert_max_num_queries(22):
        client.get(f"/customers/{customer.pk}/")
    few = _card_queries(client, customer)
    _history(customer, purchases=25, interactions=25)
    assert _card_queries(client, customer) == few


def test_archived_card_says_so(login: Callable[[str], Client], book: dict, users: dict) -> None:
    from tiercard.customers.services import customer_archive

    customer_archive(actor=users["mgr_east"], customer_id=book["east1"].pk)
    html = login("mgr_east").get(f"/customers/{book['east1'].pk}/").content.decode()
    assert "alert alert--warn" in html
    assert f"/customers/{book['east1'].pk}/restore/" in html


def test_buttons_follow_the_policy(login: Callable[[str], Client], book: dict) -> None:
    pk = book["east1"].pk
    rep = login("rep_east1").get(f"/customers/{pk}/").content.decode()
    assert f"/customers/{pk}/edit/" in rep
    assert f"/customers/{pk}/archive/" not in rep
    assert 'id="purchase-panel"' in rep
    manager = login("mgr_east").get(f"/customers/{pk}/").content.decode()
    assert f"/customers/{pk}/archive/" in manager
    marketing = login("marketing").get(f"/customers/{pk}/").content.decode()
    assert f"/customers/{pk}/edit/" not in marketing
    assert 'id="purchase-panel"' not in marketing
    assert 'id="interaction-panel"' in marketing


def test_refusals_to_htmx_requests_land_in_the_flash_area(
    login: Callable[[str], Client], book: dict
) -> None:
    response = login("service").post(
        f"/customers/{book['east1'].pk}/reveal/",
        headers={"HX-Request": "true", "HX-Target": "contact-values"},
    )
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#flash"
    assert response.content.decode().strip().startswith('<div class="alert alert--error"')
    assert reveals() == 0


def test_a_tier_with_a_dedicated_manager_asks_for_one_on_an_unassigned_card(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    purchase_record(  # one order of 10,500: VIP级, whose benefits include a dedicated manager
        actor=customer.owner,
        customer_id=customer.pk,
        data={"lines": [{"item_name": "茶", "unit_price": "10500"}]},
    )
    client = login("admin")
    url = f"/customers/{customer.pk}/"
    assert block(client.get(url).content, "id", "manager-needed") is None  # it has an owner

    Customer.objects.filter(pk=customer.pk).update(owner=None)
    alert = block(client.get(url).content, "id", "manager-needed")

    assert alert == "VIP级客户应有专属客户经理，请分配。"
    basic = book["south"]
    Customer.objects.filter(pk=basic.pk).update(owner=None)
    assert block(client.get(f"/customers/{basic.pk}/").content, "id", "manager-needed") is None
