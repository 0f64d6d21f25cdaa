"""Web-edge middleware: language and time zone of pages, and the audit interface marker."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from tiercard.core.context import interface
from tiercard.core.timeutils import business_tz

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME
SUPPORTED = {code for code, _name in settings.LANGUAGES}


def _match(code: str | None) -> str | None:
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    if code in SUPPORTED:
        return code
    if code.startswith("zh"):
        return "zh-hans"
    if code.startswith("en"):
        return "en"
    return None


def _accept_language(header: str) -> str | None:
    for part in header.split(","):
        found = _match(part.split(";")[0])
        if found:
            return found
    return None


class LanguageMiddleware:
    """Chinese first: the user's saved language, else the language cookie, else 简体中文.

    A browser's Accept-Language is deliberately ignored for pages (an English-language
    browser in a Chinese shop should still get Chinese); API clients may ask for a language
    with Accept-Language, which is how they choose the language of error messages.
    Pages also show times in the business time zone (stored times are UTC); API responses
    carry aware timestamps and are left alone. Must run after AuthenticationMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        saved = _match(getattr(user, "language", "")) if user is not None else None
        if request.path.startswith("/api/"):
            lang = _accept_language(request.META.get("HTTP_ACCEPT_LANGUAGE", "")) or saved
        else:
            lang = saved or _match(request.COOKIES.get(LANGUAGE_COOKIE))
        lang = lang or settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        if request.path.startswith("/api/"):
            response = self.get_response(request)
        else:
            with timezone.override(business_tz()):
                response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


class AuditInterfaceMiddleware:
    """Marks every write made during a request with the interface it came through."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith("/api/"):
            name = "api"
        elif path.startswith("/admin/"):
            name = "admin"
        else:
            name = "web"
        with interface(name, request.META.get("REMOTE_ADDR", "")):
            response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            # Signed-in pages carry personal data: no shared or disk caches may keep them.
            response["Cache-Control"] = "private, no-store"
        return response
