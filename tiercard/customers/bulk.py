"""Bulk changes from the member table: assign an owner, add a tag, change the status.

Each bulk service applies the single-customer service (``card_actions`` for owner and tag,
``customer_update`` for the status) to every selected customer, so the rules, the version
bump and the per-card audit row are exactly those of the card's own actions. On top:
- the ids are resolved through ``visible_customers`` first; if any id is malformed, unknown
  or outside the actor's scope, the whole request is refused with ``NotFound`` (code
  ``out_of_scope``) and *nothing* changes: a tampered request learns nothing and harms nothing;
- the right and the value are checked once, before any row is touched;
- everything happens in one transaction: one customer's error undoes the others' changes;
- customers already in the wanted state are left alone (no version bump, no audit row).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.card_actions import (
    clean_owner_id,
    clean_tag_name,
    customer_assign_owner,
    customer_tag_add,
)
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.customers.selectors import visible_customers
from tiercard.customers.services import customer_update

MAX_BULK = 100
"""Most customers one bulk request may name: one full page of the member table."""

BULK_STATUSES = (CustomerStatus.ACTIVE, CustomerStatus.AT_RISK, CustomerStatus.CHURNED)
"""Archiving has its own confirmed action, with a reason; bulk status changes never archive."""


@dataclass(frozen=True)
class BulkResult:
    changed: list[int]
    unchanged: list[int]


def clean_ids(customer_ids: Iterable[object]) -> list[int]:
    """Distinct ids in ascending order; NotFound for anything that is not an id."""
    ids: set[int] = set()
    for raw in customer_ids:
        text = str(raw).strip()
        if not text.isdigit() or len(text) > 18:
            raise NotFound(code="out_of_scope")
        ids.add(int(text))
    if not ids:
        raise ValidationFailed(fields={"ids": [_("Select at least one customer.")]})
    if len(ids) > MAX_BULK:
        raise ValidationFailed(
            fields={"ids": [_("Select at most %(n)d customers at once.") % {"n": MAX_BULK}]}
        )
    return sorted(ids)


def _in_scope(
    actor: User, ids: list[int], *fields: str, lock: bool = True
) -> dict[int, tuple[object, ...]]:
    """The selected customers' ``fields`` (locked when ``lock``); NotFound unless every id is
    in scope."""
    rows = visible_customers(actor).filter(pk__in=ids).order_by("pk")
    if lock:
        rows = rows.select_for_update()
    found = {pk: rest for pk, *rest in rows.values_list("pk", *fields)}
    if len(found) != len(ids):
        raise NotFound(
            _("Some selected customers are not available to you; nothing was changed."),
            code="out_of_scope",
        )
    return {pk: tuple(rest) for pk, rest in found.items()}


@dataclass(frozen=True)
class BulkPlan:
    """What a bulk change would do: the selected ``ids`` and those not yet in the wanted
    state (``changing``). Worked out by the services under lock before they write, and by
    the confirmation page without one (``lock=False``: read only)."""

    ids: list[int]
    changing: list[int]


def owner_change_plan(
    *, actor: User, customer_ids: Iterable[object], owner_id: object, lock: bool = False
) -> tuple[BulkPlan, User]:
    """The plan of handing the customers to ``owner_id``, and that owner; refused (nothing
    read of the customers) for a bad id, a missing right or an owner the actor may not use."""
    ids = clean_ids(customer_ids)
    if not policy.can_assign_owner(actor):
        raise PermissionDenied()
    owner = clean_owner_id(actor, owner_id)
    if owner is None:
        raise ValidationFailed(fields={"owner_id": [_("Choose an account manager.")]})
    before = _in_scope(actor, ids, "owner_id", "team_id", lock=lock)
    changing = [pk for pk in ids if before[pk] != (owner.pk, owner.team_id)]
    return BulkPlan(ids, changing), owner


def status_change_plan(
    *, actor: User, customer_ids: Iterable[object], status: object, lock: bool = False
) -> BulkPlan:
    """The plan of setting active / at risk / churned; refused when an archived customer is
    selected (they are restored one by one first)."""
    ids = clean_ids(customer_ids)
    if not policy.can_update_customers(actor):
        raise PermissionDenied()
    if status not in BULK_STATUSES:
        raise ValidationFailed(fields={"status": [_("Choose active, at risk or churned.")]})
    before = _in_scope(actor, ids, "status", lock=lock)
    if any(old == (CustomerStatus.ARCHIVED,) for old in before.values()):
        raise ValidationFailed(
            fields={"status": [_("Archived customers are in the selection; restore them first.")]}
        )
    return BulkPlan(ids, [pk for pk in ids if before[pk] != (status,)])


def _result(ids: list[int], changed: list[int]) -> BulkResult:
    done = set(changed)
    return BulkResult(changed, [pk for pk in ids if pk not in done])


def customer_bulk_assign_owner(
    *, actor: User, customer_ids: Iterable[object], owner_id: object
) -> BulkResult:
    """Hand the selected customers to one account manager (the team follows the owner)."""
    with transaction.atomic():
        plan, owner = owner_change_plan(
            actor=actor, customer_ids=customer_ids, owner_id=owner_id, lock=True
        )
        for pk in plan.changing:
            customer_assign_owner(actor=actor, customer_id=pk, owner_id=owner.pk)
    return _result(plan.ids, plan.changing)


def customer_bulk_add_tag(
    *, actor: User, customer_ids: Iterable[object], tag: object
) -> BulkResult:
    """Add one tag to the selected customers; the tag is created when it is new."""
    ids = clean_ids(customer_ids)
    if not policy.can_update_customers(actor):
        raise PermissionDenied()
    name = clean_tag_name(tag)
    with transaction.atomic():
        _in_scope(actor, ids)
        tagged = set(
            Customer.tags.through.objects.filter(customer_id__in=ids, tag__name=name).values_list(
                "customer_id", flat=True
            )
        )
        changed = [pk for pk in ids if pk not in tagged]
        for pk in changed:
            customer_tag_add(actor=actor, customer_id=pk, name=name)
    return _result(ids, changed)


def customer_bulk_set_status(
    *, actor: User, customer_ids: Iterable[object], status: object
) -> BulkResult:
    """Set active / at risk / churned. Archived customers must be restored one by one first."""
    with transaction.atomic():
        plan = status_change_plan(actor=actor, customer_ids=customer_ids, status=status, lock=True)
        for pk in plan.changing:
            customer_update(actor=actor, customer_id=pk, data={"status": status})
    return _result(plan.ids, plan.changing)
