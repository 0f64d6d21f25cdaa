"""Signing in and out; every page but the login page needs a signed-in user."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/customers/",
        "/customers/new/",
        "/customers/1/",
        "/customers/1/edit/",
        "/customers/1/archive/",
        "/customers/1/purchases/new/",
        "/customers/1/interactions/new/",
        "/customers/1/contacts/new/",
    ],
)
def test_pages_redirect_anonymous_users_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={path}"


def test_anonymous_post_writes_nothing(client: Client, book: dict) -> None:
    from tiercard.sales.models import Purchase

    response = client.post(
        f"/customers/{book['east1'].pk}/purchases/new/",
        {"external_ref": "x", "line-0-item_name": "茶", "line-0-unit_price": "10"},
    )
    assert response.status_code == 302
    assert Purchase.objects.count() == 0


def test_htmx_request_after_session_expiry_redirects_the_whole_page(client: Client) -> None:
    response = client.get(
        "/customers/1/timeline/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/customers/1/"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("web:login") + "?next=")


def test_root_redirects_to_the_customer_list(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customer_list")


def test_login_page_is_styled_and_chinese_first(client: Client) -> None:
    response = client.get(reverse("web:login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in html
    assert "tiercard/tiercard.css" in html
    assert "tiercard/htmx.min.js" in html
    assert "用户名" in html  # Django's own label, in Chinese by default


def test_login_with_the_right_password_lands_on_the_customer_list(
    client: Client, users: dict
) -> None:
    response = client.post(
        reverse("web:login"), {"username": "rep_east1", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("web:customer_list")
    assert response.context["user"].username == "rep_east1"


def test_login_with_a_wrong_password_stays_on_the_login_page(client: Client, users: dict) -> None:
    response = client.post(reverse("web:login"), {"username": "rep_east1", "password": "nope"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert 'class="alert alert--error"' in response.content.decode()


def test_logout_is_a_post_and_ends_the_session(client: Client, users: dict) -> None:
    client.login(username="rep_east1", password=PASSWORD)
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login")
    assert client.get("/customers/").status_code == 302
