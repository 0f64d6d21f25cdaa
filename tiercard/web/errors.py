"""The one place where domain errors become HTTP responses for the web interface.

Views call services and selectors and let :class:`DomainError` propagate; :func:`web_view`
turns it into a page (or, for htmx, a message swapped into the page's flash area):

- ``NotFound`` → 404 (also for records outside the viewer's scope, so ids cannot be probed);
- ``PermissionDenied`` → 403; ``Conflict`` → 409; anything else → its ``http_status``.

Form views catch ``ValidationFailed`` and ``Conflict`` themselves to show them beside the
fields; everything else ends here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from tiercard.core.errors import DomainError
from tiercard.web.requests import is_htmx

View = Callable[..., HttpResponse]


def error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    status = error.http_status
    context = {"error": error, "status": status}
    if is_htmx(request):
        response = render(request, "web/error.html#error-message", context, status=status)
        return reswap(retarget(response, "#flash"), "innerHTML")
    return render(request, "web/error.html", context, status=status)


def web_view(view: View) -> View:
    """Login required, and domain errors mapped to responses (see the module docstring)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _to_login(request)
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            return error_response(request, error)

    return wrapped


def _to_login(request: HttpRequest) -> HttpResponse:
    if is_htmx(request):
        # A fragment request after the session expired: send the whole page to the login.
        current = request.headers.get("HX-Current-URL", "") or request.get_full_path()
        response = redirect_to_login(current, resolve_url(settings.LOGIN_URL))
        return HttpResponseClientRedirect(response["Location"])
    return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
