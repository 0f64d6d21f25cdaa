"""数据导出: full-data exports (customers, purchases, points ledger) as CSV or xlsx.

GET without ``kind`` shows the choices; GET with them validates and streams the file (a
download is a read, so it is a GET a browser can repeat; the audit row is written when it
starts). Bad choices re-render the page with the errors beside the fields (422).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from tiercard.core.errors import PermissionDenied, ValidationFailed
from tiercard.customers import masking
from tiercard.customers.models import CustomerStatus
from tiercard.loyalty.services.state import active_programme
from tiercard.privacy.full_export import clean_request, full_data_export, tier_names
from tiercard.privacy.policy import can_export_full_data
from tiercard.web.downloads import stream_response
from tiercard.web.errors import web_view
from tiercard.web.requests import viewer

FIELDS = ("kind", "format", "date_from", "date_to", "status", "tier")


class DataExportForm(forms.Form):
    """Only the shape; ``privacy.full_export.clean_request`` decides what is valid."""

    # Plain text fields with choice widgets: the form checks no values of its own, so each
    # error is the service's, shown once.
    kind = forms.CharField(
        label=_("What"),
        widget=forms.RadioSelect(
            choices=[
                ("customers", _("Customers: every card field, contacts, tags, tier and points")),
                ("purchases", _("Purchases: one row per purchase line")),
                ("points", _("Points ledger: every entry with the balance after it")),
            ]
        ),
        initial="customers",
    )
    format = forms.CharField(
        label=_("Format"),
        widget=forms.RadioSelect(
            choices=[("xlsx", _("Excel (xlsx)")), ("csv", _("CSV (UTF-8, opens in Excel)"))]
        ),
        initial="xlsx",
    )
    date_from = forms.CharField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Purchases and points: first day included."),
    )
    date_to = forms.CharField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Purchases and points: last day included."),
    )
    status = forms.CharField(label=_("Status"), required=False, widget=forms.Select)
    tier = forms.CharField(label=_("Tier"), required=False, widget=forms.Select)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ladder = active_programme().programme.ladder
        status, tier = self.fields["status"].widget, self.fields["tier"].widget
        assert isinstance(status, forms.Select) and isinstance(tier, forms.Select)
        status.choices = [("", _("Any status")), *CustomerStatus.choices]
        tier.choices = [("", _("Any tier")), *tier_names(ladder).items()]
        self.fields["status"].help_text = _("Customers only.")
        self.fields["tier"].help_text = _("Customers only.")


def _page(request: HttpRequest, form: DataExportForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "masked": masking.masks_for(viewer(request))}
    return render(request, "web/privacy/exports.html", context, status=status)


@web_view
@require_GET
def data_exports_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not can_export_full_data(user):
        raise PermissionDenied(_("Your role may not export customer data."))
    if "kind" not in request.GET:
        return _page(request, DataExportForm())
    form = DataExportForm(request.GET)
    form.is_valid()  # shape only; the values are checked by the service below
    raw = {name: request.GET.get(name, "") for name in FIELDS}
    try:
        kind, fmt, filters = clean_request(raw["kind"], raw["format"], raw)
        exported = full_data_export(actor=user, kind=kind, fmt=fmt, filters=filters)
    except ValidationFailed as error:
        for name, messages in error.fields.items():
            form.add_error(name if name in form.fields else None, [str(m) for m in messages])
        return _page(request, form, status=422)
    return stream_response(exported.chunks, exported.content_type, exported.filename)
