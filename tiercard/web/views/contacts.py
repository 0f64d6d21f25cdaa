"""Contact persons (联系人) of a customer: add, edit, remove."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tiercard.accounts import policy
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.contact_persons import (
    contact_add,
    contact_remove,
    contact_reveal_pii,
    contact_update,
)
from tiercard.customers.models import Contact, Customer
from tiercard.customers.selectors import customer_get
from tiercard.web import forms, presenters
from tiercard.web.errors import web_view
from tiercard.web.requests import is_htmx, posted, viewer
from tiercard.web.views.card import DETAIL, card_context

FORM = "web/contacts/form.html"


def _editable(request: HttpRequest, pk: int) -> Customer:
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not policy.can_update_customers(user):
        raise PermissionDenied()
    return customer


def _contact_of(customer: Customer, contact_id: int) -> Contact:
    """The contact person, only if it belongs to this (visible) customer."""
    for contact in customer.contacts.all():
        if contact.pk == contact_id:
            return contact
    raise NotFound()


def _back(customer: Customer) -> HttpResponse:
    return redirect(reverse("web:customer_detail", args=[customer.pk]) + "#contacts")


@web_view
@require_http_methods(["GET", "POST"])
def contact_new_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _editable(request, pk)
    form = forms.ContactForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            contact_add(actor=viewer(request), customer_id=customer.pk, data=form.cleaned_data)
        except ValidationFailed as error:
            forms.apply_errors(form, error.fields)
        else:
            messages.success(request, _("Contact person added."))
            return _back(customer)
    return render(request, FORM, {"form": form, "customer": customer, "contact": None})


@web_view
@require_http_methods(["GET", "POST"])
def contact_edit_view(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    customer = _editable(request, pk)
    contact = _contact_of(customer, contact_id)
    form = forms.ContactForm(posted(request), initial=forms.contact_initial(contact))
    if request.method == "POST" and form.is_valid():
        try:
            contact_update(actor=viewer(request), contact_id=contact.pk, data=form.cleaned_data)
        except ValidationFailed as error:
            forms.apply_errors(form, error.fields)
        else:
            messages.success(request, _("Contact person saved."))
            return _back(customer)
    return render(request, FORM, {"form": form, "customer": customer, "contact": contact})


@web_view
@require_http_methods(["GET", "POST"])
def contact_remove_view(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    customer = _editable(request, pk)
    contact = _contact_of(customer, contact_id)
    if request.method == "POST":
        contact_remove(actor=viewer(request), contact_id=contact.pk)
        messages.success(request, _("Contact person removed."))
        return _back(customer)
    context = {"customer": customer, "contact": contact}
    return render(request, "web/contacts/confirm_remove.html", context)


@web_view
@require_POST
def contact_reveal_view(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    """Unmask one contact person for a permitted viewer; the service logs the reveal."""
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    contact = _contact_of(customer, contact_id)
    revealed = contact_reveal_pii(actor=user, contact_id=contact.pk)
    if is_htmx(request):
        context = {
            "customer": customer,
            "can": presenters.Abilities.of(user),
            "p": presenters.contact_person(contact, user, revealed),
        }
        return render(request, f"{DETAIL}#person", context)
    context = card_context(request, customer, revealed_persons={contact.pk: revealed})
    return render(request, DETAIL, context)
