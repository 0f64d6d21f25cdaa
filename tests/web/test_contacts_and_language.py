"""Contact persons of company customers, and the language switch."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client

from tests.web.conftest import errors_of
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.customers.contact_persons import contact_add
from tiercard.customers.models import Contact, Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer("rep_east1", name="云栖茶业", kind="company")


def test_add_edit_and_remove_a_contact_person(
    login: Callable[[str], Client], company: Customer
) -> None:
    client = login("rep_east1")
    base = f"/customers/{company.pk}/contacts"
    response = client.post(
        f"{base}/new/",
        {"name": "周婷", "title": "采购经理", "mobile": "139 0000 1234", "is_primary": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{company.pk}/#contacts"
    person = Contact.objects.get()
    assert (person.name, person.mobile, person.is_primary) == ("周婷", "13900001234", True)

    edit = client.get(f"{base}/{person.pk}/edit/").content.decode()
    assert 'value="周婷"' in edit
    client.post(f"{base}/{person.pk}/edit/", {"name": "周婷", "title": "采购总监"})
    person.refresh_from_db()
    assert person.title == "采购总监"

    assert client.get(f"{base}/{person.pk}/remove/").status_code == 200  # confirmation
    assert Contact.objects.count() == 1
    client.post(f"{base}/{person.pk}/remove/")
    assert Contact.objects.count() == 0


def test_bad_contact_input_is_shown_beside_the_field_and_not_saved(
    login: Callable[[str], Client], company: Customer
) -> None:
    response = login("rep_east1").post(
        f"/customers/{company.pk}/contacts/new/",
        {"name": "周婷", "mobile": "12345", "email": "nope"},
    )
    assert response.status_code == 200
    assert "12345" in errors_of(response.content, "mobile")
    assert "nope" in errors_of(response.content, "email")
    assert Contact.objects.count() == 0


def test_contact_of_another_customer_cannot_be_reached_through_this_card(
    login: Callable[[str], Client],
    company: Customer,
    make_customer: Callable[..., Customer],
    users: dict,
) -> None:
    other = make_customer("rep_east1", name="另一家", kind="company")
    person = contact_add(actor=users["rep_east1"], customer_id=other.pk, data={"name": "孙磊"})
    client = login("rep_east1")
    url = f"/customers/{company.pk}/contacts/{person.pk}"
    assert client.get(f"{url}/edit/").status_code == 404
    assert client.post(f"{url}/edit/", {"name": "篡改"}).status_code == 404
    assert client.post(f"{url}/remove/").status_code == 404
    person.refresh_from_db()
    assert person.name == "孙磊"


def test_contacts_of_another_reps_customer_are_404(
    login: Callable[[str], Client], make_customer: Callable[..., Customer], users: dict
) -> None:
    other = make_customer("rep_south", name="华南公司", kind="company")
    person = contact_add(actor=users["rep_south"], customer_id=other.pk, data={"name": "李雷"})
    client = login("rep_east1")
    assert client.post(f"/customers/{other.pk}/contacts/{person.pk}/remove/").status_code == 404
    assert Contact.objects.filter(pk=person.pk).exists()


def test_service_staff_cannot_change_contact_persons(
    login: Callable[[str], Client], company: Customer
) -> None:
    audits = AuditEvent.objects.exclude(action=AuditAction.LOGIN).count()
    response = login("service").post(f"/customers/{company.pk}/contacts/new/", {"name": "x"})
    assert response.status_code == 403
    assert Contact.objects.count() == 0
    assert AuditEvent.objects.exclude(action=AuditAction.LOGIN).count() == audits


# --- Language -------------------------------------------------------------------------------


def test_switching_language_saves_it_on_the_user_and_in_a_cookie(
    login: Callable[[str], Client], users: dict
) -> None:
    client = login("rep_east1")
    assert '<html lang="zh-Hans">' in client.get("/customers/").content.decode()
    response = client.post("/language/", {"language": "en", "next": "/customers/?q=x"})
    assert response.status_code == 302
    assert response["Location"] == "/customers/?q=x"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert User.objects.get(username="rep_east1").language == "en"
    page = client.get("/customers/")
    assert '<html lang="en">' in page.content.decode()
    assert page["Content-Language"] == "en"
    client.post("/language/", {"language": "zh-hans"})
    assert '<html lang="zh-Hans">' in client.get("/customers/").content.decode()


def test_language_switch_works_before_signing_in(client: Client) -> None:
    response = client.post("/language/", {"language": "en", "next": "/login/"})
    assert response["Location"] == "/login/"
    assert '<html lang="en">' in client.get("/login/").content.decode()


def test_unknown_language_and_foreign_next_are_ignored(
    login: Callable[[str], Client], users: dict
) -> None:
    client = login("rep_east1")
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/customers/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert User.objects.get(username="rep_east1").language == ""


def test_dates_and_money_follow_the_language(
    login: Callable[[str], Client], make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer("rep_east1", registered_on="2024-05-01", credit_limit="1234567.5")
    client = login("rep_east1")
    chinese = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "2024年5月1日" in chinese
    assert "¥1,234,567.50" in chinese
    client.post("/language/", {"language": "en"})
    english = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "May 1, 2024" in english
    assert "¥1,234,567.50" in english


def test_contact_person_reveal_unmasks_one_person_and_is_audited(
    login: Callable[[str], Client], company: Customer, users: dict
) -> None:
    person = contact_add(
        actor=users["rep_east1"],
        customer_id=company.pk,
        data={"name": "周婷", "mobile": "13900001234", "email": "zt@example.com"},
    )
    client = login("service_reveal")
    card = client.get(f"/customers/{company.pk}/").content.decode()
    assert "139****1234" in card and "13900001234" not in card
    url = f"/customers/{company.pk}/contacts/{person.pk}/reveal/"
    assert url in card
    response = client.post(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith(f'<article class="person" id="person-{person.pk}"')
    assert "13900001234" in html and "zt@example.com" in html
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert (event.actor, event.customer_id) == (users["service_reveal"], company.pk)


def test_contact_person_reveal_is_refused_without_the_right(
    login: Callable[[str], Client], company: Customer, users: dict
) -> None:
    person = contact_add(
        actor=users["rep_east1"],
        customer_id=company.pk,
        data={"name": "周婷", "mobile": "13900001234"},
    )
    client = login("service")
    assert "/reveal/" not in client.get(f"/customers/{company.pk}/").content.decode()
    response = client.post(f"/customers/{company.pk}/contacts/{person.pk}/reveal/")
    assert response.status_code == 403
    assert "13900001234" not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


def test_contact_person_reveal_through_another_card_is_404(
    login: Callable[[str], Client],
    company: Customer,
    make_customer: Callable[..., Customer],
    users: dict,
) -> None:
    other = make_customer("rep_south", name="华南公司", kind="company")
    person = contact_add(
        actor=users["rep_south"],
        customer_id=other.pk,
        data={"name": "李雷", "mobile": "13900005678"},
    )
    response = login("service_reveal").post(f"/customers/{company.pk}/contacts/{person.pk}/reveal/")
    assert response.status_code == 404
    assert "13900005678" not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()
