"""The dedicated account manager (专属客户经理) a tier may promise, kept when owners change.

A tier whose benefits include ``dedicated_manager`` promises its customers a named account
manager. The owner services live in ``customers``, below the loyalty programme that knows the
promise, so the interfaces change an owner through these two functions instead, which run the
customers service and then refuse, in the same transaction, a change that took the owner away
from such a customer (code ``manager_required``, on ``owner_id``; nothing written). Handing the
customer to someone else is always allowed, and a customer who has no owner yet (an upgrade
made them eligible) may be edited without naming one: the member table's *缺专属客户经理* filter
and the note on the card list those.

The tier read is the card's own copy (``Customer.tier``, "" for the lowest tier), taken under
the row lock the customers service holds: a concurrent tier change waits for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.core.bilingual import localised
from tiercard.core.errors import ValidationFailed
from tiercard.customers.card_actions import customer_assign_owner
from tiercard.customers.models import Customer
from tiercard.customers.services import customer_update
from tiercard.loyalty.services.state import active_programme


def owner_change(*, actor: User, customer_id: int, owner_id: object) -> Customer:
    """``customers.card_actions.customer_assign_owner``, keeping a required manager."""
    with transaction.atomic():
        had_owner = _had_owner(customer_id)
        customer = customer_assign_owner(actor=actor, customer_id=customer_id, owner_id=owner_id)
        _refuse_losing_required_manager(customer, had_owner)
    return customer


def card_update(
    *, actor: User, customer_id: int, data: Mapping[str, Any], expected_version: int | None = None
) -> Customer:
    """``customers.services.customer_update``, keeping a required manager."""
    with transaction.atomic():
        had_owner = _had_owner(customer_id) if "owner_id" in data else False
        customer = customer_update(
            actor=actor, customer_id=customer_id, data=data, expected_version=expected_version
        )
        _refuse_losing_required_manager(customer, had_owner)
    return customer


def required_manager_tier(customer: Customer) -> str:
    """The name of the customer's tier (the card's copy; in the active language) when its
    benefits promise a dedicated account manager, "" when they do not."""
    programme = active_programme().programme
    code = customer.tier or programme.ladder.lowest.code
    if not programme.benefits_of(code).dedicated_manager:
        return ""
    tier = next((t for t in programme.ladder.tiers if t.code == code), None)
    return localised(tier.name_zh, tier.name_en) if tier is not None else code


def _had_owner(customer_id: int) -> bool:
    # Locked first, so no concurrent change of the owner slips between this read and the
    # service's own locked read. The row's existence and scope are the service's to check.
    owner = (
        Customer.objects.select_for_update()
        .filter(pk=customer_id)
        .values_list("owner_id", flat=True)
        .first()
    )
    return owner is not None


def _refuse_losing_required_manager(customer: Customer, had_owner: bool) -> None:
    if not had_owner or customer.owner_id is not None:
        return
    tier = required_manager_tier(customer)
    if not tier:
        return
    message = _(
        "%(tier)s customers have a dedicated account manager: hand the customer to someone "
        "else instead."
    ) % {"tier": tier}
    raise ValidationFailed(message, code="manager_required", fields={"owner_id": [message]})
