"""The customer list and the pages that create, edit, archive and restore a card."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tiercard.accounts import policy
from tiercard.accounts.models import Role
from tiercard.core.errors import Conflict, PermissionDenied, ValidationFailed
from tiercard.customers.selectors import customer_get, customer_list
from tiercard.customers.services import (
    customer_archive,
    customer_create,
    customer_restore,
    customer_update,
)
from tiercard.web import forms, presenters
from tiercard.web.errors import web_view
from tiercard.web.requests import htmx_target, posted, viewer


@web_view
@require_GET
def customer_list_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    form = forms.CustomerFilterForm(request.GET, owners=presenters.filter_owner_choices(user))
    filters, sort, per_page = forms.customer_filters(form)
    customers = customer_list(viewer=user, filters=filters, sort=sort).prefetch_related("tags")
    page = Paginator(customers, per_page).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [presenters.CustomerRow.of(c, user) for c in page.object_list],
        "sort": sort,
        "filtered": any(
            (filters.q, filters.status, filters.kind, filters.city, filters.tag, filters.owner_id)
        ),
        "can_create": policy.can_create_customer(user),
        "own_book": user.role == Role.SALES,
    }
    template = "web/customers/list.html"
    if htmx_target(request) == "results":
        template += "#results"
    return render(request, template, context)


def _owner_field_options(request: HttpRequest) -> dict[str, Any]:
    user = viewer(request)
    if not policy.can_assign_owner(user):
        return {"owners": None}
    return {"owners": presenters.owner_choices(user), "owner_optional": user.role == Role.ADMIN}


@web_view
@require_http_methods(["GET", "POST"])
def customer_create_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not policy.can_create_customer(user):
        raise PermissionDenied()
    options = _owner_field_options(request)
    initial = {"owner_id": str(user.pk)}
    form = forms.CustomerForm(posted(request), initial=initial, **options)
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_create(actor=user, data=form.service_data())
        except ValidationFailed as error:
            forms.apply_errors(form, error.fields)
        else:
            messages.success(request, _("Customer card created."))
            return redirect("web:customer_detail", pk=customer.pk)
    return render(request, "web/customers/form.html", {"form": form, "customer": None})


@web_view
@require_http_methods(["GET", "POST"])
def customer_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not policy.can_update_customers(user):
        raise PermissionDenied()
    options = _owner_field_options(request)
    if (
        options["owners"] is not None
        and customer.owner_id
        and all(pk_ != customer.owner_id for pk_, _label in options["owners"])
    ):
        owner = (customer.owner_id, presenters.user_label(customer.owner))
        options["owners"] = [owner, *options["owners"]]
    form = forms.CustomerForm(
        posted(request),
        initial=forms.customer_initial(customer),
        editing=True,
        archived=presenters.is_archived(customer),
        **options,
    )
    status = 200
    if request.method == "POST" and form.is_valid() and not form.service_data():
        messages.info(request, _("Nothing was changed."))
        return redirect("web:customer_detail", pk=customer.pk)
    if request.method == "POST" and form.is_valid():
        try:
            customer_update(
                actor=user,
                customer_id=customer.pk,
                data=form.service_data(),
                expected_version=form.cleaned_data.get("expected_version"),
            )
        except ValidationFailed as error:
            forms.apply_errors(form, error.fields)
        except Conflict as error:
            form.add_error(None, str(error.message))
            status = 409
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:customer_detail", pk=customer.pk)
    context = {"form": form, "customer": customer, "conflict": status == 409}
    return render(request, "web/customers/form.html", context, status=status)


@web_view
@require_http_methods(["GET", "POST"])
def customer_archive_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _archive_or_restore(request, pk, archive=True)


@web_view
@require_http_methods(["GET", "POST"])
def customer_restore_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _archive_or_restore(request, pk, archive=False)


def _archive_or_restore(request: HttpRequest, pk: int, *, archive: bool) -> HttpResponse:
    """A confirmation page (GET), then the change (POST)."""
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not policy.can_archive_customers(user):
        raise PermissionDenied()
    form = forms.ArchiveForm(posted(request))
    if request.method == "POST" and form.is_valid():
        if archive:
            customer_archive(
                actor=user, customer_id=customer.pk, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("The customer was archived."))
        else:
            customer_restore(actor=user, customer_id=customer.pk)
            messages.success(request, _("The customer was restored."))
        return redirect("web:customer_detail", pk=customer.pk)
    context = {"form": form, "customer": customer, "archive": archive}
    return render(request, "web/customers/confirm_archive.html", context)
