"""Masking of personal data by viewer. Masking happens on the server, before rendering.

Admins, managers and account managers see full contact values of the customers in their
scope; service and marketing staff see them masked (138****5678, z***@qq.com) and, when
granted the right, can reveal them through ``customer_reveal_pii`` (which is audit-logged).
"""

from __future__ import annotations

from tiercard.accounts.models import User
from tiercard.accounts.policy import sees_masked_pii
from tiercard.core import contacts
from tiercard.customers.models import Contact, ContactPoint, ContactPointKind, Customer


def masks_for(viewer: User) -> bool:
    return sees_masked_pii(viewer)


def display_phone(viewer: User, normalized: str) -> str:
    if not normalized:
        return ""
    if masks_for(viewer):
        return contacts.mask_phone(normalized)
    return contacts.national_digits(normalized)


def display_email(viewer: User, email: str) -> str:
    if not email:
        return ""
    return contacts.mask_email(email) if masks_for(viewer) else email


def display_contact_point(viewer: User, point: ContactPoint) -> str:
    if not masks_for(viewer):
        return point.value
    if point.kind in {ContactPointKind.MOBILE, ContactPointKind.PHONE}:
        return contacts.mask_phone(point.normalized)
    if point.kind == ContactPointKind.EMAIL:
        return contacts.mask_email(point.normalized)
    return contacts.mask_generic(point.value)


def display_plain_phone(viewer: User, digits: str) -> str:
    """A phone stored as digits (contact persons): masked like a normalised one."""
    if not digits or not masks_for(viewer):
        return digits
    try:
        return contacts.mask_phone(contacts.normalize_phone(digits))
    except ValueError:
        return contacts.mask_generic(digits)


def display_contact_person(viewer: User, person: Contact) -> dict[str, str]:
    """A contact person's contact values (mobile, phone, email, wechat) as ``viewer`` sees them."""
    masks = masks_for(viewer)
    return {
        "mobile": display_plain_phone(viewer, person.mobile),
        "phone": display_plain_phone(viewer, person.phone),
        "email": display_email(viewer, person.email),
        "wechat": contacts.mask_generic(person.wechat)
        if masks and person.wechat
        else person.wechat,
    }


def customer_phone(viewer: User, customer: Customer) -> str:
    return display_phone(viewer, customer.primary_phone)


def customer_email(viewer: User, customer: Customer) -> str:
    return display_email(viewer, customer.primary_email)
