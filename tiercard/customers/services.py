"""Writes to customer cards. One function per state change, shared by web, API, CLI, import.

Each service:
- checks the actor's right and the record's scope (out-of-scope ids are *not found*);
- validates every value and raises one :class:`ValidationFailed` naming all bad fields,
  before anything is written;
- writes in one transaction, together with its audit row (field diff, interface).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import Role, User
from tiercard.accounts.selectors import assignable_owners
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record, field_diff
from tiercard.core import contacts
from tiercard.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from tiercard.core.modelcheck import full_clean_into
from tiercard.core.text import Romanisation, clean_text, name_romanisations
from tiercard.core.timeutils import business_today
from tiercard.customers import validation as v
from tiercard.customers.models import (
    BirthdayCalendar,
    ContactPoint,
    ContactPointKind,
    Customer,
    CustomerKind,
    CustomerStatus,
    Tag,
)
from tiercard.customers.search_index import char_text, search_words
from tiercard.customers.selectors import customer_ensure_visible, visible_customers

# Plain fields a caller may set; everything else on the model is derived or system-owned.
TEXT_FIELDS = (
    "name",
    "name_en",
    "external_id",
    "occupation",
    "company_name",
    "position",
    "province",
    "city",
    "district",
    "address",
    "postal_code",
    "industry",
    "business_scope",
    "main_products",
    "credit_notes",
    "needs",
    "interests",
    "preferences",
    "special_needs",
    "notes",
    "consent_source",
)
CHOICE_FIELDS = (
    "kind",
    "gender",
    "company_size",
    "credit_rating",
    "payment_terms",
    "payment_capacity",
    "source_channel",
    "status",
)
CONTACT_KEYS = ("phones", "emails", "wechat", "qq")
ALL_KEYS = frozenset(
    TEXT_FIELDS
    + CHOICE_FIELDS
    + CONTACT_KEYS
    + (
        "birthday",
        "birthday_calendar",
        "lunar_birth_year",
        "lunar_birth_month",
        "lunar_birth_day",
        "lunar_birth_leap",
        "registered_on",
        "credit_limit",
        "credit_code",
        "owner_id",
        "tags",
        "consent_data",
        "consent_marketing",
    )
)
AUDITED = (
    TEXT_FIELDS
    + CHOICE_FIELDS
    + (
        "birthday",
        "birthday_calendar",
        "lunar_birth_month",
        "lunar_birth_day",
        "lunar_birth_leap",
        "registered_on",
        "credit_limit",
        "credit_code",
        "owner_id",
        "team_id",
        "consent_data",
        "consent_marketing",
    )
)


def _snapshot(customer: Customer) -> dict[str, Any]:
    return {name: getattr(customer, name) for name in AUDITED}


def _masked(kind: str, value: str) -> str:
    """Audit rows keep contact values masked: the log must not become a second PII store."""
    if kind in {ContactPointKind.MOBILE, ContactPointKind.PHONE}:
        return contacts.mask_phone(value)
    if kind == ContactPointKind.EMAIL:
        return contacts.mask_email(value)
    return contacts.mask_generic(value)


def _contact_lists(customer_id: int | None) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {kind: [] for kind in ContactPointKind.values}
    if customer_id is not None:
        for kind, value in (
            ContactPoint.objects.filter(customer_id=customer_id)
            .order_by("-is_primary", "id")
            .values_list("kind", "normalized")
        ):
            lists[kind].append(value)
    return lists


def _contact_diff(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    return {
        f"contacts.{kind}": [
            [_masked(kind, v) for v in before[kind]],
            [_masked(kind, v) for v in after[kind]],
        ]
        for kind in after
        if before[kind] != after[kind]
    }


def _to_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "是"}
    return bool(value)


def _resolve_owner(actor: User, owner_id: object, errors: FieldErrors) -> User | None:
    """The owner an actor may assign (see ``accounts.selectors.assignable_owners``)."""
    if owner_id in (None, ""):
        return None
    pk = int(str(owner_id)) if str(owner_id).isdigit() and len(str(owner_id)) < 19 else -1
    owner = User.objects.filter(pk=pk, is_active=True).first()
    if owner is None:
        errors.add("owner_id", _("Unknown account manager."))
        return None
    if not assignable_owners(actor).filter(pk=owner.pk).exists():
        errors.add("owner_id", _("You may not assign customers to this account manager."))
        return None
    return owner


def _apply_values(
    customer: Customer,
    data: Mapping[str, Any],
    actor: User,
    errors: FieldErrors,
    *,
    creating: bool,
) -> dict[str, Any]:
    """Validate ``data`` onto ``customer`` (unsaved). Returns the contact/tag changes to write."""
    unknown = set(data) - ALL_KEYS
    for key in sorted(unknown):
        errors.add(key, _("Unknown field."))
    today = business_today()
    for name in TEXT_FIELDS:
        if name in data:
            raw = data[name]
            setattr(
                customer,
                name,
                ""
                if raw is None
                else (clean_text(str(raw)) if name not in _MULTILINE else str(raw).strip()),
            )
    if "status" in data and not creating:
        if data["status"] == CustomerStatus.ARCHIVED and customer.status != data["status"]:
            errors.add("status", _("Use the archive action to archive a customer."))
        elif customer.status == CustomerStatus.ARCHIVED and data["status"] != customer.status:
            errors.add("status", _("Use the restore action to bring back an archived customer."))
    for name in CHOICE_FIELDS:
        if name in data:
            setattr(customer, name, "" if data[name] is None else str(data[name]).strip())
    if "registered_on" in data:
        registered = v.clean_date(data["registered_on"], errors, "registered_on")
        if registered and registered > today:
            errors.add("registered_on", _("The registration date cannot be in the future."))
        elif registered:
            customer.registered_on = registered
    if "credit_limit" in data:
        customer.credit_limit = v.clean_money(data["credit_limit"], errors, "credit_limit")
    if "credit_code" in data:
        customer.credit_code = v.clean_credit_code(data["credit_code"], errors)
    _apply_birthday(customer, data, errors, today)
    for flag in ("consent_data", "consent_marketing"):
        if flag in data:
            new = _to_bool(data[flag])
            if new != getattr(customer, flag) or (new and getattr(customer, f"{flag}_at") is None):
                setattr(customer, flag, new)
                setattr(customer, f"{flag}_at", timezone.now() if new else None)
    if "owner_id" in data:
        owner = _resolve_owner(actor, data["owner_id"], errors)
        if not creating and owner != customer.owner and not policy.can_assign_owner(actor):
            errors.add("owner_id", _("Only a manager can hand a customer to someone else."))
        customer.owner = owner
        customer.team_id = owner.team_id if owner else None
    writes: dict[str, Any] = {}
    if "phones" in data:
        writes["phones"] = v.clean_phones(data["phones"], errors)
    if "emails" in data:
        writes["emails"] = v.clean_emails(data["emails"], errors)
    if "wechat" in data:
        writes["wechat"] = v.clean_wechat(data["wechat"], errors)
    if "qq" in data:
        qq = clean_text(str(data["qq"] or ""))
        if qq and not (qq.isdigit() and 5 <= len(qq) <= 12):
            errors.add("qq", _("A QQ number has 5–12 digits."))
        writes["qq"] = qq
    if "tags" in data:
        names = v.split_values(data["tags"])
        for name in names:
            if len(name) > 40:
                errors.add("tags", _("A tag has at most 40 characters."))
        writes["tags"] = names
    return writes


_MULTILINE = frozenset(
    {
        "business_scope",
        "main_products",
        "credit_notes",
        "needs",
        "interests",
        "preferences",
        "special_needs",
        "notes",
        "address",
    }
)


def _apply_birthday(
    customer: Customer, data: Mapping[str, Any], errors: FieldErrors, today: dt.date
) -> None:
    calendar = data.get("birthday_calendar", customer.birthday_calendar) or BirthdayCalendar.SOLAR
    if calendar not in BirthdayCalendar.values:
        errors.add("birthday_calendar", _("Choose solar or lunar."))
        return
    lunar_keys = {"lunar_birth_year", "lunar_birth_month", "lunar_birth_day"}
    if calendar == BirthdayCalendar.LUNAR and (
        lunar_keys & set(data) or "birthday_calendar" in data
    ):
        if not data.get("lunar_birth_month") and not data.get("lunar_birth_day"):
            if lunar_keys & set(data):
                # The month and day were sent empty: the user cleared the lunar birthday.
                customer.birthday_calendar = BirthdayCalendar.LUNAR
                customer.birthday = customer.lunar_birth_month = customer.lunar_birth_day = None
                customer.lunar_birth_leap = False
            elif not customer.lunar_birth_month:
                errors.add("lunar_birth_month", _("Enter the lunar month (1–12) and day (1–30)."))
            return
        leap = _to_bool(data.get("lunar_birth_leap", False))
        solar, month, day = v.clean_lunar_birthday(
            data.get("lunar_birth_year"),
            data.get("lunar_birth_month"),
            data.get("lunar_birth_day"),
            leap,
            errors,
            today,
        )
        customer.birthday_calendar = BirthdayCalendar.LUNAR
        customer.birthday, customer.lunar_birth_month, customer.lunar_birth_day = solar, month, day
        customer.lunar_birth_leap = leap
    elif calendar == BirthdayCalendar.SOLAR and ("birthday" in data or "birthday_calendar" in data):
        customer.birthday_calendar = BirthdayCalendar.SOLAR
        if "birthday" in data:
            customer.birthday = v.clean_birthday(data["birthday"], errors, today)
        customer.lunar_birth_month = customer.lunar_birth_day = None
        customer.lunar_birth_leap = False


CLEAN_EXCLUDED = ("owner", "team", "created_by", "merged_into", "registered_on")
"""Fields the model check skips: set by the services themselves, or checked by their rules."""


def _full_clean(
    customer: Customer, errors: FieldErrors, *, only: Iterable[str] | None = None
) -> None:
    """The model's shape checks; ``only`` names the fields to check (the bulk service checks
    the fields a new card's values changed from its already checked template)."""
    full_clean_into(customer, errors, exclude=CLEAN_EXCLUDED, only=only)


def _check_unique(customer: Customer, errors: FieldErrors) -> None:
    others = Customer.objects.exclude(pk=customer.pk) if customer.pk else Customer.objects.all()
    if customer.external_id and others.filter(external_id=customer.external_id).exists():
        errors.add("external_id", _("Another customer already has this external id."))
    if customer.credit_code and others.filter(credit_code=customer.credit_code).exists():
        errors.add(
            "credit_code", _("Another customer already has this unified social credit code.")
        )


def _refresh_derived(
    customer: Customer,
    contact_values: list[str],
    *,
    romanise: Callable[..., Romanisation] = name_romanisations,
) -> None:
    """Pinyin, initials, search words and per-character tokens from the card's names;
    ``romanise`` is ``name_romanisations`` or a memo of it (the bulk service's)."""
    roman = romanise(customer.name, person=customer.kind == CustomerKind.PERSON)
    customer.name_pinyin = roman.pinyin[:200]
    customer.name_initials = roman.initials[:40]
    words = [
        roman.pinyin,
        roman.initials,
        *roman.variants,
        *(romanise(customer.name_en).pinyin for _ in [0] if customer.name_en),
        *contact_values,
    ]
    customer.search_text = search_words(words)
    customer.name_chars = char_text(customer.name)
    customer.company_chars = char_text(customer.company_name)


def _contact_values_by_kind(writes: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """(normalized, shown) per contact kind present in ``writes``; first one is primary."""
    kinds: dict[str, list[tuple[str, str]]] = {}
    if "phones" in writes:
        phones = writes["phones"]
        kinds[ContactPointKind.MOBILE] = [
            (p, contacts.national_digits(p)) for p in phones if contacts.is_mobile(p)
        ]
        kinds[ContactPointKind.PHONE] = [
            (p, contacts.national_digits(p)) for p in phones if not contacts.is_mobile(p)
        ]
    if "emails" in writes:
        kinds[ContactPointKind.EMAIL] = [(e, e) for e in writes["emails"]]
    for key, kind in (("wechat", ContactPointKind.WECHAT), ("qq", ContactPointKind.QQ)):
        if key in writes:
            kinds[kind] = [(writes[key], writes[key])] if writes[key] else []
    return kinds


def _write_contact_points(customer: Customer, writes: dict[str, Any]) -> None:
    """Replace the contact points of each kind present in ``writes``."""
    kinds = _contact_values_by_kind(writes)
    if not kinds:
        return
    ContactPoint.objects.filter(customer=customer, kind__in=list(kinds)).delete()
    ContactPoint.objects.bulk_create(
        ContactPoint(
            customer=customer, kind=kind, normalized=normalized, value=shown, is_primary=(i == 0)
        )
        for kind, values in kinds.items()
        for i, (normalized, shown) in enumerate(values)
    )


def _sync_contact_summary(customer: Customer, writes: dict[str, Any]) -> list[str]:
    """Primary phone/email columns for lists and search; returns the search words."""
    if "phones" in writes:
        phones = writes["phones"]
        mobile = next((p for p in phones if contacts.is_mobile(p)), None)
        primary = mobile or (phones[0] if phones else "")
        customer.primary_phone = primary
        customer.phone_tail = contacts.phone_tail(primary) if primary else ""
    if "emails" in writes:
        customer.primary_email = writes["emails"][0] if writes["emails"] else ""
    words = [contacts.national_digits(customer.primary_phone)] if customer.primary_phone else []
    if customer.primary_email:
        words.append(customer.primary_email)
    if customer.external_id:
        words.append(customer.external_id)
    return words


def _write_tags(customer: Customer, names: list[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    customer.tags.set(Tag.objects.filter(name__in=names))


def _save(customer: Customer) -> None:
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:  # a concurrent writer took the same unique value
        raise Conflict(_("Another customer already has this external id or credit code.")) from exc


def customer_create(*, actor: User, data: Mapping[str, Any]) -> Customer:
    """Create a customer card. Sales become the owner; others may name one within their reach.

    Raises PermissionDenied when the actor may not create customers, ValidationFailed listing
    every invalid field. Nothing is written on error.
    """
    if not policy.can_create_customer(actor):
        raise PermissionDenied()
    data = dict(data)
    if actor.role == Role.SALES or "owner_id" not in data:
        data.setdefault("owner_id", actor.pk)
    errors = FieldErrors()
    customer = Customer(created_by=actor)
    writes = _apply_values(customer, data, actor, errors, creating=True)
    if customer.status == CustomerStatus.ARCHIVED:
        errors.add("status", _("A new customer cannot be archived."))
    _full_clean(customer, errors)
    _check_unique(customer, errors)
    errors.raise_if_any()
    with transaction.atomic():
        _refresh_derived(customer, _sync_contact_summary(customer, writes))
        _save(customer)
        _write_contact_points(customer, writes)
        if "tags" in writes:
            _write_tags(customer, writes["tags"])
        initial = {k: val for k, val in _snapshot(customer).items() if val not in ("", None, False)}
        changes = field_diff({}, initial)
        changes.update(_contact_diff(_contact_lists(None), _contact_lists(customer.pk)))
        if writes.get("tags"):
            changes["tags"] = [[], sorted(set(writes["tags"]))]
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=customer,
            customer_id=customer.pk,
            changes=changes,
        )
    return customer


def _locked_in_scope(actor: User, customer_id: int) -> Customer:
    customer = visible_customers(actor).select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


def customer_update(
    *, actor: User, customer_id: int, data: Mapping[str, Any], expected_version: int | None = None
) -> Customer:
    """Change some fields of a customer in the actor's scope (partial update).

    ``expected_version`` enables optimistic locking: a stale edit raises Conflict instead of
    overwriting someone else's change. Tags and contact lists are replaced when present.
    """
    if not policy.can_update_customers(actor):
        # Same answer as for a record outside the scope when the actor cannot even see it.
        customer_ensure_visible(viewer=actor, customer_id=customer_id)
        raise PermissionDenied()
    with transaction.atomic():
        customer = _locked_in_scope(actor, customer_id)
        if expected_version is not None and customer.version != expected_version:
            raise Conflict()
        if customer.erased_at is not None:
            # Erased on request (PIPL): typing personal data back in would undo the erasure.
            raise Conflict(
                _(
                    "This customer's personal data was erased on request; the card cannot be "
                    "edited."
                ),
                code="customer_erased",
            )
        before = _snapshot(customer)
        before_tags = sorted(customer.tags.values_list("name", flat=True))
        before_contacts = _contact_lists(customer.pk)
        errors = FieldErrors()
        writes = _apply_values(customer, data, actor, errors, creating=False)
        _full_clean(customer, errors)
        _check_unique(customer, errors)
        errors.raise_if_any()
        _refresh_derived(customer, _sync_contact_summary(customer, writes))
        changes = field_diff(before, _snapshot(customer))
        after_contacts = dict(before_contacts)
        for kind, values in _contact_values_by_kind(writes).items():
            after_contacts[kind] = [normalized for normalized, _shown in values]
        changes.update(_contact_diff(before_contacts, after_contacts))
        if "tags" in writes and sorted(set(writes["tags"])) != before_tags:
            changes["tags"] = [before_tags, sorted(set(writes["tags"]))]
        if not changes:
            return customer  # nothing to write: no version bump, no audit row
        customer.version = F("version") + 1
        customer.updated_at = timezone.now()
        _save(customer)
        customer.refresh_from_db(fields=["version"])
        _write_contact_points(customer, writes)
        if "tags" in writes:
            _write_tags(customer, writes["tags"])
        if changes:
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                obj=customer,
                customer_id=customer.pk,
                changes=changes,
            )
    return customer


def _set_status(
    actor: User, customer: Customer, status: CustomerStatus, action: str, *, note: str = ""
) -> None:
    """Write a locked customer's new status with a version bump, and audit it (old -> new)."""
    old = customer.status
    customer.status = status
    customer.version = F("version") + 1
    customer.updated_at = timezone.now()
    customer.save(update_fields=["status", "version", "updated_at"])
    customer.refresh_from_db(fields=["version"])
    audit_record(
        actor=actor,
        action=action,
        obj=customer,
        customer_id=customer.pk,
        changes={"status": [old, status]},
        note=note,
    )


def customer_archive(*, actor: User, customer_id: int, reason: str = "") -> Customer:
    """Archive (soft-delete) a customer: hidden from lists, history and ledger kept."""
    customer_ensure_visible(viewer=actor, customer_id=customer_id)
    if not policy.can_archive_customers(actor):
        raise PermissionDenied()
    with transaction.atomic():
        customer = _locked_in_scope(actor, customer_id)
        if customer.status == CustomerStatus.ARCHIVED:
            return customer
        _set_status(actor, customer, CustomerStatus.ARCHIVED, AuditAction.ARCHIVE, note=reason)
    return customer


def customer_restore(*, actor: User, customer_id: int) -> Customer:
    """Bring an archived customer back as active."""
    customer_ensure_visible(viewer=actor, customer_id=customer_id)
    if not policy.can_archive_customers(actor):
        raise PermissionDenied()
    with transaction.atomic():
        customer = _locked_in_scope(actor, customer_id)
        if customer.status != CustomerStatus.ARCHIVED:
            return customer
        if customer.merged_into_id is not None:
            # Its records live on the surviving card; only undoing the merge brings it back.
            raise Conflict(
                _("This card was merged into another one; undo the merge to bring it back."),
                code="customer_merged",
            )
        _set_status(actor, customer, CustomerStatus.ACTIVE, AuditAction.RESTORE)
    return customer


def customer_reveal_pii(*, actor: User, customer_id: int) -> dict[str, list[str]]:
    """Unmasked contact values for a permitted viewer; every reveal is audit-logged."""
    customer_ensure_visible(viewer=actor, customer_id=customer_id)
    if not policy.can_reveal_pii(actor):
        raise PermissionDenied()
    points = ContactPoint.objects.filter(customer_id=customer_id).order_by("-is_primary", "id")
    revealed: dict[str, list[str]] = {}
    for point in points:
        revealed.setdefault(point.kind, []).append(point.value)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.REVEAL,
            object_type="customers.customer",
            object_id=str(customer_id),
            customer_id=customer_id,
            changes={"fields": sorted(revealed)},
        )
    return revealed


def customer_touch_counts(*, customer_id: int, interaction_at: dt.datetime) -> None:
    """Advance ``last_interaction_at`` (never moves backwards). Called inside a transaction."""
    Customer.objects.filter(pk=customer_id).filter(last_interaction_at__isnull=True).update(
        last_interaction_at=interaction_at
    )
    Customer.objects.filter(pk=customer_id, last_interaction_at__lt=interaction_at).update(
        last_interaction_at=interaction_at
    )
