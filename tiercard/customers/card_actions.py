"""Single-customer quick actions from the card: hand it to another owner, add or remove a tag.

The member table's bulk actions call these same functions per customer, so the rules are in one
place. Each service:
- answers *not found* for a customer outside the actor's scope, before any right is checked,
  so ids cannot be probed;
- checks the right (``accounts.policy``), then validates, and writes nothing on error;
- writes the change, a version bump and one audit row (a field diff, like ``customer_update``,
  so the card's timeline shows it as a card change) in one transaction;
- is a no-op without an audit row when nothing would change (re-adding a tag, same owner).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.accounts.selectors import assignable_owners
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.core.text import clean_text
from tiercard.customers.models import Customer, Tag
from tiercard.customers.selectors import visible_customers

TAG_MAX = 40


def _ensure_visible(actor: User, customer_id: int) -> None:
    if not visible_customers(actor).filter(pk=customer_id).exists():
        raise NotFound()


def _locked(actor: User, customer_id: int) -> Customer:
    customer = visible_customers(actor).select_for_update().filter(pk=customer_id).first()
    if customer is None:  # gone, or moved out of scope since the check
        raise NotFound()
    return customer


def _bump(customer: Customer, fields: list[str]) -> None:
    customer.version = F("version") + 1
    customer.updated_at = timezone.now()
    customer.save(update_fields=[*fields, "version", "updated_at"])
    customer.refresh_from_db(fields=["version"])


def _audit(actor: User, customer: Customer, changes: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=customer,
        customer_id=customer.pk,
        changes=changes,
    )


def clean_owner_id(actor: User, owner_id: object) -> User | None:
    """The user ``owner_id`` names, if the actor may hand customers to them; None = nobody.

    Raises ValidationFailed on field ``owner_id`` otherwise. Shared by the bulk action, which
    checks the new owner once for all rows.
    """
    if owner_id in (None, ""):
        return None
    text = str(owner_id).strip()
    pk = int(text) if text.isdigit() and len(text) < 19 else -1
    owner = assignable_owners(actor).filter(pk=pk).first()
    if owner is None:
        raise ValidationFailed(
            fields={"owner_id": [_("You may not assign customers to this account manager.")]}
        )
    return owner


def customer_assign_owner(*, actor: User, customer_id: int, owner_id: object) -> Customer:
    """Make ``owner_id`` the customer's account manager (``None`` or "": no owner).

    Only managers and admins hand customers over (``policy.can_assign_owner``); the new owner
    must be one the actor may assign (``accounts.selectors.assignable_owners``). The customer's
    team follows the owner's team, as in ``customer_update``.
    """
    _ensure_visible(actor, customer_id)
    if not policy.can_assign_owner(actor):
        raise PermissionDenied()
    owner = clean_owner_id(actor, owner_id)
    with transaction.atomic():
        customer = _locked(actor, customer_id)
        new_owner = owner.pk if owner else None
        new_team = owner.team_id if owner else None
        if customer.owner_id == new_owner and customer.team_id == new_team:
            return customer
        changes = {
            "owner_id": [customer.owner_id, new_owner],
            "team_id": [customer.team_id, new_team],
        }
        customer.owner = owner
        customer.team_id = new_team
        _bump(customer, ["owner", "team"])
        _audit(actor, customer, {k: v for k, v in changes.items() if v[0] != v[1]})
    return customer


def clean_tag_name(raw: object) -> str:
    """A tag name as stored: trimmed, single-spaced, 1–40 characters; else ValidationFailed."""
    name = clean_text(str(raw or ""))
    if not name:
        raise ValidationFailed(fields={"tag": [_("Enter a tag.")]})
    if len(name) > TAG_MAX:
        raise ValidationFailed(fields={"tag": [_("A tag has at most 40 characters.")]})
    return name


def _tag_names(customer: Customer) -> list[str]:
    return sorted(customer.tags.values_list("name", flat=True))


def _check_can_tag(actor: User, customer_id: int) -> None:
    _ensure_visible(actor, customer_id)
    if not policy.can_update_customers(actor):
        raise PermissionDenied()


def customer_tag_add(*, actor: User, customer_id: int, name: object) -> Customer:
    """Put the tag ``name`` on the customer, creating the tag when it is new.

    Needs the right to update customers. Tags are shared labels: a new name becomes a tag
    everyone can filter by.
    """
    _check_can_tag(actor, customer_id)
    tag_name = clean_tag_name(name)
    with transaction.atomic():
        customer = _locked(actor, customer_id)
        before = _tag_names(customer)
        if tag_name in before:
            return customer
        tag, _created = Tag.objects.get_or_create(name=tag_name)
        customer.tags.add(tag)
        _bump(customer, [])
        _audit(actor, customer, {"tags": [before, sorted([*before, tag_name])]})
    return customer


def customer_tag_remove(*, actor: User, customer_id: int, name: object) -> Customer:
    """Take the tag ``name`` off the customer; the tag itself stays for other customers."""
    _check_can_tag(actor, customer_id)
    tag_name = clean_tag_name(name)
    with transaction.atomic():
        customer = _locked(actor, customer_id)
        before = _tag_names(customer)
        if tag_name not in before:
            return customer
        customer.tags.remove(*Tag.objects.filter(name=tag_name))
        _bump(customer, [])
        _audit(actor, customer, {"tags": [before, [n for n in before if n != tag_name]]})
    return customer
