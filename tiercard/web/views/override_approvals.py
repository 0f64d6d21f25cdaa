"""Approvals (审批): tier override requests waiting for a manager, and those decided.

Managers and administrators see the requests on the customers they see and decide those they
did not make; sales reps see theirs (and withdraw them). Service and marketing staff neither
ask nor decide: the page is not theirs. Each decision posts
to its own URL and comes back here with a message; a refused one says why at the top (the
services decide and write nothing when they refuse).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tiercard.accounts import policy
from tiercard.core.errors import Conflict, PermissionDenied, ValidationFailed
from tiercard.loyalty.selectors.override_requests import decided_requests, waiting_requests
from tiercard.loyalty.services.override_requests import (
    override_approve,
    override_reject,
    override_withdraw,
)
from tiercard.loyalty.services.state import active_programme
from tiercard.web import loyalty_forms
from tiercard.web import loyalty_presenters as lp
from tiercard.web.errors import web_view
from tiercard.web.paging import page_links, page_number, page_of
from tiercard.web.requests import viewer

PAGE = 50  # each list pages on its own: ?waiting=N, ?decided=N


@web_view
@require_GET
def approvals_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not policy.can_update_customers(user):  # who may ask or decide; service and marketing not
        raise PermissionDenied()
    ladder = active_programme().programme.ladder
    waiting_page = page_number(request.GET.get("waiting", ""))
    decided_page = page_number(request.GET.get("decided", ""))
    all_waiting = waiting_requests(viewer=user)
    waiting, waiting_more = page_of(all_waiting, waiting_page, PAGE)
    decided, decided_more = page_of(decided_requests(viewer=user), decided_page, PAGE)
    context = {
        "waiting": [lp.waiting_request_view(r, user, ladder, r.customer.name) for r in waiting],
        "waiting_count": (
            len(waiting) if waiting_page == 1 and not waiting_more else all_waiting.count()
        ),
        "waiting_pages": page_links(request.GET, "waiting", waiting_page, waiting_more),
        "decided": [(r, *lp.tier_label(r.tier, ladder)) for r in decided],
        "decided_pages": page_links(request.GET, "decided", decided_page, decided_more),
        "can_decide": policy.can_approve_overrides(user),
    }
    return render(request, "web/loyalty/approvals.html", context)


def _back(request: HttpRequest, message: str, *, error: bool = False) -> HttpResponse:
    (messages.error if error else messages.success)(request, message)
    return redirect(reverse("web:override_approvals"))


def _decision(request: HttpRequest, pk: int, approve: bool) -> HttpResponse:
    user = viewer(request)
    if not policy.can_approve_overrides(user):
        raise PermissionDenied()
    form = loyalty_forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _back(request, str(form.errors["note"][0]), error=True)
    note = form.cleaned_data["note"]
    try:
        if approve:
            override_approve(actor=user, request_id=pk, note=note)
        else:
            override_reject(actor=user, request_id=pk, note=note)
    except (ValidationFailed, Conflict) as error:
        detail = [str(m) for messages_ in error.fields.values() for m in messages_]
        return _back(request, " ".join(detail) or str(error.message), error=True)
    return _back(
        request, _("Request approved: the tier is set.") if approve else _("Request rejected.")
    )


@web_view
@require_POST
def approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, approve=True)


@web_view
@require_POST
def reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, approve=False)


@web_view
@require_POST
def withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        found = override_withdraw(actor=viewer(request), request_id=pk)
    except Conflict as error:  # decided meanwhile
        return _back(request, str(error.message), error=True)
    messages.success(request, _("Request withdrawn."))
    return redirect(reverse("web:customer_detail", args=[found.customer_id]) + "#loyalty")
