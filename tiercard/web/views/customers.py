"""The customer list and the pages that create, edit, archive and restore a card."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tiercard.accounts import policy
from tiercard.accounts.models import Role, User
from tiercard.cards.account_manager import card_update
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.bulk import BULK_STATUSES
from tiercard.customers.selectors import customer_get
from tiercard.customers.services import (
    customer_archive,
    customer_create,
    customer_restore,
)
from tiercard.listviews.export import can_export_member_table
from tiercard.listviews.models import SavedView
from tiercard.listviews.selectors import saved_views_for
from tiercard.listviews.services import can_share_views
from tiercard.listviews.table import (
    COLUMNS,
    Cursor,
    TableView,
    available_columns,
    table_count,
    table_page,
)
from tiercard.loyalty.services.state import active_programme
from tiercard.web import forms, member_table, presenters
from tiercard.web.errors import web_view
from tiercard.web.requests import htmx_target, posted, viewer
from tiercard.web.views.dedupe import created, possible_duplicates


@web_view
@require_GET
def customer_list_view(request: HttpRequest) -> HttpResponse:
    """The member table (会员客户分级管理表格): see ``tiercard.listviews.table``.

    Without parameters it opens the user's default view; ``?view=<id>`` opens a saved view
    (own or shared), and any other parameter given with it overrides that part of the view.
    """
    user = viewer(request)
    programme = active_programme().programme
    ladder = programme.ladder
    saved = list(saved_views_for(user))
    current = _chosen_view(request, user, saved)
    data: QueryDict = request.GET
    if current is not None:
        data = member_table.overlay(
            member_table.view_query(TableView.from_dict(current.state)), request.GET
        )
    owners = presenters.filter_owner_choices(user)
    form = member_table.MemberTableForm(data, ladder=ladder, owners=owners)
    view = form.table_view()
    token = request.GET.get("cursor", "")
    cursor = Cursor.decode(token, view.sort) if token else None
    page = table_page(user, view, cursor, ladder=ladder)
    count, capped = table_count(user, view.filters, ladder=ladder)
    window_months = programme.window.months
    badges = member_table.tier_badges(ladder)
    # Every column named, shown or not (the template switches on it; a missing key was a
    # failed lookup, an exception and a debug log call, per use).
    shown = {c.key: c.key in view.columns for c in COLUMNS}
    context = {
        "form": form,
        "view": view,
        "columns": [c for c in COLUMNS if c.key in view.columns],
        "show": shown,
        "page": page,
        "rows": member_table.member_rows(
            page.rows, user, badges, window_months, tag_query=_without(data, "tag"), shown=shown
        ),
        "count": count,
        "capped": capped,
        "sort": view.sort,
        "filtered": view.filters.active,
        "saved_views": saved,
        "current_view": current,
        "query": _view_querystring(data),
        "can_create": policy.can_create_customer(user),
        "can_share": can_share_views(user),
        "can_export": can_export_member_table(user),
        "bulk": _bulk_abilities(user, owners),
        "own_book": user.role == Role.SALES,
        "window_months": window_months,
        "all_columns": available_columns(),
        "htmx": htmx_target(request) == "results",
    }
    template = "web/customers/list.html"
    if htmx_target(request) == "results":
        template += "#results"
    return render(request, template, context)


def _chosen_view(request: HttpRequest, user: User, saved: list[SavedView]) -> SavedView | None:
    """The saved view the request opens: ``?view=``, or the default when nothing is asked."""
    wanted = request.GET.get("view")
    if wanted:
        found = next((v for v in saved if str(v.pk) == wanted), None)
        if found is None:
            raise NotFound()
        return found
    if any(key in request.GET for key in member_table.VIEW_KEYS):
        return None
    return next((v for v in saved if v.owner_id == user.pk and v.is_default), None)


def _view_querystring(data: QueryDict) -> str:
    """The current view as a query string (for export links and saving the view)."""
    query = QueryDict(mutable=True)
    for key in member_table.VIEW_KEYS:
        if key in data:
            query.setlist(key, [v for v in data.getlist(key) if v != ""])
    return query.urlencode()


def _without(data: QueryDict, key: str) -> str:
    """The view's query string without ``key``, ready for ``key=…`` to be appended."""
    query = QueryDict(_view_querystring(data), mutable=True)
    query.pop(key, None)
    text = query.urlencode()
    return f"{text}&" if text else ""


def _bulk_abilities(user: User, filter_owners: list[tuple[int, str]]) -> dict[str, Any]:
    """What the bulk bar offers. Those who may hand customers over (admins, managers) filter
    by exactly the owners they may assign (``accounts.selectors``), so that list is reused."""
    return {
        "any": policy.can_update_customers(user),
        "owners": filter_owners if policy.can_assign_owner(user) else None,
        "statuses": [(s.value, s.label) for s in BULK_STATUSES],
    }


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
    duplicates: list[Any] = []
    # Possible duplicates among the user's own scope first; "create anyway" skips this.
    if request.method == "POST" and form.is_valid() and not request.POST.get("ignore_duplicates"):
        duplicates = possible_duplicates(user, form.service_data())
    if request.method == "POST" and form.is_valid() and not duplicates:
        try:
            customer = customer_create(actor=user, data=form.service_data())
        except ValidationFailed as error:
            forms.apply_errors(form, error.fields)
        else:
            created(customer.pk)
            messages.success(request, _("Customer card created."))
            return redirect("web:customer_detail", pk=customer.pk)
    context = {"form": form, "customer": None, "duplicates": duplicates}
    return render(request, "web/customers/form.html", context)


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
            card_update(
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
