"""Small helpers about the request a view is answering."""

from __future__ import annotations

from django.http import HttpRequest, QueryDict

from tiercard.accounts.models import User
from tiercard.core.errors import NotFound


def viewer(request: HttpRequest) -> User:
    """The signed-in user. Only called behind ``web_view``, which requires a login."""
    user = request.user
    if not isinstance(user, User):  # pragma: no cover - web_view guarantees it
        raise NotFound()
    return user


def posted(request: HttpRequest) -> QueryDict | None:
    """The POST data to bind a form to, or None on GET (an empty POST still binds)."""
    return request.POST if request.method == "POST" else None


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def htmx_target(request: HttpRequest) -> str:
    """The id of the element an htmx request will swap into ("" when not htmx)."""
    details = getattr(request, "htmx", None)
    return str(getattr(details, "target", "") or "") if details else ""
