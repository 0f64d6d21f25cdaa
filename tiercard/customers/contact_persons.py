"""Services for contact persons (联系人) of company customers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record, field_diff
from tiercard.core import contacts
from tiercard.core.errors import FieldErrors, NotFound, PermissionDenied
from tiercard.core.modelcheck import full_clean_into
from tiercard.core.text import clean_text
from tiercard.customers import validation as v
from tiercard.customers.models import Contact
from tiercard.customers.selectors import visible_customers

CONTACT_FIELDS = (
    "name",
    "title",
    "department",
    "mobile",
    "phone",
    "email",
    "wechat",
    "is_decision_maker",
    "is_primary",
    "notes",
)


def _apply(contact: Contact, data: Mapping[str, Any], errors: FieldErrors) -> None:
    for key in sorted(set(data) - set(CONTACT_FIELDS)):
        errors.add(key, _("Unknown field."))
    for key in ("name", "title", "department", "notes"):
        if key in data:
            setattr(
                contact,
                key,
                clean_text(str(data[key] or ""))
                if key != "notes"
                else str(data[key] or "").strip(),
            )
    for key in ("mobile", "phone"):
        if key in data:
            phones = v.clean_phones(data[key], errors, field=key)
            setattr(contact, key, contacts.national_digits(phones[0]) if phones else "")
    if "email" in data:
        emails = v.clean_emails(data["email"], errors, field="email")
        contact.email = emails[0] if emails else ""
    if "wechat" in data:
        contact.wechat = v.clean_wechat(data["wechat"], errors)
    for key in ("is_decision_maker", "is_primary"):
        if key in data:
            setattr(
                contact,
                key,
                str(data[key]).lower() in {"1", "true", "on", "yes"}
                if isinstance(data[key], str)
                else bool(data[key]),
            )
    full_clean_into(contact, errors, exclude=["customer"])


def _editable_customer(actor: User, customer_id: int) -> int:
    if not visible_customers(actor).filter(pk=customer_id).exists():
        raise NotFound()
    if not policy.can_update_customers(actor):
        raise PermissionDenied()
    return customer_id


def contact_add(*, actor: User, customer_id: int, data: Mapping[str, Any]) -> Contact:
    """Add a contact person. Making one primary demotes the previous primary."""
    _editable_customer(actor, customer_id)
    contact = Contact(customer_id=customer_id)
    errors = FieldErrors()
    _apply(contact, data, errors)
    errors.raise_if_any()
    with transaction.atomic():
        if contact.is_primary:
            Contact.objects.filter(customer_id=customer_id, is_primary=True).update(
                is_primary=False
            )
        contact.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=contact,
            customer_id=customer_id,
            changes=field_diff({}, {k: getattr(contact, k) for k in CONTACT_FIELDS}),
        )
    return contact


def contact_update(*, actor: User, contact_id: int, data: Mapping[str, Any]) -> Contact:
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise NotFound()
    _editable_customer(actor, contact.customer_id)
    before = {k: getattr(contact, k) for k in CONTACT_FIELDS}
    errors = FieldErrors()
    _apply(contact, data, errors)
    errors.raise_if_any()
    with transaction.atomic():
        if contact.is_primary and not before["is_primary"]:
            Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).update(
                is_primary=False
            )
        contact.save()
        changes = field_diff(before, {k: getattr(contact, k) for k in CONTACT_FIELDS})
        if changes:
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                obj=contact,
                customer_id=contact.customer_id,
                changes=changes,
            )
    return contact


def contact_remove(*, actor: User, contact_id: int) -> None:
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise NotFound()
    _editable_customer(actor, contact.customer_id)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            obj=contact,
            customer_id=contact.customer_id,
            note=contact.name,
        )
        contact.delete()


def contact_reveal_pii(*, actor: User, contact_id: int) -> dict[str, str]:
    """Unmasked phone, email and WeChat of a contact person; every reveal is audit-logged."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None or not visible_customers(actor).filter(pk=contact.customer_id).exists():
        raise NotFound()
    if not policy.can_reveal_pii(actor):
        raise PermissionDenied()
    revealed = {
        key: getattr(contact, key)
        for key in ("mobile", "phone", "email", "wechat")
        if getattr(contact, key)
    }
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.REVEAL,
            obj=contact,
            customer_id=contact.customer_id,
            changes={"fields": sorted(revealed)},
        )
    return revealed
