"""Model → response dicts, with masking applied for the viewer before anything leaves.

Contact values (phones, emails, messenger ids) go through ``customers.masking`` for every
output; nothing here reads the database beyond what the selectors prefetched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from tiercard.accounts.models import Team, User
from tiercard.cards.timeline import TimelineEntry
from tiercard.customers import masking
from tiercard.customers.card_fields import CONSENT_FIELDS, FIGURE_FIELDS, PROFILE_FIELDS
from tiercard.customers.models import Contact, ContactPoint, Customer
from tiercard.interactions.models import Interaction
from tiercard.sales.models import Purchase
from tiercard.servicedesk.models import ServiceTicket


def ref_user(user: User | None) -> dict[str, Any] | None:
    return {"id": user.pk, "name": str(user)} if user is not None else None


def ref_team(team: Team | None) -> dict[str, Any] | None:
    return {"id": team.pk, "name": team.name} if team is not None else None


def contact_point_out(viewer: User, point: ContactPoint) -> dict[str, Any]:
    return {
        "id": point.pk,
        "kind": point.kind,
        "value": masking.display_contact_point(viewer, point),
        "label": point.label,
        "is_primary": point.is_primary,
        "opted_out": point.opted_out,
    }


def contact_out(viewer: User, contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "customer_id": contact.customer_id,
        "name": contact.name,
        "title": contact.title,
        "department": contact.department,
        **masking.display_contact_person(viewer, contact),
        "is_decision_maker": contact.is_decision_maker,
        "is_primary": contact.is_primary,
        "notes": contact.notes,
        "created_at": contact.created_at,
    }


def _tag_names(customer: Customer) -> list[str]:
    # ``.all()`` uses the prefetch cache when the selector prefetched tags.
    return [tag.name for tag in customer.tags.all()]


def customer_list_item(viewer: User, customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "kind": customer.kind,
        "status": customer.status,
        "city": customer.city,
        "phone": masking.customer_phone(viewer, customer),
        "email": masking.customer_email(viewer, customer),
        "owner": ref_user(customer.owner),
        "tags": _tag_names(customer),
        "order_count": customer.order_count,
        "total_spend": customer.total_spend,
        "last_purchase_at": customer.last_purchase_at,
        "registered_on": customer.registered_on,
        "version": customer.version,
    }


_PLAIN_FIELDS = (
    "id",
    *PROFILE_FIELDS,
    *CONSENT_FIELDS,
    *FIGURE_FIELDS,
    "merged_into_id",
    "version",
    "created_at",
    "updated_at",
)


def customer_out(viewer: User, customer: Customer) -> dict[str, Any]:
    """The full card. Expects ``customer_get``'s select/prefetch (owner, team, tags, contacts)."""
    body = {name: getattr(customer, name) for name in _PLAIN_FIELDS}
    body.update(
        phone=masking.customer_phone(viewer, customer),
        email=masking.customer_email(viewer, customer),
        owner=ref_user(customer.owner),
        team=ref_team(customer.team),
        tags=_tag_names(customer),
        contact_points=[contact_point_out(viewer, p) for p in customer.contact_points.all()],
        contacts=[contact_out(viewer, c) for c in customer.contacts.all()],
        pii_masked=masking.masks_for(viewer),
    )
    return body


def purchase_out(purchase: Purchase) -> dict[str, Any]:
    return {
        "id": purchase.pk,
        "customer_id": purchase.customer_id,
        "occurred_at": purchase.occurred_at,
        "external_ref": purchase.external_ref,
        "channel": purchase.channel,
        "store": purchase.store,
        "sales_rep": ref_user(purchase.sales_rep),
        "payment_method": purchase.payment_method,
        "subtotal": purchase.subtotal,
        "discount": purchase.discount,
        "tier_discount_percent": purchase.tier_discount_percent,
        "total": purchase.total,
        "note": purchase.note,
        "lines": [
            {
                "id": line.pk,
                "sku": line.sku,
                "item_name": line.item_name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount": line.discount,
                "amount": line.amount,
            }
            for line in purchase.lines.all()
        ],
        "created_at": purchase.created_at,
    }


def interaction_out(interaction: Interaction) -> dict[str, Any]:
    contact = interaction.contact
    return {
        "id": interaction.pk,
        "customer_id": interaction.customer_id,
        "kind": interaction.kind,
        "occurred_at": interaction.occurred_at,
        "actor": ref_user(interaction.actor),
        "contact": {"id": contact.pk, "name": contact.name} if contact is not None else None,
        "summary": interaction.summary,
        "outcome": interaction.outcome,
        "next_step": interaction.next_step,
        "next_step_due": interaction.next_step_due,
        "created_at": interaction.created_at,
    }


def ticket_out(ticket: ServiceTicket, *, now: dt.datetime) -> dict[str, Any]:
    """A service ticket; ``overdue`` as of ``now``. Expects the customer and the assignee
    selected with it."""
    # The model's user foreign keys are untyped for mypy (``servicedesk.models._user``).
    assignee = cast("User | None", ticket.assignee)
    return {
        "id": ticket.pk,
        "customer_id": ticket.customer_id,
        "customer_name": ticket.customer.name,
        "kind": ticket.kind,
        "subject": ticket.subject,
        "detail": ticket.detail,
        "status": ticket.status,
        "tier": ticket.tier,
        "response_hours": ticket.response_hours,
        "priority": ticket.priority,
        "opened_at": ticket.opened_at,
        "respond_by": ticket.respond_by,
        "overdue": ticket.overdue(now),
        "responded_at": ticket.responded_at,
        "resolved_at": ticket.resolved_at,
        "resolution": ticket.resolution,
        "assignee_id": ticket.assignee_id,
        "assignee": ref_user(assignee),
    }


# Audit diffs of a card may carry contact values; they are masked like the card itself.
_PII_CHANGE_KEYS = {"primary_phone": "phone", "primary_email": "email"}


def _mask_change(viewer: User, key: str, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    if _PII_CHANGE_KEYS[key] == "phone":
        return masking.display_phone(viewer, value)
    return masking.display_email(viewer, value)


def timeline_entry_out(viewer: User, entry: TimelineEntry) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if entry.kind == "purchase":
        purchase: Purchase = entry.obj
        details = {
            "total": f"{purchase.total:.2f}",
            "external_ref": purchase.external_ref,
            "channel": purchase.channel,
            "points": (entry.details or {}).get("points", 0),
        }
    elif entry.kind == "interaction":
        interaction: Interaction = entry.obj
        details = {
            "kind": interaction.kind,
            "summary": interaction.summary,
            "outcome": interaction.outcome,
        }
    elif entry.kind == "points":
        details = {
            "kind": entry.obj.kind,
            "points": entry.obj.points,
            "balance_after": entry.obj.balance_after,  # of the card the entry is on
            "note": entry.obj.note,
            "merged_card": (entry.details or {}).get("merged_card"),
        }
    elif entry.kind == "tier":
        change = entry.obj
        details = {"from": change.from_tier, "to": change.to_tier, "reason": change.reason}
        details["merged_card"] = (entry.details or {}).get("merged_card")
    elif entry.kind == "note":
        details = {"body": entry.obj.body, "edited_at": entry.obj.edited_at}
    elif entry.kind == "ticket":
        ticket = entry.obj
        details = {
            "ticket_id": ticket.pk,
            "kind": ticket.kind,
            "subject": ticket.subject,
            "status": ticket.status,
            "respond_by": ticket.respond_by,
            "resolved_at": ticket.resolved_at,
        }
    else:
        changes = dict(entry.details or {})
        for key in _PII_CHANGE_KEYS.keys() & changes.keys():
            old_new = changes[key]
            if isinstance(old_new, list):
                changes[key] = [_mask_change(viewer, key, v) for v in old_new]
            else:
                changes[key] = _mask_change(viewer, key, old_new)
        details = {"action": getattr(entry.obj, "action", ""), "changes": changes}
    return {
        "kind": entry.kind,
        "at": entry.at,
        "title": str(entry.title),
        "actor": entry.actor,
        "object_id": entry.obj.pk,
        "details": details,
    }
