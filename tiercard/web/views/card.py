"""The customer card: its page and the parts htmx refreshes (head, facts, notes, timeline),
revealing contact data, and the purchase and interaction quick actions.

Layout (seeds 000 and 004): at the top who the customer is, the tier badge in the tier's
colour, progress to the next tier, what keeps the tier until when and how complete the card
is; in the middle one timeline; at the bottom the notes; on the side points, benefits, owner,
next follow-up, tags and the fields the tier's card template asks for.

After a quick action the parts it affects refresh: either swapped out of band in the action's
answer, or by an event the answer names in ``HX-Trigger`` (``card-changed`` refreshes the head,
``timeline-changed`` the timeline, ``loyalty-changed`` the tier and points panels).
"""

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
from django_htmx.http import trigger_client_event

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.cards.followups import next_follow_up
from tiercard.cards.models import CardNote
from tiercard.cards.notes import note_list
from tiercard.cards.templates import card_view
from tiercard.cards.timeline import KINDS, TimelineEntry, TimelinePage, card_timeline, decode_cursor
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.customers.selectors import customer_get, tag_list
from tiercard.customers.services import customer_reveal_pii
from tiercard.interactions.services import interaction_log
from tiercard.loyalty.selectors.benefits import held_discount
from tiercard.loyalty.selectors.tiers import tier_status
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.state import active_programme
from tiercard.tiers.ladder import Ladder
from tiercard.web import card_forms, display, forms, presenters
from tiercard.web import card_presenters as cp
from tiercard.web import loyalty_presenters as lp
from tiercard.web import timeline_presenters as tp
from tiercard.web.errors import web_view
from tiercard.web.requests import htmx_target, is_htmx, posted, viewer
from tiercard.web.views.service_desk import card_tickets

DETAIL = "web/customers/detail.html"
TIMELINE_PAGE = 20
PURCHASE_ROWS = 3
NOTES_SHOWN = 5
TAG_OPTIONS = 200
PARTS = {"head", "facts", "notes"}
MAIN_PANELS = ("purchases", "timeline", "notes")  # the history column; "loyalty" is aside


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


def timeline_context(
    user: User,
    customer: Customer,
    kind: str = "",
    cursor: str | None = None,
    ladder: Ladder | None = None,
) -> dict[str, Any]:
    return _timeline(user, customer, kind, cursor, ladder)[0]


def _timeline(
    user: User, customer: Customer, kind: str, cursor: str | None, ladder: Ladder | None
) -> tuple[dict[str, Any], TimelinePage]:
    """The timeline's context, and the page it was made from (for the rows it read)."""
    page = card_timeline(
        viewer=user,
        customer_id=customer.pk,
        kinds={kind} if kind else None,
        cursor=cursor,
        limit=TIMELINE_PAGE,
        in_scope=True,  # every caller passes a customer read with customer_get
    )
    more = ""
    if page.has_more and page.next_cursor is not None:
        more = urlencode({"kind": kind, "cursor": page.next_cursor})
    base = reverse("web:customer_detail", args=[customer.pk])
    if ladder is None:
        ladder = active_programme().programme.ladder
    context = {
        "entries": tp.timeline_entries(page.entries, user, ladder),
        "timeline_kind": kind,
        "timeline_kinds": [("", _("All")), *KINDS.items()],
        "timeline_paged": cursor is not None,
        "more_query": more,
        "newest_href": base + (f"?{urlencode({'kind': kind})}" if kind else "") + "#timeline",
    }
    return context, page


def _purchase_context(
    form: forms.PurchaseForm | None = None,
    lines: Sequence[forms.PurchaseLineForm] | None = None,
    *,
    discount: str = "",
) -> dict[str, Any]:
    if form is None or lines is None:
        form, lines = forms.PurchaseForm.blank(discount), forms.blank_lines(PURCHASE_ROWS)
    return {"purchase_form": form, "purchase_lines": lines, "next_line": len(lines)}


def _discount_text(user: User, customer: Customer) -> str:
    """What "apply the tier discount" takes off, e.g. "VIP级: 10% off the subtotal"."""
    held = held_discount(viewer=user, customer_id=customer.pk)
    tier = lp.localised(held.tier_name_zh, held.tier_name_en)
    if not held.percent:
        return _("%(tier)s has no discount.") % {"tier": tier}
    return _("%(tier)s: %(percent)s%% off the subtotal, instead of an order discount.") % {
        "tier": tier,
        "percent": f"{held.percent.normalize():f}",
    }


def _interaction_context(
    customer: Customer, form: forms.InteractionForm | None = None
) -> dict[str, Any]:
    return {
        "interaction_form": form or forms.InteractionForm.blank(forms.contact_choices(customer))
    }


def base_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    user = viewer(request)
    return {
        "customer": customer,
        "can": presenters.Abilities.of(user),
        "archived": presenters.is_archived(customer),
    }


def head_context(user: User, customer: Customer) -> dict[str, Any]:
    """The tier (badge, progress, what keeps it) and the template's view of the card."""
    today = business_today()
    active = active_programme()
    status = tier_status(user, customer.pk, today, in_scope=True, active=active)  # customer_get
    programme = active.programme
    view = card_view(customer=customer, tier_code=status.tier.code)
    return {
        "tier": lp.tier_panel(status, [], programme.ladder, programme.window, today),
        "ladder": programme.ladder,
        "panels": view.panels,
        # The history column's panels in the template's priority order (loyalty sits aside).
        "main_panels": [k for k in view.panel_order if k in MAIN_PANELS],
        "birthday": cp.birthday_text(customer),
        "age": cp.age_text(customer),
        "field_sections": cp.template_sections(customer, view),
        "extra_rows": cp.extra_rows(customer, view),
        "completeness": cp.completeness(customer, view),
    }


def facts_context(
    user: User,
    customer: Customer,
    owner_form: card_forms.OwnerForm | None = None,
    tag_form: card_forms.TagForm | None = None,
) -> dict[str, Any]:
    """Owner (and the form to change it), next follow-up and tags (and the tag form)."""
    today = business_today()
    context: dict[str, Any] = {
        "follow_up": next_follow_up(viewer=user, customer=customer, today=today),
        "today": today,
        "tags": list(customer.tags.all()),
        "manager_needed": cp.manager_needed_text(customer),
    }
    if policy.can_assign_owner(user):
        owners = presenters.owner_choices(user) or []
        context["owner_form"] = owner_form or card_forms.OwnerForm(
            owners=owners, initial={"owner_id": customer.owner_id or ""}
        )
    if policy.can_update_customers(user):
        context["tag_form"] = tag_form or card_forms.TagForm()
        context["tag_options"] = list(tag_list().values_list("name", flat=True)[:TAG_OPTIONS])
    return context


def notes_context(
    user: User,
    customer: Customer,
    form: card_forms.NoteForm | None = None,
    newest: list[CardNote] | None = None,
) -> dict[str, Any]:
    """``newest``: the customer's newest notes (at least ``NOTES_SHOWN + 1`` when there are
    that many) when the caller has read them already, newest first."""
    if newest is None:
        newest = list(
            note_list(viewer=user, customer_id=customer.pk, in_scope=True)[: NOTES_SHOWN + 1]
        )
    notes = newest[: NOTES_SHOWN + 1]
    return {
        "notes": tp.timeline_entries(
            [_note_entry(n) for n in notes[:NOTES_SHOWN]], user, ladder=None
        ),
        "more_notes": len(notes) > NOTES_SHOWN,
        "note_form": form or card_forms.NoteForm(),
    }


def _note_entry(note: CardNote) -> TimelineEntry:
    return TimelineEntry("note", note.created_at, "", note, actor=str(note.author or ""))


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
    head = head_context(user, customer)
    timeline, page = _timeline(user, customer, kind, cursor, head["ladder"])
    # The newest page of the timeline read the newest notes (one page plus one) already.
    newest = page.read.get("note") if cursor is None else None
    return {
        **base_context(request, customer),
        **head,
        **facts_context(user, customer),
        **notes_context(user, customer, newest=newest),
        "contact_values": cp.contact_values(customer, user, revealed),
        "revealed": revealed is not None,
        "totals": cp.totals(customer),
        "persons": cp.contact_persons(customer, user, revealed_persons),
        **card_tickets(user, customer.pk),
        **timeline,
    }


@web_view
@require_GET
def customer_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(viewer=viewer(request), customer_id=pk)
    return render(request, DETAIL, card_context(request, customer))


@web_view
@require_GET
def customer_part_view(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    """One part of the card for htmx to refresh after a change (head, facts or notes)."""
    if part not in PARTS:
        raise NotFound()
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not is_htmx(request):
        return redirect(reverse("web:customer_detail", args=[customer.pk]) + f"#card-{part}")
    context = base_context(request, customer)
    if part == "head":
        context.update(head_context(user, customer))
        context["contact_values"] = cp.contact_values(customer, user)
    elif part == "facts":
        context.update(facts_context(user, customer))
    else:
        context.update(notes_context(user, customer))
    return render(request, f"{DETAIL}#card-{part}", context)


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
    context = {"customer": customer, **timeline_context(user, customer, kind, cursor)}
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
            **base_context(request, customer),
            "contact_values": cp.contact_values(customer, user, revealed),
            "revealed": True,
        }
        return render(request, f"{DETAIL}#contact-values", context)
    return render(request, DETAIL, card_context(request, customer, revealed=revealed))


def _after_action(
    request: HttpRequest, customer_id: int, message: str, anchor: str, done: str
) -> HttpResponse:
    """htmx: a fresh form plus the refreshed totals and timeline, and the head (tier badge,
    progress) told to refresh. Otherwise back to the card."""
    if not is_htmx(request):
        messages.success(request, message)
        return redirect(reverse("web:customer_detail", args=[customer_id]) + anchor)
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=customer_id)
    context = {
        **base_context(request, customer),
        **_purchase_context(discount=_discount_text(user, customer)),
        **_interaction_context(customer),
        **timeline_context(user, customer),
        "totals": cp.totals(customer),
        "flash_message": message,
    }
    return trigger_client_event(render(request, done, context), "card-changed")


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
    discount = _discount_text(user, customer)
    if data is None:
        form, lines = forms.PurchaseForm.blank(discount), forms.blank_lines(_row_count(request))
    else:
        form = forms.PurchaseForm(data, discount=discount)
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
    context = {**base_context(request, customer), **_purchase_context(form, lines)}
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
    context = {**base_context(request, customer), **_interaction_context(customer, form)}
    if htmx_target(request) == "interaction-panel":
        return render(request, f"{DETAIL}#interaction-form", context)
    return render(request, "web/customers/interaction.html", context)
