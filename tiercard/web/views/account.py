"""Sign-in pages and the language switch."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tiercard.accounts.models import User
from tiercard.accounts.services import user_set_language
from tiercard.core.errors import ValidationFailed
from tiercard.web.forms import LanguageForm, ThrottledAuthenticationForm

LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    authentication_form = ThrottledAuthenticationForm


class LogoutView(auth_views.LogoutView):
    pass


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: saved on the user (if signed in) and in a cookie."""
    form = LanguageForm(request.POST)
    form.is_valid()
    language = form.cleaned_data.get("language", "")
    target = form.cleaned_data.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:customer_list")
    response = HttpResponseRedirect(target)
    if isinstance(request.user, User):
        try:
            user_set_language(user=request.user, language=language)
        except ValidationFailed as error:
            messages.error(request, str(error.message))
            return response
    elif language not in dict(settings.LANGUAGES):
        return response
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response
