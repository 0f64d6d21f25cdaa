"""The REST API root: /api/v1/.

Authentication is a bearer API token or the browser session (with CSRF) on every operation
but the OpenAPI document and docs. Each area lives in its own module; this file wires them,
the error handlers and the response headers together.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Router

from tiercard.api import (
    card_actions,
    contacts,
    customers,
    data_exports,
    dedupe,
    imports,
    interactions,
    list_exports,
    loyalty_benefits,
    loyalty_ladders,
    loyalty_override_requests,
    loyalty_points,
    loyalty_returns,
    loyalty_rewards,
    loyalty_tiers,
    me,
    printing,
    privacy,
    purchases,
    service_tickets,
)
from tiercard.api.auth import API_AUTH
from tiercard.api.errors import error_body, install_exception_handlers
from tiercard.api.parser import DecimalJSONParser, UTF8JSONRenderer
from tiercard.core.errors import NotFound

DESCRIPTION = """\
REST API of tiercard (分级客户管理卡系统).

**Authentication**: `Authorization: Bearer tc_…` with an API token, or the browser session of
a logged-in user (unsafe methods then need the `X-CSRFToken` header).

**Errors**: every error answers `{"code", "message"}`; invalid input (422) adds `fields`,
a map of field name to messages. `code` is stable; `message` follows `Accept-Language`
(`zh-CN` by default, `en`). Records outside the caller's scope answer 404 like missing ones.

**Money** is a string with two decimals (`"1234.50"`); times are ISO 8601 with an offset.
Lists page by cursor: pass `next` back as `cursor`.
"""


class TiercardAPI(NinjaAPI):
    """NinjaAPI with the headers every API response carries and JSON 405s."""

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        # Responses carry personal data: never cache them anywhere.
        response["Cache-Control"] = "no-store"
        response["Content-Language"] = translation.get_language() or ""
        return response

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = self._json_not_allowed(pattern.callback)
        return urls

    def _json_not_allowed(self, view: Callable[..., Any]) -> Callable[..., Any]:
        """ninja answers an unsupported method with a plain-text 405; give it our shape."""

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            response = view(request, *args, **kwargs)
            if getattr(response, "status_code", None) == 405 and not response.get(
                "Content-Type", ""
            ).startswith("application/json"):
                body = error_body("method_not_allowed", _("This method is not allowed here."))
                replacement = self.create_response(request, body, status=405)
                replacement["Allow"] = response.get("Allow", "")
                return replacement
            return response

        return wrapper


api = TiercardAPI(
    title="tiercard API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=API_AUTH,
    parser=DecimalJSONParser(),
    renderer=UTF8JSONRenderer(),
)
install_exception_handlers(api)

api.add_router("", me.router)
api.add_router("", customers.router)
api.add_router("", contacts.router)
api.add_router("", purchases.router)
api.add_router("", interactions.router)
api.add_router("", service_tickets.router)
api.add_router("", card_actions.router)
api.add_router("", loyalty_returns.router)
api.add_router("", loyalty_points.router)
api.add_router("", loyalty_rewards.router)
api.add_router("", loyalty_benefits.router)
api.add_router("", loyalty_tiers.router)
api.add_router("", loyalty_override_requests.router)
api.add_router("", loyalty_ladders.router)
api.add_router("", data_exports.router)
api.add_router("", privacy.router)
api.add_router("", imports.router)
api.add_router("", dedupe.router)
api.add_router("", printing.router)
api.add_router("", list_exports.router)

# Last, so it only sees paths no operation matched: unknown routes answer our 404 shape.
fallback = Router()


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "/{path:rest}",
    auth=None,
    include_in_schema=False,
)
def unknown_route(request: HttpRequest, rest: str) -> None:
    raise NotFound()


api.add_router("", fallback)
