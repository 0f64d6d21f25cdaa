"""The service desk (服务记录): the ticket queue, one ticket with its replies, and the forms that
open, answer, resolve, reopen and assign tickets.

Reads go through ``servicedesk.selectors`` (scoped: another rep's ticket is 404); writes through
``servicedesk.services``. Each action form posts to its own URL and comes back to the ticket;
a refused form is shown again on the ticket page, input kept, errors beside the fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms as djforms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.cards.loyalty_presenters import tier_label
from tiercard.core.errors import Conflict, PermissionDenied, ValidationFailed
from tiercard.customers.selectors import customer_get
from tiercard.loyalty.selectors.benefits import service_terms
from tiercard.loyalty.services.notify import mail_address
from tiercard.loyalty.services.state import active_programme
from tiercard.outbox.models import MessageStatus
from tiercard.servicedesk import services
from tiercard.servicedesk.acknowledgement import acknowledgement_status
from tiercard.servicedesk.models import ServiceTicket, TicketStatus
from tiercard.servicedesk.selectors import (
    QueueView,
    customer_tickets,
    queue_figures,
    ticket_assignees,
    ticket_detail,
    ticket_queue,
    ticket_replies,
)
from tiercard.web.errors import web_view
from tiercard.web.forms import apply_errors
from tiercard.web.paging import page_links, page_number, page_of, whole_number
from tiercard.web.requests import posted, viewer
from tiercard.web.service_forms import (
    TicketAssignForm,
    TicketOpenForm,
    TicketReopenForm,
    TicketResolveForm,
    TicketRespondForm,
)

PAGE = 50

VIEW_TABS: tuple[tuple[QueueView, str | Promise], ...] = (
    (QueueView.ACTIVE, gettext_lazy("In progress")),
    (QueueView.OPEN, gettext_lazy("Awaiting response")),
    (QueueView.OVERDUE, gettext_lazy("Overdue")),
    (QueueView.RESOLVED, gettext_lazy("Resolved")),
    (QueueView.ALL, gettext_lazy("All")),
)


@dataclass(frozen=True)
class TicketRow:
    ticket: ServiceTicket
    tier_name: str
    tier_colour: str
    overdue: bool


def _rows(tickets: list[ServiceTicket]) -> list[TicketRow]:
    ladder = active_programme().programme.ladder
    now = timezone.now()
    return [TicketRow(t, *tier_label(t.tier, ladder), overdue=t.overdue(now)) for t in tickets]


CARD_TICKETS = 5


def card_tickets(user: User, customer_id: int) -> dict[str, Any]:
    """The card's ticket panel: the newest tickets, unresolved first (one query; the card read
    the customer through the viewer's scope)."""
    found = list(
        customer_tickets(viewer=user, customer_id=customer_id, in_scope=True)[: CARD_TICKETS + 1]
    )
    return {
        "ticket_rows": _rows(found[:CARD_TICKETS]) if found else [],
        "tickets_more": len(found) > CARD_TICKETS,
        "can_open_ticket": policy.can_handle_tickets(user),
    }


def _query(view: QueueView, mine: bool, customer: Any) -> str:
    """The queue's parameters but the page, for the pages' links."""
    parts = {"view": view.value, **({"mine": "1"} if mine else {})}
    if customer is not None:
        parts["customer"] = str(customer.pk)
    return urlencode(parts)


@web_view
@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    raw_view = request.GET.get("view", "")
    view = QueueView(raw_view) if raw_view in QueueView._value2member_map_ else QueueView.ACTIVE
    mine = request.GET.get("mine") == "1"
    raw_customer = request.GET.get("customer", "")
    customer_id = whole_number(raw_customer, 18)
    customer = customer_get(viewer=user, customer_id=customer_id) if customer_id else None
    page = page_number(request.GET.get("page", ""))
    shown, has_next = page_of(
        ticket_queue(
            viewer=user, view=view, mine=mine, customer_id=customer.pk if customer else None
        ),
        page,
        PAGE,
    )
    context = {
        "rows": _rows(shown),
        "view": view.value,
        "tabs": VIEW_TABS,
        "mine": mine,
        "customer": customer,
        "pages": page_links(QueryDict(_query(view, mine, customer)), "page", page, has_next),
        "customer_param": f"&customer={customer.pk}" if customer else "",
        "figures": queue_figures(viewer=user),
    }
    return render(request, "web/service/queue.html", context)


def _assignee_choices(customer_id: int) -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in ticket_assignees(customer_id=customer_id)]


@web_view
@require_http_methods(["GET", "POST"])
def ticket_new_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    customer = customer_get(viewer=user, customer_id=pk)
    if not policy.can_handle_tickets(user):
        raise PermissionDenied()
    assignees = _assignee_choices(customer.pk) if policy.can_assign_tickets(user) else []
    data = posted(request)
    reachable = mail_address(customer.pk) is not None
    form = TicketOpenForm(data, assignees=assignees, reachable=reachable)
    status = 200
    if data is not None:
        if form.is_valid():
            try:
                ticket = services.ticket_open(
                    actor=user, customer_id=customer.pk, data=form.cleaned_data
                )
            except ValidationFailed as error:
                apply_errors(form, error.fields)
            else:
                messages.success(request, _("Ticket opened."))
                return redirect("web:service_ticket", pk=ticket.pk)
        status = 422
    context = {"customer": customer, "form": form, "terms": _terms_preview(customer.pk)}
    return render(request, "web/service/new.html", context, status=status)


def _terms_preview(customer_id: int) -> dict[str, Any]:
    """What the tier promises a ticket opened now, shown above the form."""
    terms = service_terms(customer_id=customer_id)
    name, colour = tier_label(terms.tier, active_programme().programme.ladder)
    return {"tier_name": name, "tier_colour": colour, **asdict(terms)}


def _ticket_page(
    request: HttpRequest, ticket_id: int, *, bound: djforms.Form | None = None, status: int = 200
) -> HttpResponse:
    user = viewer(request)
    ticket = ticket_detail(viewer=user, ticket_id=ticket_id)
    forms: dict[str, djforms.Form] = {
        "respond": TicketRespondForm(),
        "resolve": TicketResolveForm(),
        "reopen": TicketReopenForm(),
    }
    if policy.can_assign_tickets(user) and ticket.status != TicketStatus.RESOLVED:
        forms["assign"] = TicketAssignForm(
            initial={"assignee_id": ticket.assignee_id},
            assignees=_assignee_choices(ticket.customer_id),
        )
    if bound is not None:
        forms[_FORM_KEYS[type(bound)]] = bound
    name, colour = tier_label(ticket.tier, active_programme().programme.ladder)
    context = {
        "ticket": ticket,
        "customer": ticket.customer,
        "tier_name": name,
        "tier_colour": colour,
        "overdue": ticket.overdue(),
        "replies": list(ticket_replies(ticket=ticket)),
        "forms": forms,
        "can_handle": policy.can_handle_tickets(user),
        "acknowledgement": _acknowledgement_text(ticket.pk),
    }
    return render(request, "web/service/ticket.html", context, status=status)


def _acknowledgement_text(ticket_id: int) -> str:
    """Where the customer's acknowledgement stands; "" when none was asked for."""
    found = acknowledgement_status(ticket_id)
    if found is None:
        return ""
    status, sent_at = found
    if status == MessageStatus.SENT:
        return _("E-mailed on %(time)s") % {"time": f"{timezone.localtime(sent_at):%Y-%m-%d %H:%M}"}
    if status == MessageStatus.SKIPPED:
        return _("Not sent: the customer could not be e-mailed (no consent or no address)")
    if status == MessageStatus.FAILED:
        return _("Sending failed")
    return _("Waiting to be sent")


_FORM_KEYS: dict[type[djforms.Form], str] = {
    TicketRespondForm: "respond",
    TicketResolveForm: "resolve",
    TicketReopenForm: "reopen",
    TicketAssignForm: "assign",
}


@web_view
@require_GET
def ticket_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _ticket_page(request, pk)


def _act(request: HttpRequest, pk: int, form: djforms.Form, write: Any, done: str) -> HttpResponse:
    """Validate ``form``, run ``write(user, cleaned)``; back to the ticket, or the ticket page
    with the form refused (422) or the conflict said at the top (409)."""
    user = viewer(request)
    ticket_detail(viewer=user, ticket_id=pk)  # 404 before anything else
    if form.is_valid():
        try:
            write(user, form.cleaned_data)
        except ValidationFailed as error:
            apply_errors(form, error.fields)
        except Conflict as error:
            form.add_error(None, str(error.message))
            return _ticket_page(request, pk, bound=form, status=409)
        else:
            messages.success(request, done)
            return redirect("web:service_ticket", pk=pk)
    return _ticket_page(request, pk, bound=form, status=422)


@web_view
@require_POST
def ticket_respond_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        TicketRespondForm(request.POST),
        lambda user, data: services.ticket_respond(actor=user, ticket_id=pk, data=data),
        _("Reply logged."),
    )


@web_view
@require_POST
def ticket_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        TicketResolveForm(request.POST),
        lambda user, data: services.ticket_resolve(
            actor=user, ticket_id=pk, resolution=data["resolution"]
        ),
        _("Ticket resolved."),
    )


@web_view
@require_POST
def ticket_reopen_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        TicketReopenForm(request.POST),
        lambda user, data: services.ticket_reopen(actor=user, ticket_id=pk, reason=data["reason"]),
        _("Ticket reopened."),
    )


@web_view
@require_POST
def ticket_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = viewer(request)
    ticket = ticket_detail(viewer=user, ticket_id=pk)
    if not policy.can_assign_tickets(user):
        raise PermissionDenied()
    form = TicketAssignForm(request.POST, assignees=_assignee_choices(ticket.customer_id))
    return _act(
        request,
        pk,
        form,
        lambda u, data: services.ticket_assign(
            actor=u, ticket_id=pk, assignee_id=data["assignee_id"]
        ),
        _("Ticket assigned."),
    )
