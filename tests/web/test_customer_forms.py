"""Create and edit forms: every service key, errors beside the field in the page's language,
the user's input kept, nothing written on error, stale edits refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext, ngettext

from tests.web.conftest import errors_of, field_block
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.customers.models import ContactPoint, Customer
from tiercard.customers.services import ALL_KEYS, customer_update
from tiercard.web.forms import CustomerForm

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
GOOD = {"kind": "person", "name": "赵云", "status": "active", "birthday_calendar": "solar"}

# field, bad value, the service's (or Django's) English message, its parameters
BAD_INPUT = [
    ("phones", "12345", "“%(value)s” is not a valid phone number.", {"value": "12345"}),
    (
        "emails",
        "not-an-email",
        "“%(value)s” is not a valid email address.",
        {"value": "not-an-email"},
    ),
    (
        "birthday",
        "2024年13月40日",
        "“%(value)s” is not a valid date (e.g. 2024-05-01).",
        {"value": "2024年13月40日"},
    ),
    ("credit_limit", "-100", "The amount cannot be negative.", {}),
]


def counts() -> tuple[int, int, int]:
    return (
        Customer.objects.count(),
        AuditEvent.objects.exclude(action=AuditAction.LOGIN).count(),
        ContactPoint.objects.count(),
    )


def message(msgid: str, params: dict[str, Any], language: str) -> str:
    with translation.override(language):
        text = gettext(msgid)
    return text % params if params else text


def test_the_form_covers_every_key_the_service_accepts() -> None:
    assert set(ALL_KEYS) <= set(CustomerForm.base_fields)


def test_create_with_bad_input_shows_every_error_beside_its_field_and_writes_nothing(
    login: Callable[[str], Client], users: dict
) -> None:
    client = login("rep_east1")
    before = counts()
    data = {**GOOD, **{name: value for name, value, _m, _p in BAD_INPUT}}
    response = client.post("/customers/new/", data)
    assert response.status_code == 200
    html = response.content.decode()
    for name, value, msgid, params in BAD_INPUT:
        assert message(msgid, params, "zh-hans") in errors_of(html, name), name
        assert value in field_block(html, name)  # the input is kept
    assert 'value="赵云"' in html
    assert counts() == before


def test_over_long_name_is_refused_in_chinese_by_default(
    login: Callable[[str], Client], users: dict
) -> None:
    before = counts()
    html = login("rep_east1").post("/customers/new/", {**GOOD, "name": "名" * 101}).content
    with translation.override("zh-hans"):
        expected = ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            100,
        ) % {"limit_value": 100, "show_value": 101}
    shown = errors_of(html, "name")
    assert expected in shown
    assert CJK.search(shown), shown
    assert counts() == before


def test_errors_are_in_english_after_switching_language(
    login: Callable[[str], Client], users: dict
) -> None:
    client = login("rep_east1")
    client.post("/language/", {"language": "en", "next": "/customers/new/"})
    before = counts()
    data = {**GOOD, **{name: value for name, value, _m, _p in BAD_INPUT}}
    html = client.post("/customers/new/", data).content.decode()
    assert '<html lang="en">' in html
    assert "“12345” is not a valid phone number." in errors_of(html, "phones")
    assert "“not-an-email” is not a valid email address." in errors_of(html, "emails")
    assert "is not a valid date" in errors_of(html, "birthday")
    assert "The amount cannot be negative." in errors_of(html, "credit_limit")
    long_name = client.post("/customers/new/", {**GOOD, "name": "名" * 101}).content
    assert "Ensure this value has at most 100 characters" in errors_of(long_name, "name")
    assert counts() == before


def test_missing_name_is_required_in_chinese(login: Callable[[str], Client], users: dict) -> None:
    html = login("rep_east1").post("/customers/new/", {**GOOD, "name": ""}).content
    shown = errors_of(html, "name")
    assert message("This field is required.", {}, "zh-hans") in shown
    assert CJK.search(shown), shown
    assert Customer.objects.count() == 0


def test_create_writes_the_card_and_shows_it(login: Callable[[str], Client], users: dict) -> None:
    client = login("rep_east1")
    response = client.post(
        "/customers/new/",
        {
            **GOOD,
            "phones": "138 1234 5678\r\n010-12345678",
            "emails": "zhaoyun@example.com, zy@shu.cn",
            "tags": "VIP, 老客户",
            "credit_limit": "¥1,234.50",
            "registered_on": "2024年5月1日",
            "needs": "第一行\r\n第二行",
            "consent_data": "on",
        },
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert customer.owner == users["rep_east1"]
    assert customer.primary_phone == "+8613812345678"
    assert customer.contact_points.count() == 4
    assert str(customer.credit_limit) == "1234.50"
    assert customer.registered_on.isoformat() == "2024-05-01"
    assert customer.consent_data and customer.consent_data_at is not None
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "老客户"]
    page = client.get(response["Location"]).content.decode()
    assert "¥1,234.50" in page


def test_lunar_birthday_is_entered_as_calendar_plus_lunar_date(
    login: Callable[[str], Client], users: dict
) -> None:
    login("rep_east1").post(
        "/customers/new/",
        {
            **GOOD,
            "birthday_calendar": "lunar",
            "lunar_birth_year": "1985",
            "lunar_birth_month": "4",
            "lunar_birth_day": "8",
        },
    )
    customer = Customer.objects.get()
    assert (customer.lunar_birth_month, customer.lunar_birth_day) == (4, 8)
    assert customer.birthday is not None and customer.birthday.isoformat() == "1985-05-27"


def test_owner_select_only_for_roles_that_may_assign(
    login: Callable[[str], Client], users: dict
) -> None:
    assert 'name="owner_id"' not in login("rep_east1").get("/customers/new/").content.decode()
    manager_form = login("mgr_east").get("/customers/new/").content.decode()
    assert 'name="owner_id"' in manager_form
    owner_options = field_block(manager_form, "owner_id")
    assert f"value={users['rep_east2'].pk}" in owner_options
    assert f"value={users['rep_south'].pk}" not in owner_options


def test_manager_creates_for_a_team_member(login: Callable[[str], Client], users: dict) -> None:
    login("mgr_east").post("/customers/new/", {**GOOD, "owner_id": users["rep_east2"].pk})
    customer = Customer.objects.get()
    assert customer.owner == users["rep_east2"]
    assert customer.team == users["rep_east2"].team


def test_manager_cannot_assign_outside_the_team_even_by_tampering(
    login: Callable[[str], Client], users: dict
) -> None:
    html = (
        login("mgr_east")
        .post("/customers/new/", {**GOOD, "owner_id": users["rep_south"].pk})
        .content
    )
    assert errors_of(html, "owner_id")
    assert Customer.objects.count() == 0


def test_sales_cannot_hand_a_new_customer_to_someone_else(
    login: Callable[[str], Client], users: dict
) -> None:
    login("rep_east1").post("/customers/new/", {**GOOD, "owner_id": users["rep_east2"].pk})
    assert Customer.objects.get().owner == users["rep_east1"]


def test_service_staff_may_not_create(login: Callable[[str], Client], users: dict) -> None:
    client = login("service")
    assert client.get("/customers/new/").status_code == 403
    assert client.post("/customers/new/", GOOD).status_code == 403
    assert Customer.objects.count() == 0


# --- Edit ---------------------------------------------------------------------------------


def edit_data(customer: Customer, **changes: Any) -> dict[str, Any]:
    """The edit form as the browser would send it back, with some changes."""
    from tiercard.web.forms import customer_initial

    data = {k: v for k, v in customer_initial(customer).items() if v not in (None, False)}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_edit_form_is_prefilled(login: Callable[[str], Client], book: dict) -> None:
    html = login("rep_east1").get(f"/customers/{book['east1'].pk}/edit/").content.decode()
    assert 'value="张三"' in html
    assert "13812345678" in field_block(html, "phones")
    assert 'name="expected_version" value="1"' in html


def test_edit_saves_and_writes_one_audit_row(login: Callable[[str], Client], book: dict) -> None:
    customer = book["east1"]
    audits = AuditEvent.objects.exclude(action=AuditAction.LOGIN).count()
    response = login("rep_east1").post(
        f"/customers/{customer.pk}/edit/", edit_data(customer, city="苏州", notes="喜欢龙井")
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.city, customer.notes, customer.version) == ("苏州", "喜欢龙井", 2)
    assert AuditEvent.objects.exclude(action=AuditAction.LOGIN).count() == audits + 1


def test_edit_that_leaves_phones_alone_keeps_the_contact_points(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    points = list(customer.contact_points.values_list("pk", flat=True))
    data = edit_data(customer, notes="x")
    data["phones"] = data["phones"].replace("\n", "\r\n")
    login("rep_east1").post(f"/customers/{customer.pk}/edit/", data)
    assert list(customer.contact_points.values_list("pk", flat=True)) == points


@pytest.mark.parametrize(("name", "value", "msgid", "params"), BAD_INPUT)
def test_edit_with_bad_input_changes_nothing(
    login: Callable[[str], Client],
    book: dict,
    name: str,
    value: str,
    msgid: str,
    params: dict[str, Any],
) -> None:
    customer = book["east1"]
    before = counts()
    response = login("rep_east1").post(
        f"/customers/{customer.pk}/edit/", edit_data(customer, city="苏州", **{name: value})
    )
    assert response.status_code == 200
    assert message(msgid, params, "zh-hans") in errors_of(response.content, name)
    assert value in field_block(response.content, name)
    fresh = Customer.objects.get(pk=customer.pk)
    assert (fresh.city, fresh.version, fresh.primary_phone) == ("", 1, "+8613812345678")
    assert counts() == before


def test_stale_edit_is_refused_with_a_clear_message(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    stale = edit_data(customer, city="苏州")
    customer_update(actor=users["mgr_east"], customer_id=customer.pk, data={"city": "南京"})
    response = login("rep_east1").post(f"/customers/{customer.pk}/edit/", stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert (
        message("The record was changed by someone else. Reload and try again.", {}, "zh-hans")
        in html
    )
    assert 'value="苏州"' in html  # what the user typed is still there
    customer.refresh_from_db()
    assert (customer.city, customer.version) == ("南京", 2)


def test_sales_cannot_reassign_by_tampering_with_the_edit_form(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    login("rep_east1").post(
        f"/customers/{customer.pk}/edit/",
        edit_data(customer, owner_id=users["rep_east2"].pk, notes="x"),
    )
    customer.refresh_from_db()
    assert customer.owner == users["rep_east1"]


def test_manager_reassigns_within_the_team(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    customer = book["east1"]
    login("mgr_east").post(
        f"/customers/{customer.pk}/edit/", edit_data(customer, owner_id=users["rep_east2"].pk)
    )
    customer.refresh_from_db()
    assert customer.owner == users["rep_east2"]


def test_editing_another_reps_customer_is_404_and_changes_nothing(
    login: Callable[[str], Client], book: dict
) -> None:
    target = book["south"]
    client = login("rep_east1")
    assert client.get(f"/customers/{target.pk}/edit/").status_code == 404
    response = client.post(f"/customers/{target.pk}/edit/", {**GOOD, "name": "篡改"})
    assert response.status_code == 404
    target.refresh_from_db()
    assert (target.name, target.version) == ("王五", 1)


def test_marketing_may_not_edit(login: Callable[[str], Client], book: dict) -> None:
    customer = book["east1"]
    response = login("marketing").post(
        f"/customers/{customer.pk}/edit/", edit_data(customer, city="苏州")
    )
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.city == ""


def test_editing_an_archived_card_cannot_bring_it_back(
    login: Callable[[str], Client], book: dict, users: dict
) -> None:
    from tiercard.customers.services import customer_archive

    customer = book["east1"]
    customer_archive(actor=users["mgr_east"], customer_id=customer.pk)
    customer.refresh_from_db()
    client = login("rep_east1")
    assert 'name="status"' not in client.get(f"/customers/{customer.pk}/edit/").content.decode()
    client.post(f"/customers/{customer.pk}/edit/", edit_data(customer, status="active", notes="x"))
    customer.refresh_from_db()
    assert (customer.status, customer.notes) == ("archived", "x")


def test_lunar_birthday_is_prefilled_and_kept_when_other_fields_change(
    login: Callable[[str], Client], make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer(
        "rep_east1",
        birthday_calendar="lunar",
        lunar_birth_year="1985",
        lunar_birth_month="4",
        lunar_birth_day="8",
    )
    client = login("rep_east1")
    form = client.get(f"/customers/{customer.pk}/edit/").context["form"]
    assert form["lunar_birth_year"].value() == 1985
    assert str(form["lunar_birth_month"].value()) == "4"
    client.post(f"/customers/{customer.pk}/edit/", edit_data(customer, notes="x"))
    customer.refresh_from_db()
    assert (customer.lunar_birth_month, customer.lunar_birth_day, customer.notes) == (4, 8, "x")
    client.post(f"/customers/{customer.pk}/edit/", edit_data(customer, lunar_birth_day="9"))
    customer.refresh_from_db()
    assert customer.lunar_birth_day == 9
    assert customer.birthday is not None and customer.birthday.isoformat() == "1985-05-28"


def test_saving_an_unchanged_form_writes_nothing(
    login: Callable[[str], Client], book: dict
) -> None:
    customer = book["east1"]
    before = counts()
    response = login("rep_east1").post(f"/customers/{customer.pk}/edit/", edit_data(customer))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.version == 1
    assert counts() == before
