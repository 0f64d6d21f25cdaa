"""The customer card: its page, the timeline, revealing contact data and the quick actions
(record a purchase, log an interaction) that work with and without htmx."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.cards.timeline import KINDS, card_timeline, decode_cursor
from tiercard.core.errors import PermissionDenied, ValidationFailed
from tiercard.customers.models import Customer
from tiercard.customers.selectors import customer_get
from tiercard.customers.services import customer_reveal_pii
from tiercard.interactions.services import interaction_log
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.web import display, forms, presenters
from tiercard.web.errors import web_view
from tiercard.web.requests import htmx_target, is_htmx, posted, viewer

DETAIL = "web/customers/detail.html"
TIMELINE_PAGE = 20
PURCHASE_ROWS = 3


def _timeline_args(request: HttpRequest) -> tuple[str, str | None]:
    kind = request.GET.get("kind", "")
    if kind not in KINDS:
        kind = ""
    cursor = request.GET.get("cursor", "")[:80]
    try:
        decode_cursor(cursor)
    except ValidationFailed:
        cursor = ""  # a hand-edited link shows the newest page instead of an error
    return kind, cursor or None


def _timeline_context(
    user: User, customer: Customer, kind: str = "", cursor: str | None = None
) -> dict[str, Any]:
    page = card_timeline(
        viewer=user,
        customer_id=customer.pk,
        kinds={kind} if kind else None,
        cursor=cursor,
        limit=TIMELINE_PAGE,
    )
    more = ""
    if page.has_more and page.next_cursor is not None:
        more = urlencode({"kind": kind, "cursor": page.next_cursor})
    base = reverse("web:customer_detail", args=[customer.pk])
    return {
        "entries": presenters.timeline_entries(page.entries, user),
        "timeline_kind": kind,
        "timeline_kinds": [("", _("All")), *KINDS.items()],
        "timeline_paged": cursor is not None,
        "more_query": more,
        "newest_href": base + (f"?{urlencode({'kind': kind})}" if kind else "") + "#timeline",
    }


def _purchase_context(
    form: forms.PurchaseForm | None = None,
    lines: Sequence[forms.PurchaseLineForm] | None = None,
) -> dict[str, Any]:
    if form is None or lines is None:
        form, lines = forms.PurchaseForm.blank(), forms.blank_lines(PURCHASE_ROWS)
    return {"purchase_form": form, "purchase_lines": lines, "next_line": len(lines)}


def _interaction_context(
    customer: Customer, form: forms.InteractionForm | None = None
) -> dict[str, Any]:
    return {
        "interaction_form": form or forms.InteractionForm.blank(forms.contact_choices(customer))
    }


def _base_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    user = viewer(request)
    return {
        "customer": customer,
        "can": presenters.Abilities.of(user),
        "archived": presenters.is_archived(customer),
    }


def card_context(
    request: HttpRequest,
    customer: Customer,
    *,
    revealed: dict[str, list[str]] | None = None,
    revealed_persons: dict[int, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Everything the card page shows (with some contact data unmasked after a reveal)."""
    user = viewer(request)
    kind, cursor = _timeline_args(request) if request.method == "GET" else ("", None)
    return {
        **_base_context(request, customer),
        "contact_values": presenters.contact_values(customer, user, revealed),
        "revealed": revealed is not None,
        "sections": presenters.card_sections(customer),
        "totals": presenters.totals(customer),
        "persons": presenters.contact_persons(customer, user, revealed_persons),
        "birthday": presenters.birthday_text(customer),
        "age": presenters.age_text(customer),
        **_purchase_context(),
        **_interaction_context(customer),
        **_timeline_context(user, customer, kind, cursor),
    }


@web_view
@require_GET
def customer_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(viewer=viewer(request), customer_id=pk)
    return render(request, DETAIL, card_context(request, customer))


@web_view
@require_GET
def customer_timeline_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Timeline fragments for htmx: a filtered timeline, or the next page of entries."""
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not is_htmx(request):
        query = request.GET.urlencode()
        url = reverse("web:customer_detail", args=[customer.pk])
        return redirect(f"{url}?{query}#timeline" if query else f"{url}#timeline")
    kind, cursor = _timeline_args(request)
    context = {"customer": customer, **_timeline_context(user, customer, kind, cursor)}
    partial = "timeline-page" if cursor is not None else "timeline"
    return render(request, f"{DETAIL}#{partial}", context)


@web_view
@require_POST
def customer_reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show unmasked contact data to a permitted viewer; the service logs every reveal."""
    user = viewer(request)
    revealed = customer_reveal_pii(actor=user, customer_id=pk)
    customer = customer_get(viewer=user, customer_id=pk)
    if is_htmx(request):
        context = {
            **_base_context(request, customer),
            "contact_values": presenters.contact_values(customer, user, revealed),
            "revealed": True,
        }
        return render(request, f"{DETAIL}#contact-values", context)
    return render(request, DETAIL, card_context(request, customer, revealed=revealed))


def _after_action(
    request: HttpRequest, customer_id: int, message: str, anchor: str, done: str
) -> HttpResponse:
    """htmx: a fresh form plus the refreshed totals and timeline. Otherwise back to the card."""
    if not is_htmx(request):
        messages.success(request, message)
        return redirect(reverse("web:customer_detail", args=[customer_id]) + anchor)
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=customer_id)
    context = {
        **_base_context(request, customer),
        **_purchase_context(),
        **_interaction_context(customer),
        **_timeline_context(user, customer),
        "totals": presenters.totals(customer),
        "flash_message": message,
    }
    return render(request, done, context)


def _row_count(request: HttpRequest) -> int:
    """Line rows for a blank purchase form; ``?rows=N`` is the no-JS "add a line"."""
    try:
        rows = int(request.GET.get("rows", PURCHASE_ROWS))
    except ValueError:
        rows = PURCHASE_ROWS
    return max(1, min(rows, forms.MAX_PURCHASE_ROWS))


@web_view
@require_http_methods(["GET", "POST"])
def purchase_new_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not policy.can_record_purchase(user):
        raise PermissionDenied()
    data = posted(request)
    if data is None:
        form, lines = forms.PurchaseForm.blank(), forms.blank_lines(_row_count(request))
    else:
        form = forms.PurchaseForm(data)
        lines = forms.bound_lines(data, minimum=1)
        if all([form.is_valid(), *(line.is_valid() for line in lines)]):
            payload, rows = forms.purchase_data(form, lines)
            try:
                recorded = purchase_record(actor=user, customer_id=customer.pk, data=payload)
            except ValidationFailed as error:
                forms.apply_purchase_errors(form, lines, rows, error.fields)
            else:
                amount = display.money(recorded.purchase.total)
                message = (
                    _("Purchase of %(amount)s recorded.") % {"amount": amount}
                    if recorded.created
                    else _("This purchase was already recorded; it was not added again.")
                )
                return _after_action(
                    request, customer.pk, message, "#timeline", "web/customers/_recorded.html"
                )
    context = {**_base_context(request, customer), **_purchase_context(form, lines)}
    if htmx_target(request) == "purchase-panel":
        return render(request, f"{DETAIL}#purchase-form", context)
    return render(request, "web/customers/purchase.html", context)


@web_view
@require_GET
def purchase_line_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One more blank line row for the purchase form (htmx)."""
    customer = customer_get(viewer=viewer(request), customer_id=pk)
    try:
        index = min(int(request.GET.get("index", "0")), forms.MAX_PURCHASE_ROWS - 1)
    except ValueError:
        index = 0
    context = {
        "customer": customer,
        "line": forms.blank_lines(1, start=index)[0],
        "next_line": index + 1,
        "oob": True,
    }
    return render(request, f"{DETAIL}#purchase-line-added", context)


@web_view
@require_http_methods(["GET", "POST"])
def interaction_new_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not policy.can_log_interaction(user):
        raise PermissionDenied()
    contacts = forms.contact_choices(customer)
    data = posted(request)
    if data is None:
        form = forms.InteractionForm.blank(contacts)
    else:
        form = forms.InteractionForm(data, contacts=contacts)
        if form.is_valid():
            try:
                interaction_log(actor=user, customer_id=customer.pk, data=form.cleaned_data)
            except ValidationFailed as error:
                forms.apply_errors(form, error.fields)
            else:
                return _after_action(
                    request,
                    customer.pk,
                    _("Interaction logged."),
                    "#timeline",
                    "web/customers/_logged.html",
                )
    context = {**_base_context(request, customer), **_interaction_context(customer, form)}
    if htmx_target(request) == "interaction-panel":
        return render(request, f"{DETAIL}#interaction-form", context)
    return render(request, "web/customers/interaction.html", context)
