"""New customer cards in bulk: ``customer_create``'s rules for a chunk, in a few statements.

Why: ``customer_create`` costs a dozen statements per card (10–20 ms on a small server), so a
100,000-row import would take half an hour. This service validates a chunk of new cards, then
writes them set-based (``tiercard.core.bulk_insert``: multi-row INSERTs, COPY on PostgreSQL).

Invariants, the same as ``customer_create`` with no owner given (tested side by side in
``tests/customers/test_bulk_create.py``):

- the actor must be allowed to create customers (PermissionDenied) and may own customers:
  every new card belongs to the actor and the actor's team. ``owner_id`` is not accepted
  here ("Unknown field"): a card for someone else goes through ``customer_create``;
- every value rule (``services._apply_values``), "a new card cannot be archived", the model's
  shape (lengths, choices, blanks) and the uniqueness of external ids and unified social
  credit codes, against stored cards *and* the chunk's earlier cards;
- the same derived columns (pinyin, initials, search words, per-character tokens, primary
  phone and email, phone tail), contact points (the first of each kind primary), tags (new
  names created), and one audit row per card with the changes ``customer_create`` records
  (initial values, contacts masked, tags), in the caller's interface;
- nothing is written for a card that fails; ``customers_bulk_create`` writes nothing at all
  when any card fails. The database's constraints stay the backstop: a concurrent writer
  that takes a unique value first makes ``customers_bulk_insert`` raise ``IntegrityError``
  inside its savepoint (the caller then goes card by card).

Speed without a second set of rules: each card starts as a copy of one template card (the
defaults of the actor's new card, shape-checked once), so the model check runs only on the
fields a card's values changed, the template's own findings standing for the others; names
are romanised through a bounded memo (lists repeat names).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import itertools
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import INSERT_COLUMNS, AuditAction, AuditEvent
from tiercard.core.bulk_insert import insert_values, inserting_objects
from tiercard.core.context import current_interface, current_remote_addr
from tiercard.core.errors import FieldErrors, PermissionDenied, ValidationFailed
from tiercard.core.text import name_romanisations
from tiercard.customers import services as cs
from tiercard.customers.models import (
    ContactPoint,
    ContactPointKind,
    Customer,
    CustomerStatus,
    Tag,
)

ROMANISE_MEMO = 32_768
_romanise = functools.lru_cache(maxsize=ROMANISE_MEMO)(name_romanisations)

UNIQUE_MESSAGES: dict[str, Promise] = {
    "external_id": _("Another customer already has this external id."),
    "credit_code": _("Another customer already has this unified social credit code."),
}
CONTACT_COLUMNS = (
    "customer_id",
    "kind",
    "value",
    "normalized",
    "label",
    "is_primary",
    "opted_out",
    "created_at",
)
AUDIT_COLUMNS = INSERT_COLUMNS


@dataclass
class NewCard:
    """A validated, unsaved card and the contact points and tags to write with it."""

    customer: Customer
    writes: dict[str, Any]


class _Drafts:
    """One call's starting point: the actor's new card with its defaults, checked once."""

    def __init__(self, actor: User) -> None:
        self.actor = actor
        self.template = Customer(created_by=actor, owner=actor, team_id=actor.team_id)
        found = FieldErrors()
        cs._full_clean(self.template, found)  # also leaves the template's values cleaned
        self.template_errors = found.errors
        owner = FieldErrors()
        cs._resolve_owner(actor, actor.pk, owner)  # as customer_create with no owner given
        self.owner_errors = owner.errors
        fields = Customer._meta.concrete_fields
        self.fields = [f.name for f in fields]
        # A card's column values read from its __dict__ (the copy holds every column there).
        self.values_of = operator.itemgetter(*(f.attname for f in fields))
        self.template_values = self.values_of(self.template.__dict__)

    def draft(self, data: Mapping[str, Any]) -> tuple[Customer, dict[str, Any], FieldErrors]:
        errors = FieldErrors()
        for name, messages in self.owner_errors.items():
            for message in messages:
                errors.add(name, message)
        values = dict(data)
        if "owner_id" in values:
            del values["owner_id"]
            errors.add("owner_id", _("Unknown field."))
        customer = self._copy()
        writes = cs._apply_values(customer, values, self.actor, errors, creating=True)
        if customer.status == CustomerStatus.ARCHIVED:
            errors.add("status", _("A new customer cannot be archived."))
        self._shape(customer, errors)
        return customer, writes, errors

    def _copy(self) -> Customer:
        """A new instance with the template's values (``copy.copy`` without its pickling
        detour; the instance state and its related-object cache are the copy's own)."""
        customer = Customer.__new__(Customer)
        customer.__dict__.update(self.template.__dict__)
        state = copy.copy(self.template._state)
        state.fields_cache = dict(self.template._state.fields_cache)
        customer._state = state
        return customer

    def _shape(self, customer: Customer, errors: FieldErrors) -> None:
        """The model check of ``customer_create``: the fields the values changed are checked
        here, the others hold the template's very objects and its findings apply."""
        # Which columns hold another object than the template's, compared in C (this runs
        # for every card of a large import).
        moved = map(operator.is_not, self.values_of(customer.__dict__), self.template_values)
        changed = set(itertools.compress(self.fields, moved))
        found = FieldErrors()
        cs._full_clean(customer, found, only=changed)
        if not found and not self.template_errors:
            return
        for name in self.fields:
            source = found.errors if name in changed else self.template_errors
            for message in source.get(name, ()):
                errors.add(name, message)


def customers_bulk_validate(
    *, actor: User, items: Sequence[Mapping[str, Any]]
) -> list[NewCard | ValidationFailed]:
    """Each item's card, validated as ``customer_create`` would, or why it is refused; one
    result per item, in order. Reads only. PermissionDenied when the actor may not create."""
    if not policy.can_create_customer(actor):
        raise PermissionDenied()
    drafts = _Drafts(actor)
    drafted = [drafts.draft(data) for data in items]
    taken = _taken([customer for customer, _w, _e in drafted])
    seen: set[tuple[str, str]] = set()
    results: list[NewCard | ValidationFailed] = []
    for customer, writes, errors in drafted:
        keys = [(n, getattr(customer, n)) for n in UNIQUE_MESSAGES if getattr(customer, n)]
        for key in keys:
            if key in taken or key in seen:
                errors.add(key[0], UNIQUE_MESSAGES[key[0]])
        if errors:
            results.append(ValidationFailed(fields=errors.errors))
        else:
            seen.update(keys)  # a refused card does not hold its values against later ones
            results.append(NewCard(customer, writes))
    return results


def _taken(customers: Sequence[Customer]) -> set[tuple[str, str]]:
    taken: set[tuple[str, str]] = set()
    for name in UNIQUE_MESSAGES:
        wanted = {getattr(c, name) for c in customers} - {""}
        if wanted:
            taken.update(
                (name, value)
                for value in Customer.objects.exclude(**{name: ""})
                .filter(**{f"{name}__in": wanted})
                .values_list(name, flat=True)
            )
    return taken


def customers_bulk_insert(*, actor: User, cards: Sequence[NewCard]) -> list[Customer]:
    """Write cards that ``customers_bulk_validate`` passed for the same actor: the cards
    (primary keys set on them), their contact points and tags, one audit row each, all or
    none. IntegrityError when a constraint refuses a card (a concurrent writer): inside a
    caller's transaction, roll back to a savepoint taken before the call."""
    if not policy.can_create_customer(actor):
        raise PermissionDenied()
    customers = [card.customer for card in cards]
    if not cards:
        return customers
    writes = {id(card.customer): card.writes for card in cards}

    def derive(customer: Customer) -> None:
        words = cs._sync_contact_summary(customer, writes[id(customer)])
        cs._refresh_derived(customer, words, romanise=_romanise)

    contacts = [cs._contact_values_by_kind(card.writes) for card in cards]
    now = timezone.now()
    interface, remote = current_interface(), current_remote_addr()[:64]
    # No savepoint of its own inside a caller's transaction (each costs two round trips per
    # chunk): an error leaves through the caller's savepoint, which rolls the chunk back.
    with transaction.atomic(savepoint=False):
        with inserting_objects(Customer, customers, before=derive):
            # The database stores the cards while their other rows are made (no statement).
            contact_rows = [
                (card.customer.pk, kind, shown, normalized, "", i == 0, False, now)
                for card, kinds in zip(cards, contacts, strict=True)
                for kind, values in kinds.items()
                for i, (normalized, shown) in enumerate(values)
            ]
            audit_rows = [
                (
                    now,
                    actor.pk,
                    actor.username,
                    interface,
                    remote,
                    AuditAction.CREATE.value,
                    "customers.customer",
                    str(card.customer.pk),
                    card.customer.pk,
                    _audit_changes(card, kinds),
                    "",
                )
                for card, kinds in zip(cards, contacts, strict=True)
            ]
        insert_values(ContactPoint, CONTACT_COLUMNS, contact_rows)
        _write_tags(cards)
        insert_values(AuditEvent, AUDIT_COLUMNS, audit_rows)
    return customers


def customers_bulk_create(*, actor: User, items: Sequence[Mapping[str, Any]]) -> list[Customer]:
    """Create one card per item, all or none: ValidationFailed (fields named
    ``items.<index>.<field>``) and nothing written when any item is refused."""
    results = customers_bulk_validate(actor=actor, items=items)
    errors = FieldErrors()
    for index, result in enumerate(results):
        if isinstance(result, ValidationFailed):
            for name, messages in result.fields.items():
                for message in messages:
                    errors.add(f"items.{index}.{name}", message)
    errors.raise_if_any()
    return customers_bulk_insert(actor=actor, cards=[r for r in results if isinstance(r, NewCard)])


def _write_tags(cards: Sequence[NewCard]) -> None:
    names = {n for card in cards for n in card.writes.get("tags", [])}
    if not names:
        return
    Tag.objects.bulk_create([Tag(name=n) for n in sorted(names)], ignore_conflicts=True)
    ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
    insert_values(
        Customer.tags.through,
        ["customer_id", "tag_id"],
        (
            (card.customer.pk, ids[n])
            for card in cards
            for n in sorted(set(card.writes.get("tags", [])))
        ),
    )


def _audit_value(value: Any) -> Any:
    """An audited column's value as ``audit_record`` stores it (``audit.services.field_diff``:
    decimals as text, dates as ISO; the other audited columns are text, numbers, flags)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return value


_audited_values = operator.attrgetter(*cs.AUDITED)
_NO_CONTACTS: dict[str, list[str]] = {kind: [] for kind in ContactPointKind.values}


def _audit_changes(card: NewCard, kinds: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    """The changes ``customer_create`` audits: initial values, contacts masked, tags.

    ``field_diff({}, initial)`` made directly: every value set on a new card, ``[None, value]``.
    """
    customer, writes = card.customer, card.writes
    changes: dict[str, Any] = {}
    for name, value in zip(cs.AUDITED, _audited_values(customer), strict=True):
        if value not in ("", None, False):
            changes[name] = [None, _audit_value(value)]
    after = dict(_NO_CONTACTS)
    for kind, values in kinds.items():  # cs._contact_values_by_kind(writes)
        after[kind] = [normalized for normalized, _shown in values]
    changes.update(cs._contact_diff(_NO_CONTACTS, after))
    if writes.get("tags"):
        changes["tags"] = [[], sorted(set(writes["tags"]))]
    return changes
