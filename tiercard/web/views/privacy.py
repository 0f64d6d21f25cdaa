"""A customer's rights requests on the card: a copy of their data, and erasure.

Both start with a confirmation page (GET) and act on POST. Out-of-scope customers are 404,
roles without the right 403, before anything is shown.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from tiercard.core.errors import Conflict, PermissionDenied, ValidationFailed
from tiercard.customers.selectors import customer_get
from tiercard.privacy.erasure import check_confirmation, customer_erase
from tiercard.privacy.policy import can_erase_customer, can_export_personal_data
from tiercard.privacy.subject_export import personal_data_export
from tiercard.web.downloads import stream_response
from tiercard.web.errors import web_view
from tiercard.web.requests import posted, viewer


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,  # the service says when it is missing, in its own words
        help_text=_("E.g. the request's reference and date. Do not repeat personal data here."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    confirm = forms.CharField(
        label=_("Customer number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


@web_view
@require_http_methods(["GET", "POST"])
def personal_data_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what the copy holds; POST: the zip (JSON + xlsx), audit-logged."""
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not can_export_personal_data(user):
        raise PermissionDenied(_("Your role may not export a customer's personal data."))
    if request.method == "GET":
        return render(request, "web/privacy/personal_data.html", {"customer": customer})
    exported = personal_data_export(actor=user, customer_id=customer.pk)
    return stream_response(exported.chunks, exported.content_type, exported.filename)


@web_view
@require_http_methods(["GET", "POST"])
def erase_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the consequences and the form; POST: erase when the typed number matches."""
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not can_erase_customer(user):
        raise PermissionDenied()
    form = EraseForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            check_confirmation(customer.pk, form.cleaned_data["confirm"])
            customer_erase(actor=user, customer_id=customer.pk, reason=form.cleaned_data["reason"])
        except ValidationFailed as error:
            for name, errors in error.fields.items():
                form.add_error(name if name in form.fields else None, [str(m) for m in errors])
            status = 422
        except Conflict as error:
            form.add_error(None, str(error.message))
            status = 409
        else:
            messages.success(
                request,
                gettext("The customer's personal data was erased. Purchases and points stay."),
            )
            return redirect("web:customer_detail", pk=customer.pk)
    context = {"customer": customer, "form": form}
    return render(request, "web/privacy/erase.html", context, status=status)
