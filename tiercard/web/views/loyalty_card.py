"""The loyalty section of the customer card: tier, points and benefits panels, and their quick
actions (redeem points, record a return, adjust points, override the tier, use a benefit).

The card page loads the section with one htmx request (``loyalty_panels_view``), so the card
itself stays as cheap as before; without JavaScript the same section is a page of its own.
Every action answers an htmx request with the refreshed section (retargeted to ``#loyalty``)
and a message, or with its own form and the errors beside the fields; without htmx it
redirects back, or shows the form with its errors on the section's page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.loyalty.selectors.tiers import tier_on
from tiercard.loyalty.services.benefits import benefit_use
from tiercard.loyalty.services.checkout import purchase_return
from tiercard.loyalty.services.override_requests import override_request
from tiercard.loyalty.services.overrides import tier_override
from tiercard.loyalty.services.points import points_adjust
from tiercard.loyalty.services.points_corrections import points_adjust_reverse
from tiercard.loyalty.services.rewards import points_redeem
from tiercard.loyalty.services.state import active_programme
from tiercard.web import display, loyalty_forms, presenters
from tiercard.web import loyalty_presenters as lp
from tiercard.web.errors import web_view
from tiercard.web.forms import apply_errors
from tiercard.web.requests import htmx_target, is_htmx, posted, viewer
from tiercard.web.views import loyalty_context as lc

PANELS = "web/loyalty/panels.html"
PAGE = "web/loyalty/card.html"


def _section(request: HttpRequest, customer: Customer, **forms: Any) -> dict[str, Any]:
    return lc.section_context(viewer(request), customer, **forms)


@web_view
@require_GET
def loyalty_panels_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole loyalty section: a fragment for htmx, a page otherwise."""
    customer = lc.customer_of(viewer(request), pk)
    context = _section(request, customer)
    if is_htmx(request):
        return render(request, f"{PANELS}#loyalty", context)
    return render(request, PAGE, context)


@web_view
@require_GET
def tier_on_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The tier the customer held at the end of a past business day (``?date=YYYY-MM-DD``)."""
    user = viewer(request)
    customer = lc.customer_of(user, pk)
    form = loyalty_forms.TierOnForm(request.GET or None, today=business_today())
    answer = None
    if form.is_valid():
        day = form.cleaned_data["date"]
        code = tier_on(user, customer.pk, day)
        name, colour = lp.tier_label(code, active_programme().programme.ladder)
        answer = {"date": day, "name": name, "colour": colour}
    if is_htmx(request):
        context = {"customer": customer, "tier_on_form": form, "tier_on": answer}
        return render(request, f"{PANELS}#tier-on", context)
    context = {**_section(request, customer, tier_on_form=form), "tier_on": answer}
    return render(request, PAGE, context)


def _done(
    request: HttpRequest, customer: Customer, message: str, tone: str = "success"
) -> HttpResponse:
    """After an action: the refreshed section and a message (htmx), or back to the card."""
    if not is_htmx(request):
        (messages.success if tone == "success" else messages.error)(request, message)
        return redirect(reverse("web:customer_detail", args=[customer.pk]) + "#loyalty")
    context = {**_section(request, customer), "flash_message": message, "flash_tone": tone}
    response = render(request, "web/loyalty/_done.html", context)
    # The card's timeline lists points movements and tier changes: it reloads itself.
    response = trigger_client_event(response, "timeline-changed")
    if tone == "success":
        response = trigger_client_event(response, "card-changed")  # tier badge, progress
    return reswap(retarget(response, "#loyalty"), "outerHTML")


def _with_errors(
    request: HttpRequest, customer: Customer, name: str, form: Any, status: int = 200
) -> HttpResponse:
    """The action's form with its errors: only the form for htmx, else the section's page."""
    context = _section(request, customer, **{f"{name}_form": form})
    if htmx_target(request) == f"{name}-panel":
        return render(request, f"{PANELS}#{name}-form", context, status=status)
    return render(request, PAGE, context, status=status)


def _acting(
    request: HttpRequest, pk: int, allowed: Callable[[User], bool]
) -> tuple[User, Customer]:
    """The viewer and the customer, in scope (else 404), holding the action's right (else 403).

    Each action then binds its form to ``posted(request)``, so a GET shows it blank and only a
    valid POST reaches the service.
    """
    user = viewer(request)
    customer = lc.customer_of(user, pk)
    if not allowed(user):
        raise PermissionDenied()
    return user, customer


# --- Redeem -----------------------------------------------------------------------------------

REWARD_CODES = {
    "reward_not_found",
    "reward_inactive",
    "reward_not_started",
    "reward_expired",
    "tier_too_low",
    "out_of_stock",
}


@web_view
@require_http_methods(["GET", "POST"])
def redeem_view(request: HttpRequest, pk: int) -> HttpResponse:
    user, customer = _acting(request, pk, policy.can_record_purchase)
    form = loyalty_forms.RedeemForm.blank(data=posted(request), rewards=lc.reward_choices_for(user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            redemption = points_redeem(
                actor=user,
                customer_id=customer.pk,
                reward_code=data["reward"],
                quantity=data["quantity"],
                key=data["key"],
            )
        except (ValidationFailed, Conflict, NotFound) as error:
            if isinstance(error, NotFound) and error.code not in REWARD_CODES:
                raise
            _redeem_errors(form, error)
        else:
            reward = redemption.reward
            message = _("Redeemed %(quantity)d × %(reward)s for %(points)s points.") % {
                "quantity": redemption.quantity,
                "reward": lp.localised(reward.name_zh, reward.name_en),
                "points": lp.points_text(redemption.points),
            }
            if redemption.coupon_code:
                message += " " + _("Coupon code: %(code)s") % {"code": redemption.coupon_code}
            return _done(request, customer, message)
    return _with_errors(request, customer, "redeem", form)


def _redeem_errors(
    form: loyalty_forms.RedeemForm, error: ValidationFailed | Conflict | NotFound
) -> None:
    """Each problem beside the field it is about; a reused key (hidden) at the top."""
    if error.code in REWARD_CODES:
        form.add_error("reward", str(error.message))
    elif error.code == "insufficient_points":
        form.add_error("quantity", str(error.message))
    elif "quantity" in error.fields:
        apply_errors(form, {"quantity": error.fields["quantity"]})
    else:
        form.add_error(None, str(error.message))


# --- Return -----------------------------------------------------------------------------------


@web_view
@require_http_methods(["GET", "POST"])
def return_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the return form, for the purchase picked in the list (``?purchase=``)."""
    user, customer = _acting(request, pk, policy.can_record_purchase)
    purchases = lc.recent_purchases(user, customer.pk)
    choices = lc.purchase_choices(purchases)
    picked = next((p for p in purchases if str(p.pk) == request.GET.get("purchase")), None)
    initial = {}
    if picked is not None:  # what is left of it to return, as the amount offered
        initial = {"purchase": picked.pk, "amount": str(picked.total - picked.returned_amount)}
    form = loyalty_forms.ReturnForm.blank(choices, data=posted(request), **initial)
    if form.is_valid():
        try:
            recorded = purchase_return(
                actor=user, purchase_id=form.cleaned_data["purchase"], data=form.service_data()
            )
        except ValidationFailed as error:
            loyalty_forms.refused(form, error)
        except Conflict as error:
            form.add_error("amount", str(error.message))
        else:
            amount = display.money(recorded.purchase_return.amount)
            message = (
                _("Return of %(amount)s recorded.") % {"amount": amount}
                if recorded.created
                else _("This return was already recorded; it was not added again.")
            )
            return _done_with_totals(request, customer, message)
    return _with_errors(request, customer, "return", form)


def _done_with_totals(request: HttpRequest, customer: Customer, message: str) -> HttpResponse:
    """A return also lowers the card's totals: refresh them out of band."""
    response = _done(request, customer, message)
    if is_htmx(request):
        fresh = lc.customer_of(viewer(request), customer.pk)
        totals = render(
            request,
            "web/customers/detail.html#totals",
            {"totals": presenters.totals(fresh), "oob": True},
        )
        response.content += totals.content
    return response


# --- Adjust -----------------------------------------------------------------------------------


@web_view
@require_http_methods(["GET", "POST"])
def adjust_view(request: HttpRequest, pk: int) -> HttpResponse:
    user, customer = _acting(request, pk, policy.can_adjust_points)
    form = loyalty_forms.AdjustForm.blank(data=posted(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = points_adjust(
                actor=user,
                customer_id=customer.pk,
                points=data["points"],
                reason=data["reason"],
                key=data["key"],
            )
        except ValidationFailed as error:
            loyalty_forms.refused(form, error)
        except Conflict as error:
            form.add_error("points", str(error.message))
        else:
            message = _("Points adjusted by %(points)s; the balance is now %(balance)s.") % {
                "points": lp.signed_points(entry.points),
                "balance": lp.points_text(entry.balance_after),
            }
            return _done(request, customer, message)
    return _with_errors(request, customer, "adjust", form)


@web_view
@require_POST
def adjust_reverse_view(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    """Undo a manual adjustment from the ledger (a reversal entry); refusals come back as the
    section's message, nothing written."""
    user, customer = _acting(request, pk, policy.can_adjust_points)
    form = loyalty_forms.ReverseForm(request.POST)
    if not form.is_valid():
        return _done(request, customer, str(form.errors["reason"][0]), tone="error")
    try:
        entry = points_adjust_reverse(
            actor=user,
            entry_id=entry_id,
            reason=form.cleaned_data["reason"],
            customer_id=customer.pk,  # an entry of another card is not found here
        )
    except (ValidationFailed, Conflict) as error:
        return _done(request, customer, str(error.message), tone="error")
    message = _("Adjustment reversed (%(points)s); the balance is now %(balance)s.") % {
        "points": lp.signed_points(entry.points),
        "balance": lp.points_text(entry.balance_after),
    }
    return _done(request, customer, message)


# --- Tier override ----------------------------------------------------------------------------


@web_view
@require_http_methods(["GET", "POST"])
def override_view(request: HttpRequest, pk: int) -> HttpResponse:
    user, customer = _acting(request, pk, policy.can_adjust_points)
    form = lc.override_form(user, posted(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            row = tier_override(
                actor=user,
                customer_id=customer.pk,
                tier_code=data["tier"],
                reason=data["reason"],
                approver_id=data["approver"],
                until=data["until"],
            )
        except ValidationFailed as error:
            loyalty_forms.refused(form, error)
        else:
            ladder = active_programme().programme.ladder
            message = _("The tier is set to %(tier)s until %(date)s.") % {
                "tier": lp.tier_name(ladder.get(row.tier)),
                "date": display.date(row.lock_until),
            }
            return _done(request, customer, message)
    return _with_errors(request, customer, "override", form)


@web_view
@require_http_methods(["GET", "POST"])
def override_request_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for an override that a manager approves (sales reps; see ``override_requests``)."""
    user, customer = _acting(request, pk, policy.can_update_customers)
    tiers = lp.tier_choices(active_programme().programme.ladder)
    form = loyalty_forms.OverrideRequestForm(posted(request), tiers=tiers)
    if form.is_valid():
        data = form.cleaned_data
        try:
            override_request(
                actor=user,
                customer_id=customer.pk,
                tier_code=data["tier"],
                reason=data["reason"],
                until=data["until"],
            )
        except ValidationFailed as error:
            loyalty_forms.refused(form, error)
        except Conflict as error:
            form.add_error(None, str(error.message))
        else:
            return _done(request, customer, _("Asked for approval."))
    return _with_errors(request, customer, "request", form)


# --- Benefits ---------------------------------------------------------------------------------


@web_view
@require_POST
def benefit_use_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One use of a quota benefit; the "use" buttons post here with a key rendered per button."""
    user = viewer(request)
    customer = lc.customer_of(user, pk)
    form = loyalty_forms.BenefitUseForm(request.POST)
    if not form.is_valid():
        fields: dict[str, list[str | Promise]] = {
            name: [str(e) for e in errors] for name, errors in form.errors.items()
        }
        raise ValidationFailed(fields=fields)
    data = form.cleaned_data
    try:
        use = benefit_use(
            actor=user,
            customer_id=customer.pk,
            code=data["code"],
            key=data["key"],
            note=data.get("note", ""),
        )
    except Conflict as error:
        # Used up or not in the tier: the panel shows the counts as they are now.
        return _done(request, customer, str(error.message), tone="error")
    name = lc.quota_label(use.code)
    return _done(request, customer, _("%(benefit)s used.") % {"benefit": name})
