"""What the loyalty section of a card needs, gathered in one place for every view that shows it.

Reads go through the loyalty and sales selectors with the viewer, so the scope rule holds;
the number of queries does not depend on the customer's history.
"""

from __future__ import annotations

from typing import Any

from tiercard.accounts.models import User
from tiercard.core.errors import NotFound
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.customers.selectors import visible_customers
from tiercard.loyalty.models import RequestStatus
from tiercard.loyalty.selectors.benefits import benefits_of_customer
from tiercard.loyalty.selectors.override_requests import customer_requests
from tiercard.loyalty.selectors.points import points_ledger, points_summary, reward_catalogue
from tiercard.loyalty.selectors.tiers import tier_history, tier_status
from tiercard.loyalty.services.state import active_programme
from tiercard.sales.models import Purchase
from tiercard.sales.selectors import purchase_list
from tiercard.web import display, loyalty_forms
from tiercard.web import loyalty_presenters as lp

RECENT_PURCHASES = 5
HISTORY_ROWS = 6


def customer_of(user: User, pk: int) -> Customer:
    """The customer in the viewer's scope (one query, no related rows), or NotFound."""
    customer = visible_customers(user).filter(pk=pk).first()
    if customer is None:
        raise NotFound()
    return customer


def reward_choices_for(user: User) -> list[tuple[str, str]]:
    return lp.reward_choices(reward_catalogue(viewer=user, today=business_today()))


def recent_purchases(user: User, customer_id: int) -> list[Purchase]:
    return list(purchase_list(viewer=user, customer_id=customer_id)[:RECENT_PURCHASES])


def purchase_choices(purchases: list[Purchase]) -> list[tuple[int, str]]:
    return [
        (p.pk, f"{display.datetime(p.occurred_at)} · {display.money(p.total)}")
        for p in purchases
        if p.total > p.returned_amount
    ]


def approver_choices(user: User) -> list[tuple[int, str]]:
    """Set directly, an override is approved by the one who sets it (``tier_override``);
    another person's approval goes through a request."""
    return [(user.pk, str(user))]


def override_form(user: User, data: Any = None, held: str = "") -> loyalty_forms.OverrideForm:
    tiers = lp.tier_choices(active_programme().programme.ladder)
    approvers = approver_choices(user)
    if data is not None:
        return loyalty_forms.OverrideForm(data, tiers=tiers, approvers=approvers)
    return loyalty_forms.OverrideForm(
        initial={"approver": user.pk, "tier": held}, tiers=tiers, approvers=approvers
    )


def section_context(user: User, customer: Customer, **forms: Any) -> dict[str, Any]:
    """Panels, abilities and the action forms (blank unless a bound one is passed in)."""
    today = business_today()
    can = lp.Abilities.of(user)
    summary = points_summary(viewer=user, customer_id=customer.pk, today=today)
    page = points_ledger(viewer=user, customer_id=customer.pk, limit=lp.LEDGER_ROWS)
    offers = reward_catalogue(viewer=user, today=today) if can.redeem else []
    status = tier_status(user, customer.pk, today)
    changes = list(tier_history(user, customer.pk).select_related("actor")[:HISTORY_ROWS])
    programme = active_programme().programme
    found = benefits_of_customer(viewer=user, customer_id=customer.pk, today=today)
    context: dict[str, Any] = {
        "customer": customer,
        "lcan": can,
        "tier": lp.tier_panel(status, changes, programme.ladder, programme.window, today),
        "points": lp.points_panel(
            summary, page.entries, page.next_cursor is not None, lp.reward_names(offers)
        ),
        "benefits": lp.benefits_panel(found, status.benefits, loyalty_forms.new_key),
    }
    context["tier_on_form"] = forms.get("tier_on_form") or loyalty_forms.TierOnForm(today=today)
    if can.redeem:
        context["redeem_form"] = forms.get("redeem_form") or loyalty_forms.RedeemForm.blank(
            rewards=lp.reward_choices(offers)
        )
    if can.record_return:
        purchases = recent_purchases(user, customer.pk)
        context["purchases"] = lp.purchase_rows(purchases)
        context["return_form"] = forms.get("return_form") or loyalty_forms.ReturnForm.blank(
            purchase_choices(purchases)
        )
    if can.adjust:
        context["adjust_form"] = forms.get("adjust_form") or loyalty_forms.AdjustForm.blank()
    if can.override:
        context["override_form"] = forms.get("override_form") or override_form(
            user, held=status.tier.code
        )
    # A request waiting for approval shows on the tier panel, with its actions.
    waiting = customer_requests(viewer=user, customer_id=customer.pk, in_scope=True).filter(
        status=RequestStatus.PENDING
    )
    context["waiting_request"] = lp.waiting_request_view(waiting.first(), user, programme.ladder)
    if forms.get("request_form") is not None:  # refused: shown again with its errors
        context["request_form"] = forms["request_form"]
    elif can.request_override and context["waiting_request"] is None:
        context["request_form"] = loyalty_forms.OverrideRequestForm(
            initial={"tier": status.tier.code}, tiers=lp.tier_choices(programme.ladder)
        )
    return context


def quota_label(code: str) -> str:
    """A quota's name in the page's language, looked up in the active programme."""
    for benefits in active_programme().programme.benefits.values():
        quota = benefits.quota(code)
        if quota is not None:
            return lp.localised(quota.name_zh, quota.name_en)
    return code
