"""Erasure on request (PIPL art. 47, GDPR art. 17) by anonymisation, keeping the books intact.

What ``customer_erase`` does, in one transaction, under the customer's row lock:

- the card, and every card merged into it earlier (the same person's old cards, kept by
  duplicate merging), each: name → ``已删除客户 #<id>``; English name, romanisations,
  phones, emails, messenger ids, birthday (solar and lunar), gender, occupation, employer,
  position, district, street address, postal code, external id, credit code and every
  free-text field are cleared;
  marketing consent is withdrawn; ``erased_at`` / ``erased_by`` are set. Province and city stay
  (a coarse region, for regional figures); so do type, status, owner, team, tags, registration
  date and the purchase aggregates;
- the search index: the search columns are emptied, so neither database's index (FTS5 rows kept
  by triggers on SQLite, GIN indexes on PostgreSQL) finds the old name, pinyin or phone;
- contact points are deleted; contact persons keep their rows (interactions point at them) with
  a placeholder name and no contact values or notes;
- interactions keep kind, time and outcome, their summary becomes a placeholder and the next
  step is cleared; service tickets keep kind, status, times, tier terms and staff, their
  subject becomes a placeholder and so do their detail and resolution where they held text
  (a resolved ticket still says it was resolved); tier override requests keep tier, dates,
  status and staff, their reason and decision note become the placeholder; card notes become a
  placeholder; purchase
  and return notes are cleared;
- purchases, lines, returns, the points ledger (append-only: never updated here), tier history,
  benefit uses, redemptions and the membership row are untouched, so balances, totals and the
  dashboard figures stay exactly the same — but for the written reason of a manual override
  (the membership's ``override_reason`` and the manual tier change's note), which becomes the
  placeholder: it may name people;
- pending outgoing messages to the customer are skipped; duplicate detection's stored match
  keys of the customer and its open candidate pairs are deleted (dismissed and merged pairs,
  being decisions, stay);
- the audit log keeps every row, but the values of personal fields in earlier rows about the
  customer (``changes`` diffs, and notes that are someone's writing: an override request's,
  the reason an override was ended) are replaced by ``[已删除]``, and any other text there
  that contains one of the erased values has that value replaced. This is the one place where
  the application rewrites audit rows: the log must not remain a copy of the erased data;
- one audit row records the erasure (who, when, which fields, how many audit rows were redacted,
  the reason). The reason is the operator's text and should not repeat personal data.

Points entries' own notes are not rewritten (the ledger is append-only); staff write those.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.audit.services import audit_record
from tiercard.cards.models import CardNote
from tiercard.core import contacts
from tiercard.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from tiercard.customers.models import (
    BirthdayCalendar,
    Contact,
    ContactPoint,
    Customer,
    Gender,
)
from tiercard.customers.selectors import visible_customers
from tiercard.dedupe.models import DuplicatePair, MatchKey, PairStatus
from tiercard.interactions.models import Interaction
from tiercard.loyalty.models import ChangeReason, Membership, OverrideRequest, TierChange
from tiercard.loyalty.services.window import window_share_lock
from tiercard.loyalty.system_reasons import SYSTEM_PREFIXES
from tiercard.outbox.models import MessageStatus, OutboxMessage
from tiercard.privacy.policy import can_erase_customer
from tiercard.sales.models import Purchase, PurchaseReturn
from tiercard.servicedesk.models import ServiceTicket

ERASED_CONTACT = "已删除联系人"
ERASED_TEXT = "（已删除）"
REDACTED = "[已删除]"
MIN_NEEDLE = 2  # shorter values would blank unrelated text

# The card's personal text fields: cleared on the card, and redacted whole wherever an earlier
# audit diff names them. One list, so a field cannot be cleared yet survive in the log.
PERSONAL_TEXT_FIELDS = (
    "name_en",
    "external_id",
    "occupation",
    "company_name",
    "position",
    "district",
    "address",
    "postal_code",
    "business_scope",
    "main_products",
    "credit_code",
    "credit_notes",
    "needs",
    "interests",
    "preferences",
    "special_needs",
    "notes",
    "consent_source",
)
# Derived from the name and the contact points (search columns, the denormalised primary
# contact); never in audit diffs, cleared with the rest.
DERIVED_TEXT_FIELDS = (
    "name_pinyin",
    "name_initials",
    "search_text",
    "name_chars",
    "company_chars",
    "primary_phone",
    "phone_tail",
    "primary_email",
)
CLEARED_TEXT_FIELDS = PERSONAL_TEXT_FIELDS + DERIVED_TEXT_FIELDS

# Keys of audit diffs that hold a person's data (customer and contact-person fields, note,
# interaction and service ticket texts); their values are redacted whole.
PERSONAL_AUDIT_KEYS = frozenset(
    {
        "name",
        *PERSONAL_TEXT_FIELDS,
        "birthday",
        "birthday_calendar",
        "lunar_birth_month",
        "lunar_birth_day",
        "lunar_birth_leap",
        "gender",
        "title",
        "department",
        "mobile",
        "phone",
        "email",
        "wechat",
        "qq",
        "body",
        "summary",
        "next_step",
        "subject",
        "detail",
        "resolution",
        "override_reason",
    }
)
# Audit rows whose note is the text someone wrote about the customer: an override request's
# reason or decision note (the request's own rows), the reason an override was ended (the
# membership's row, "tier override cleared: <reason>"). Redacted whole, prefix kept.
WRITTEN_NOTE_OBJECTS = ("loyalty.overriderequest",)
WRITTEN_NOTE_PREFIXES = ("tier override cleared: ",)


def erased_name(customer_id: int) -> str:
    return f"已删除客户 #{customer_id}"


def check_confirmation(customer_id: int, typed: object) -> None:
    """The interfaces ask the operator to type the customer's number before erasing."""
    if str(typed or "").strip().lstrip("#") != str(customer_id):
        errors = FieldErrors()
        errors.add("confirm", _("Type the customer's number to confirm the erasure."))
        errors.raise_if_any()


def _needles(customer: Customer) -> list[str]:
    """Every erased value that could appear in free text elsewhere, longest first."""
    values = [
        customer.name,
        customer.name_en,
        customer.company_name,
        customer.address,
        customer.external_id,
        customer.credit_code,
        customer.primary_email,
    ]
    for point in ContactPoint.objects.filter(customer=customer):
        values += [point.value, point.normalized]
        if point.normalized.startswith("+"):
            values.append(contacts.national_digits(point.normalized))
    for person in Contact.objects.filter(customer=customer):
        values += [person.name, person.mobile, person.phone, person.email, person.wechat]
    if customer.birthday:
        values.append(customer.birthday.isoformat())
    found = {v.strip() for v in values if v and len(v.strip()) >= MIN_NEEDLE}
    return sorted(found, key=len, reverse=True)


def _scrub_text(text: str, needles: list[str]) -> str:
    for needle in needles:
        if needle in text:
            text = text.replace(needle, REDACTED)
    return text


def _scrub(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        return _scrub_text(value, needles)
    if isinstance(value, list):
        return [_scrub(v, needles) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, needles) for k, v in value.items()}
    return value


def _redact(value: Any) -> Any:
    """A personal value replaced, keeping the ``[old, new]`` shape and empty sides empty."""
    if isinstance(value, list):
        return [_redact(v) for v in value]
    if value in (None, "", False, []):
        return value
    return REDACTED


def redact_audit_changes(changes: dict[str, Any], needles: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in changes.items():
        personal = key in PERSONAL_AUDIT_KEYS or key.startswith("contacts.")
        out[key] = _redact(value) if personal else _scrub(value, needles)
    return out


def _redact_written_note(object_type: str, note: str, needles: list[str]) -> str:
    if not note:
        return note
    if object_type in WRITTEN_NOTE_OBJECTS:
        return REDACTED
    for prefix in WRITTEN_NOTE_PREFIXES:
        if note.startswith(prefix):
            return prefix + REDACTED
    return _scrub_text(note, needles)


def _redact_audit_trail(customer_id: int, needles: list[str]) -> int:
    """Rewrite the personal values of the customer's earlier audit rows; the rows stay."""
    changed = 0
    for event in AuditEvent.objects.filter(customer_id=customer_id).only(
        "changes", "note", "object_type"
    ):
        changes = redact_audit_changes(event.changes or {}, needles)
        note = _redact_written_note(event.object_type, event.note, needles)
        if changes != event.changes or note != event.note:
            AuditEvent.objects.filter(pk=event.pk).update(changes=changes, note=note)
            changed += 1
    return changed


def _anonymise_card(customer: Customer, actor: User) -> None:
    for field in CLEARED_TEXT_FIELDS:
        setattr(customer, field, "")
    customer.name = erased_name(customer.pk)
    customer.gender = Gender.UNKNOWN
    customer.birthday = None
    customer.birthday_calendar = BirthdayCalendar.SOLAR
    customer.lunar_birth_month = customer.lunar_birth_day = None
    customer.lunar_birth_leap = False
    customer.consent_marketing = False
    customer.erased_at = timezone.now()
    customer.erased_by = actor
    customer.updated_at = customer.erased_at
    customer.version = F("version") + 1
    customer.save()
    customer.refresh_from_db(fields=["version"])


def _anonymise_related(customer_id: int) -> None:
    ContactPoint.objects.filter(customer_id=customer_id).delete()
    Contact.objects.filter(customer_id=customer_id).update(
        name=ERASED_CONTACT, title="", department="", mobile="", phone="", email="", wechat="",
        notes="",
    )  # fmt: skip
    Interaction.objects.filter(customer_id=customer_id).update(summary=ERASED_TEXT, next_step="")
    tickets = ServiceTicket.objects.filter(customer_id=customer_id)
    # Locked first: a resolution being written now commits before the blanking reads it (an
    # UPDATE ... WHERE resolution <> '' would skip the row a writer holds, seen empty).
    list(tickets.select_for_update().values_list("pk", flat=True))
    tickets.update(subject=ERASED_TEXT)
    tickets.exclude(detail="").update(detail=ERASED_TEXT)
    tickets.exclude(resolution="").update(resolution=ERASED_TEXT)
    requests = OverrideRequest.objects.filter(customer_id=customer_id)
    list(requests.select_for_update().values_list("pk", flat=True))  # as the tickets, above
    requests.update(reason=ERASED_TEXT)
    requests.exclude(note="").update(note=ERASED_TEXT)
    # An override's reason may name people; the tier, dates and deciders stay. The manual tier
    # change copied the reason into its note (other changes' notes are the system's own, and so
    # are an import's reason and an undone merge's note: ``system_reasons``).
    system = Q()
    for prefix in SYSTEM_PREFIXES:
        system |= Q(override_reason__startswith=prefix)
    Membership.objects.filter(customer_id=customer_id).exclude(override_reason="").exclude(
        system
    ).update(override_reason=ERASED_TEXT)
    notes = TierChange.objects.filter(customer_id=customer_id, reason=ChangeReason.MANUAL)
    for prefix in SYSTEM_PREFIXES:
        notes = notes.exclude(note__startswith=prefix)
    notes.exclude(note="").update(note=ERASED_TEXT)
    CardNote.objects.filter(customer_id=customer_id).update(body=ERASED_TEXT)
    Purchase.objects.filter(customer_id=customer_id).exclude(note="").update(note="")
    PurchaseReturn.objects.filter(purchase__customer_id=customer_id).exclude(reason="").update(
        reason=""
    )
    OutboxMessage.objects.filter(customer_id=customer_id, status=MessageStatus.PENDING).update(
        status=MessageStatus.SKIPPED, last_error="customer erased"
    )
    # Duplicate detection: the stored keys are the person's phones, emails and name forms; an
    # open candidate pair would only point at data that is gone. Decided pairs stay.
    MatchKey.objects.filter(customer_id=customer_id).delete()
    DuplicatePair.objects.filter(
        Q(customer_a_id=customer_id) | Q(customer_b_id=customer_id), status=PairStatus.OPEN
    ).delete()


def _lock_loyalty_rows(customer_ids: list[int]) -> None:
    """The cards' override requests and membership rows, locked before the cards in the order
    of the writers that lock them (window share lock, requests, memberships, then cards: a
    purchase locks the membership and then updates the card, a merge locks the requests and
    memberships before the cards). Taken the other way round, an erasure and a purchase or a
    merge of the same card would each wait for the other (PostgreSQL aborts one of them)."""
    ids = sorted(customer_ids)
    window_share_lock()
    list(
        OverrideRequest.objects.select_for_update()
        .filter(customer_id__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(
        Membership.objects.select_for_update()
        .filter(customer_id__in=ids)
        .order_by("customer_id")
        .values_list("pk", flat=True)
    )


def _merged_cards(customer_id: int, *, lock: bool = True) -> list[Customer]:
    """Cards merged into this one, directly or through others: the same person's old cards."""
    found: list[Customer] = []
    seen = {customer_id}
    frontier = [customer_id]
    cards = Customer.objects.select_for_update() if lock else Customer.objects.all()
    while frontier:
        batch = list(
            cards.filter(merged_into_id__in=frontier, erased_at__isnull=True).exclude(pk__in=seen)
        )
        found += batch
        frontier = [c.pk for c in batch]
        seen.update(frontier)
    return found


def customer_erase(*, actor: User, customer_id: int, reason: str) -> Customer:
    """Anonymise one customer's personal data; the books and figures stay as they were.

    Raises NotFound (also for a customer outside the actor's scope), PermissionDenied for roles
    other than admin, ValidationFailed without a reason, Conflict (``already_erased``) for a
    customer erased before. Nothing is written on error.
    """
    if not visible_customers(actor).filter(pk=customer_id).exists():
        raise NotFound()
    if not can_erase_customer(actor):
        raise PermissionDenied()
    reason = " ".join(str(reason or "").split())
    if not reason:
        errors = FieldErrors()
        errors.add("reason", _("Give the reason for the erasure (e.g. the request's reference)."))
        errors.raise_if_any()
    with transaction.atomic():
        _lock_loyalty_rows([customer_id, *(c.pk for c in _merged_cards(customer_id, lock=False))])
        customer = visible_customers(actor).select_for_update().filter(pk=customer_id).first()
        if customer is None:
            raise NotFound()
        if customer.erased_at is not None:
            raise Conflict(
                _("This customer's personal data was erased already."), code="already_erased"
            )
        merged = _merged_cards(customer.pk)
        needles = sorted(
            {n for card in (customer, *merged) for n in _needles(card)}, key=len, reverse=True
        )
        redacted = 0
        for card in (customer, *merged):
            _anonymise_related(card.pk)
            _anonymise_card(card, actor)
            redacted += _redact_audit_trail(card.pk, needles)
        for card in (customer, *merged):
            audit_record(
                actor=actor,
                action=AuditAction.DELETE,
                object_type="privacy.erasure",
                object_id=str(card.pk),
                customer_id=card.pk,
                changes={
                    "erased": True,
                    "audit_rows_redacted": redacted,
                    "merged_cards": [c.pk for c in merged],
                }
                if card is customer
                else {"erased": True, "merged_into": customer.pk},
                note=_scrub_text(reason, needles),
            )
    return customer
