"""Logging interactions with a customer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import FieldErrors, NotFound, PermissionDenied
from tiercard.core.modelcheck import full_clean_into
from tiercard.core.text import clean_text
from tiercard.core.timeutils import business_today
from tiercard.customers import validation as v
from tiercard.customers.models import Contact, Customer
from tiercard.customers.selectors import visible_customers
from tiercard.customers.services import customer_touch_counts
from tiercard.interactions.models import Interaction

KEYS = frozenset(
    {"kind", "occurred_at", "contact_id", "summary", "outcome", "next_step", "next_step_due"}
)


def interaction_log(*, actor: User, customer_id: int, data: Mapping[str, Any]) -> Interaction:
    """Log one interaction and advance the customer's last-contact time.

    Anyone who can see the customer may log; a contact person must belong to that customer.
    """
    if not visible_customers(actor).filter(pk=customer_id).exists():
        raise NotFound()
    if not policy.can_log_interaction(actor):
        raise PermissionDenied()
    errors = FieldErrors()
    for key in sorted(set(data) - KEYS):
        errors.add(key, _("Unknown field."))
    occurred = v.clean_past_time(
        data.get("occurred_at"),
        errors,
        "occurred_at",
        now=timezone.now(),
        future_message=_("An interaction cannot be logged in the future."),
    )
    contact = None
    if data.get("contact_id") not in (None, ""):
        contact = Contact.objects.filter(
            pk=int(str(data["contact_id"])) if str(data["contact_id"]).isdigit() else -1,
            customer_id=customer_id,
        ).first()
        if contact is None:
            errors.add("contact_id", _("This contact person does not belong to the customer."))
    due = v.clean_date(data.get("next_step_due"), errors, "next_step_due")
    if due and due < business_today():
        errors.add("next_step_due", _("The next step cannot be due in the past."))
    interaction = Interaction(
        customer_id=customer_id,
        kind=str(data.get("kind") or ""),
        occurred_at=occurred,
        actor=actor,
        contact=contact,
        summary=str(data.get("summary") or "").strip(),
        outcome=str(data.get("outcome") or ""),
        next_step=clean_text(str(data.get("next_step") or "")),
        next_step_due=due,
    )
    full_clean_into(interaction, errors, exclude=["customer", "actor", "contact"])
    errors.raise_if_any()
    with transaction.atomic():
        interaction.save()
        customer_touch_counts(customer_id=customer_id, interaction_at=occurred)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=interaction,
            customer_id=customer_id,
            changes={"kind": interaction.kind},
        )
    return interaction


def interaction_remove(*, actor: User, interaction_id: int, reason: str) -> bool:
    """Remove one interaction (an import being undone) and move the customer's last-contact
    time back to the latest interaction left. Returns False when it is already gone.

    NotFound when the customer lies outside the actor's scope; audited as a delete with the
    reason. Only callers that own the record's origin use this (imports undo their rows)."""
    with transaction.atomic():
        interaction = Interaction.objects.select_for_update().filter(pk=interaction_id).first()
        if interaction is None:
            return False
        customer_id = interaction.customer_id
        if not visible_customers(actor).filter(pk=customer_id).exists():
            raise NotFound()
        interaction.delete()
        latest = Interaction.objects.filter(customer_id=customer_id).aggregate(
            at=Max("occurred_at")
        )["at"]
        Customer.objects.filter(pk=customer_id).update(last_interaction_at=latest)
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            object_type="interactions.interaction",
            object_id=str(interaction_id),
            customer_id=customer_id,
            note=reason,
        )
    return True
