"""Who may call the API: bearer tokens, sessions with CSRF, and the 401 shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.conftest import BASE, ApiClient
from tests.conftest import PASSWORD
from tiercard.accounts.models import ApiToken, User
from tiercard.accounts.services import api_token_create, api_token_revoke
from tiercard.customers.models import Customer

pytestmark = pytest.mark.django_db


def _bearer(secret: str) -> ApiClient:
    return ApiClient({"Authorization": f"Bearer {secret}"})


def test_token_authenticates_and_me_describes_the_caller(
    api: Callable[..., ApiClient], users: dict[str, User]
) -> None:
    response = api("mgr_east").get("/me")

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "mgr_east"
    assert body["role"] == "manager"
    assert body["team"] == {"id": users["mgr_east"].team_id, "name": "华东"}
    assert body["pii_masked"] is False
    assert body["permissions"]["archive_customers"] is True
    assert body["permissions"]["create_customer"] is True


def test_me_for_a_masked_role(api: Callable[..., ApiClient]) -> None:
    body = api("marketing").get("/me").json()

    assert body["role"] == "marketing"
    assert body["team"] is None
    assert body["pii_masked"] is True
    assert body["permissions"]["update_customers"] is False
    assert body["permissions"]["reveal_pii"] is False


def _assert_unauthorized(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthorized"
    assert body["message"]
    assert set(body) == {"code", "message"}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_credentials_is_401(db: None) -> None:
    _assert_unauthorized(Client().get(f"{BASE}/me"))
    _assert_unauthorized(Client().get(f"{BASE}/customers"))


def test_unauthenticated_post_is_401_and_writes_nothing(db: None) -> None:
    response = Client().post(
        f"{BASE}/customers", data={"name": "匿名"}, content_type="application/json"
    )

    _assert_unauthorized(response)
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer tc_not-a-real-token",
        "Bearer not-even-prefixed",
        "Bearer ",
        "Token tc_whatever",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_bad_token_is_401(users: dict[str, User], header: str) -> None:
    _assert_unauthorized(Client(headers={"Authorization": header}).get(f"{BASE}/me"))


def test_revoked_token_is_401(users: dict[str, User]) -> None:
    user = users["rep_east1"]
    token, secret = api_token_create(actor=user, user=user, name="laptop")
    assert _bearer(secret).get("/me").status_code == 200

    api_token_revoke(actor=user, token_id=token.pk)

    _assert_unauthorized(_bearer(secret).get("/me"))


def test_expired_token_is_401(users: dict[str, User]) -> None:
    user = users["rep_east1"]
    token, secret = api_token_create(actor=user, user=user, name="ci", expires_in_days=1)
    assert _bearer(secret).get("/me").status_code == 200

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    _assert_unauthorized(_bearer(secret).get("/me"))


def test_token_of_a_deactivated_user_is_401(users: dict[str, User]) -> None:
    user = users["rep_east1"]
    _token, secret = api_token_create(actor=user, user=user, name="phone")
    User.objects.filter(pk=user.pk).update(is_active=False)

    _assert_unauthorized(_bearer(secret).get("/me"))


def test_a_bad_token_is_not_rescued_by_a_session(users: dict[str, User]) -> None:
    client = Client(headers={"Authorization": "Bearer tc_forged"})
    client.force_login(users["admin"])

    _assert_unauthorized(client.get(f"{BASE}/me"))


def test_session_works_for_reads(users: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="rep_east1", password=PASSWORD)

    response = client.get(f"{BASE}/me")

    assert response.status_code == 200
    assert response.json()["username"] == "rep_east1"


def test_session_write_without_csrf_token_is_refused(users: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["rep_east1"])

    response = client.post(
        f"{BASE}/customers", data={"name": "跨站"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert not Customer.objects.exists()


def test_session_write_with_csrf_token_succeeds(users: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["rep_east1"])
    client.get(f"{BASE}/me")  # any request; the token comes from the cookie jar below
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret

    response = client.post(
        f"{BASE}/customers",
        data={"name": "同站"},
        content_type="application/json",
        headers={"X-CSRFToken": _mask_cipher_secret(secret)},
    )

    assert response.status_code == 201, response.content
    assert Customer.objects.get().name == "同站"


def test_saved_language_applies_when_no_accept_language(users: dict[str, User]) -> None:
    user = users["rep_east1"]
    User.objects.filter(pk=user.pk).update(language="en")
    _token, secret = api_token_create(actor=user, user=user, name="en")

    response = _bearer(secret).get("/customers/999999")

    assert response.status_code == 404
    assert response.json()["message"] == "Not found."
    assert response["Content-Language"] == "en"


def test_default_language_is_chinese(api: Callable[..., ApiClient]) -> None:
    response = api("rep_east1").get("/customers/999999")

    assert response.json() == {"code": "not_found", "message": "未找到。"}
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9", "未找到。"),
        ("en-US,en;q=0.9", "Not found."),
        ("fr-FR, en;q=0.5", "Not found."),
        ("de-DE", "未找到。"),
    ],
)
def test_accept_language_chooses_the_message_language(
    api: Callable[..., ApiClient], header: str, expected: str
) -> None:
    response = api("rep_east1", lang=header).get("/customers/999999")

    assert response.json()["message"] == expected
