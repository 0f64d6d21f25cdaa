"""Who is calling: a bearer API token, or the Django session of a same-site browser.

- ``Authorization: Bearer tc_…`` is checked by ``accounts.services.api_token_authenticate``
  (revoked, expired and inactive users are refused). When the header is present it alone
  decides: a bad token is 401 even if the browser also carries a session.
- A logged-in session is accepted only with a valid CSRF token on unsafe methods, because a
  cookie is sent by the browser on cross-site requests too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from tiercard.accounts.models import User
from tiercard.accounts.policy import is_active
from tiercard.accounts.services import api_token_authenticate
from tiercard.core.errors import PermissionDenied


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"
    default_message = _("CSRF check failed. Reload the page and try again.")


def _use_saved_language(request: HttpRequest, user: User) -> None:
    """An API client that names no language gets the one saved for its user."""
    if request.headers.get("Accept-Language") or not user.language:
        return
    translation.activate(user.language)
    request.LANGUAGE_CODE = user.language


class BearerToken(HttpBearer):
    """``Authorization: Bearer tc_…`` — an API token issued by ``api_token_create``."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(token.strip())
        if user is not None:
            _use_saved_language(request, user)
        return user


class SessionWithCsrf(APIKeyCookie):
    """The Django session, with CSRF enforced on unsafe methods.

    Unlike ninja's stock cookie auth, the CSRF check runs only when a session user is
    present, so an anonymous request gets 401 rather than a CSRF failure.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        if "Authorization" in request.headers:
            return None  # the bearer scheme decides alone
        user = getattr(request, "user", None)
        if user is None or not is_active(user):
            return None
        if check_csrf(request) is not None:
            raise CsrfFailed()
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None  # unused: __call__ decides  # pragma: no cover


def viewer(request: HttpRequest) -> User:
    """The authenticated user of an API request (set by ninja from the auth callbacks)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):  # pragma: no cover - auth runs before every operation
        raise PermissionDenied()
    return user


API_AUTH = [BearerToken(), SessionWithCsrf()]
