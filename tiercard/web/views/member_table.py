"""The member table's actions: bulk changes, export of the current view, saved views.

Thin: each view reads the request, calls one service, and goes back to the table with a
message. The table itself is ``customers.customer_list_view``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiercard.core.errors import NotFound, ValidationFailed
from tiercard.customers.bulk import (
    BulkResult,
    customer_bulk_add_tag,
    customer_bulk_assign_owner,
    customer_bulk_set_status,
)
from tiercard.listviews.export import member_table_export
from tiercard.listviews.models import SavedView
from tiercard.listviews.selectors import saved_view_get
from tiercard.listviews.services import (
    can_share_views,
    saved_view_create,
    saved_view_delete,
    saved_view_overwrite,
    saved_view_rename,
    saved_view_set_default,
    saved_view_share,
)
from tiercard.listviews.table import TableView
from tiercard.loyalty.services.state import active_programme
from tiercard.web import bulk_confirm
from tiercard.web.downloads import stream_response
from tiercard.web.errors import web_view
from tiercard.web.member_table import MemberTableForm
from tiercard.web.presenters import filter_owner_choices
from tiercard.web.requests import viewer

MAX_QUERY = 2000


def _back(request: HttpRequest, extra: dict[str, str] | None = None) -> HttpResponse:
    """To the table, with the view the action was started from."""
    query = str(request.POST.get("query", ""))[:MAX_QUERY]
    url = reverse("web:customer_list")
    params = QueryDict(query, mutable=True)
    params.pop("cursor", None)
    for key, value in (extra or {}).items():
        params[key] = value
    return redirect(f"{url}?{params.urlencode()}" if params else url)


def _view_of(request: HttpRequest, query: str) -> TableView:
    """The table view a query string describes, read through the table's own form."""
    form = MemberTableForm(
        QueryDict(query[:MAX_QUERY]),
        ladder=active_programme().programme.ladder,
        owners=filter_owner_choices(viewer(request)),
    )
    return form.table_view()


# --- Bulk -----------------------------------------------------------------------------------


@web_view
@require_POST
def bulk_view(request: HttpRequest) -> HttpResponse:
    """Apply one bulk action to the ticked rows; errors come back as a message, and then
    nothing has changed (the services are all-or-nothing). Handing customers over and
    changing their status first show a confirmation saying how many will change; only a
    post carrying ``confirm=1`` (the confirmation's own button) changes them."""
    user = viewer(request)
    ids = request.POST.getlist("ids")
    action = request.POST.get("action", "")
    try:
        result: BulkResult
        if action in CONFIRMED_ACTIONS and request.POST.get("confirm") != "1":
            return _bulk_confirm(request, action, ids)
        if action == "owner":
            result = customer_bulk_assign_owner(
                actor=user, customer_ids=ids, owner_id=request.POST.get("owner", "")
            )
        elif action == "tag":
            result = customer_bulk_add_tag(
                actor=user, customer_ids=ids, tag=request.POST.get("tag", "")
            )
        elif action == "status":
            result = customer_bulk_set_status(
                actor=user, customer_ids=ids, status=request.POST.get("status", "")
            )
        else:
            raise ValidationFailed(fields={"action": [_("Choose what to do with the selection.")]})
    except ValidationFailed as error:
        for problems in error.fields.values():
            for problem in problems:
                messages.error(request, str(problem))
        return _back(request)
    except NotFound as error:
        if error.code != "out_of_scope":
            raise
        messages.error(
            request, _("Some selected customers are not available to you; nothing was changed.")
        )
        return _back(request)
    changed = len(result.changed)
    messages.success(
        request,
        ngettext("%(n)d customer changed.", "%(n)d customers changed.", changed) % {"n": changed},
    )
    return _back(request)


CONFIRMED_ACTIONS = ("owner", "status")


def _bulk_confirm(request: HttpRequest, action: str, ids: list[str]) -> HttpResponse:
    """The confirmation page of a bulk owner or status change; nothing is written."""
    user = viewer(request)
    if action == "owner":
        preview = bulk_confirm.owner_preview(
            actor=user, customer_ids=ids, owner_id=request.POST.get("owner", "")
        )
    else:
        preview = bulk_confirm.status_preview(
            actor=user, customer_ids=ids, status=request.POST.get("status", "")
        )
    query = str(request.POST.get("query", ""))[:MAX_QUERY]
    back = QueryDict(query, mutable=True)
    back.pop("cursor", None)
    cancel = reverse("web:customer_list") + (f"?{back.urlencode()}" if back else "")
    context = {"preview": preview, "query": query, "cancel": cancel}
    return render(request, "web/table/confirm_bulk.html", context)


# --- Export ---------------------------------------------------------------------------------


@web_view
@require_GET
def export_view(request: HttpRequest) -> HttpResponse:
    """The current view (the query string) as CSV or xlsx, streamed."""
    user = viewer(request)
    fmt = request.GET.get("format", "csv")
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("cursor", None)
    view = _view_of(request, query.urlencode())
    exported = member_table_export(actor=user, view=view, fmt=fmt)
    return stream_response(exported.chunks, exported.content_type, exported.filename)


# --- Saved views ----------------------------------------------------------------------------


def _flag(request: HttpRequest, name: str) -> bool:
    return request.POST.get(name) in {"1", "on", "true"}


@web_view
@require_POST
def view_save_view(request: HttpRequest) -> HttpResponse:
    """Save the current view under a new name, or overwrite an own view (``overwrite=<id>``)."""
    user = viewer(request)
    query = str(request.POST.get("query", ""))
    table_view = _view_of(request, query)
    overwrite = request.POST.get("overwrite", "")
    try:
        if overwrite:
            saved = saved_view_overwrite(actor=user, view_id=_id(overwrite), view=table_view)
            messages.success(request, _("View “%(name)s” updated.") % {"name": saved.name})
        else:
            saved = saved_view_create(
                actor=user,
                name=request.POST.get("name", ""),
                view=table_view,
                shared=_flag(request, "shared"),
                default=_flag(request, "default"),
            )
            messages.success(request, _("View “%(name)s” saved.") % {"name": saved.name})
    except ValidationFailed as error:
        for problems in error.fields.values():
            for problem in problems:
                messages.error(request, str(problem))
        return _back(request)
    return redirect(f"{reverse('web:customer_list')}?{urlencode({'view': saved.pk})}")


def _id(raw: object) -> int:
    text = str(raw)
    if not text.isdigit() or len(text) > 18:
        raise NotFound()
    return int(text)


@web_view
@require_http_methods(["GET", "POST"])
def views_manage_view(request: HttpRequest) -> HttpResponse:
    """The user's saved views: rename, share, make default, delete (confirmed); and the
    views others share."""
    user = viewer(request)
    errors: dict[int, str] = {}
    typed: dict[int, str] = {}
    if request.method == "POST":
        view_id = _id(request.POST.get("id", ""))
        action = request.POST.get("action", "")
        try:
            if action == "rename":
                typed[view_id] = str(request.POST.get("name", ""))
                saved_view_rename(actor=user, view_id=view_id, name=typed[view_id])
                messages.success(request, _("View renamed."))
            elif action in {"share", "unshare"}:
                saved_view_share(actor=user, view_id=view_id, shared=action == "share")
                messages.success(request, _("Sharing changed."))
            elif action in {"default", "undefault"}:
                saved_view_set_default(actor=user, view_id=view_id, default=action == "default")
                messages.success(request, _("Default view changed."))
            else:
                raise NotFound()
        except ValidationFailed as error:
            errors[view_id] = " ".join(str(m) for ms in error.fields.values() for m in ms)
        else:
            return redirect("web:table_views")
    own = SavedView.objects.filter(owner=user).order_by("name", "id")
    shared = (
        SavedView.objects.filter(shared=True)
        .exclude(owner=user)
        .select_related("owner")
        .order_by("name", "id")
    )
    context = {
        "own": [(v, errors.get(v.pk), typed.get(v.pk, v.name)) for v in own],
        "shared": list(shared),
        "can_share": can_share_views(user),
    }
    status = 422 if errors else 200
    return render(request, "web/table/views.html", context, status=status)


@web_view
@require_http_methods(["GET", "POST"])
def view_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirmation page (GET), then the deletion (POST). Only the owner gets this far."""
    user = viewer(request)
    saved = saved_view_get(viewer=user, view_id=pk)
    if saved.owner_id != user.pk:
        raise NotFound()
    if request.method == "POST":
        saved_view_delete(actor=user, view_id=saved.pk)
        messages.success(request, _("View “%(name)s” deleted.") % {"name": saved.name})
        return redirect("web:table_views")
    return render(request, "web/table/confirm_delete.html", {"saved": saved})
