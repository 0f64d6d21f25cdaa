"""One error shape for the whole API: ``{code, message}`` plus ``fields`` for invalid input.

Messages are rendered in the request's language (the web middleware activates it from
Accept-Language for /api/). Domain errors keep their stable code and HTTP status; schema
(shape) errors from pydantic become ``validation_error`` with the offending field named the
way the services name them (``lines.0.unit_price``); anything unexpected is a 500 with no
traceback in the body.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tiercard.core.errors import DomainError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("tiercard.api")


class ErrorOut(Schema):
    """Every error body. ``code`` is stable (``unauthorized``, ``permission_denied``,
    ``csrf_failed``, ``not_found``, ``conflict``, ``validation_error``, ``throttled``,
    ``server_error``…); ``message`` is for people, in the request's language; ``fields``
    (422 only) maps each invalid field to its messages."""

    code: str
    message: str
    fields: dict[str, list[str]] | None = None


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Response map entries documenting the error body for the given statuses."""
    return dict.fromkeys(sorted({401, 422, *statuses}), ErrorOut)


def error_body(
    code: str,
    message: str | Promise,
    fields: Mapping[str, Iterable[str | Promise]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = {name: [str(m) for m in msgs] for name, msgs in fields.items()}
    return body


# --- pydantic (shape) errors -------------------------------------------------------------------
# Our own translatable wording for the error types pydantic can raise on our schemas, so a
# client gets the same language for shape errors as for business errors.
_MESSAGES: dict[str, str | Promise] = {
    "missing": _("This field is required."),
    "extra_forbidden": _("Unknown field."),
    "string_type": _("Enter text."),
    "string_too_long": _("Ensure this value has at most %(max_length)s characters."),
    "string_too_short": _("Ensure this value has at least %(min_length)s characters."),
    "int_type": _("Enter a whole number."),
    "int_parsing": _("Enter a whole number."),
    "int_from_float": _("Enter a whole number."),
    "bool_type": _("Enter true or false."),
    "bool_parsing": _("Enter true or false."),
    "list_type": _("Enter a list."),
    "too_long": _("Ensure this list has at most %(max_length)s items."),
    "too_short": _("Ensure this list has at least %(min_length)s items."),
    "dict_type": _("Enter an object."),
    "model_type": _("Enter an object."),
    "model_attributes_type": _("Enter an object."),
    "greater_than_equal": _("Ensure this value is greater than or equal to %(ge)s."),
    "greater_than": _("Ensure this value is greater than %(gt)s."),
    "less_than_equal": _("Ensure this value is less than or equal to %(le)s."),
    "less_than": _("Ensure this value is less than %(lt)s."),
    "datetime_type": _("Enter a date and time such as 2024-05-01T14:30:00+08:00."),
    "datetime_parsing": _("Enter a date and time such as 2024-05-01T14:30:00+08:00."),
    "datetime_from_date_parsing": _("Enter a date and time such as 2024-05-01T14:30:00+08:00."),
    "amount_type": _('Enter an amount as text or a number, e.g. "128.50".'),
    "text_or_list_type": _("Enter text or a list of texts."),
    "literal_error": _("Choose one of: %(expected)s."),
}
_FALLBACK = _("This value is invalid.")


def _field_name(loc: Iterable[Any]) -> str:
    """``("body", "payload", "lines", 0, "unit_price")`` → ``lines.0.unit_price``."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 1 else []
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "body"


def _message(error: Mapping[str, Any]) -> str:
    template = _MESSAGES.get(str(error.get("type")), _FALLBACK)
    ctx = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(k, str)}
    try:
        return str(template) % ctx if "%(" in str(template) else str(template)
    except (KeyError, TypeError, ValueError):
        return str(_FALLBACK)


def schema_error_fields(errors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        name = _field_name(error.get("loc", ()))
        message = _message(error)
        if message not in fields.setdefault(name, []):
            fields[name].append(message)
    return fields


# --- handlers ----------------------------------------------------------------------------------


def install_exception_handlers(api: NinjaAPI) -> None:
    """Register the handlers on ``api``; the most specific class wins (MRO lookup)."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        response = api.create_response(request, body, status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="tiercard"'
        return response

    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return respond(request, exc.http_status, exc.as_dict())

    def on_schema_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = schema_error_fields(exc.errors)
        body = error_body("validation_error", _("Some fields are invalid."), fields)
        return respond(request, 422, body)

    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = _("Authentication required: send a valid API token as a Bearer token.")
        return respond(request, 401, error_body("unauthorized", message))

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, DomainError):
            # django-ninja wraps whatever the body parser raises in a 400; the parser's own
            # refusals (text holding NUL) say what is wrong with which field.
            return on_domain_error(request, exc.__cause__)
        status = exc.status_code
        if status == 400:
            body = error_body("bad_request", _("The request body is not valid JSON."))
        elif status == 403:
            body = error_body("permission_denied", _("You do not have permission to do this."))
        elif status == 429:
            body = error_body("throttled", _("Too many requests. Try again later."))
        else:
            body = error_body("http_error", str(exc))
        return respond(request, status, body)

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", _("Not found.")))

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Logged with the traceback for operators; the client only learns that it failed.
        logger.exception("Unhandled error in API %s %s", request.method, request.path)
        message = _("An unexpected error occurred. It has been logged.")
        return respond(request, 500, error_body("server_error", message))

    handlers: list[tuple[type[Exception], Any]] = [
        (DomainError, on_domain_error),
        (ValidationError, on_schema_error),
        (AuthenticationError, on_unauthenticated),
        (HttpError, on_http_error),
        (Http404, on_not_found),
        (Exception, on_unexpected),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
