"""Customer rows: create, update or both, keyed by phone, email, external id or credit code.

Rules (tested in ``tests/imports/test_services_customers.py``):
- every write is ``customer_create`` / ``customer_update`` (their validation, scope, owner
  and audit rules apply as in the web UI);
- a key that matches a customer outside the actor's scope is refused without a word about
  that customer (in update mode it reads exactly like "no such customer");
- an update never loses data: empty cells change nothing, phones, emails and tags from the
  sheet are *added* to the card's own (a multi-phone card keeps its other phones);
- create mode skips rows whose key already exists (counted unchanged), so re-running a file
  in any mode changes nothing the second time;
- the owner column is used only when the actor may assign owners; a sales rep's new
  customers are their own (``customer_create``), other owners named are skipped with a note;
- ``points``: a new (or never credited) customer's opening balance, one ``points_adjust``
  entry keyed ``import-opening-<customer>``, so it is posted at most once; managers only;
- ``tier``: validated against the ladder. A tier above the one the customer holds becomes a
  manual override (reason "import #N", one year) set by a manager; a lower one is noted and
  left (purchases decide, never a sheet downgrade);
- ``spend_total`` is read but never written: spend comes from imported purchases;
- a contact person (``contact_*`` columns) is added through ``contact_add`` to the new or
  updated card, unless the card already has one of that name (and, when both give one, that
  mobile): re-running the file adds none, and an existing contact person is never changed.
  The card's first contact person is its primary one. Rows right below a row that give
  another contact person and either leave every customer cell blank or repeat its key (and
  at most its other values) add that person to the same card (``continues``: one row per
  contact person, the company's cells merged, repeated or left blank); a repeated key
  elsewhere is a duplicate as before.
  A new card whose name column is a company column (企业名称 ...) and whose sheet gives no
  type is a company;
- a new customer that looks like a card the actor can see (``dedupe.candidates_for``:
  phone, email, credit code, company core, pinyin + city) is created all the same, with a
  ``possible_duplicate`` note naming those cards, for the duplicate review to settle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import Role, User
from tiercard.core.errors import DomainError
from tiercard.core.text import fold_width
from tiercard.core.timeutils import business_today
from tiercard.customers.contact_persons import contact_add
from tiercard.customers.models import (
    Contact,
    ContactPointKind,
    Customer,
    CustomerKind,
    SourceChannel,
)
from tiercard.customers.services import customer_create, customer_update
from tiercard.dedupe.candidates import candidates_for
from tiercard.imports import bulk_customers as bulk
from tiercard.imports.apply_base import (
    NEW,
    UNCHANGED,
    UPDATED,
    CustomerFinder,
    RowFailed,
    Unit,
    fail,
    record_change,
    service_problems,
)
from tiercard.imports.headers import CONTACT_FIELDS, CUSTOMER_KEY_FIELD, names_a_company
from tiercard.imports.models import ChangeAction, ImportBatch, ImportMode, MatchKey
from tiercard.imports.permissions import can_set_opening_points, can_set_tier
from tiercard.imports.problems import RowProblem
from tiercard.imports.rows import ParsedRow
from tiercard.loyalty.models import Membership, PointsEntry
from tiercard.loyalty.services.overrides import tier_override
from tiercard.loyalty.services.points import points_adjust
from tiercard.loyalty.services.state import active_programme
from tiercard.loyalty.system_reasons import import_reason

IMPORT_ONLY = frozenset({"points", "tier", "spend_total", "owner", *CONTACT_FIELDS})
LIST_FIELDS = ("phones", "emails", "tags")
OVERRIDE_DAYS = 365
SLOW_FIELDS = ("points", "tier", "owner", *CONTACT_FIELDS)
"""Cells that send a new customer's row through the per-row services."""


def opening_key(customer_id: int) -> str:
    return f"import-opening-{customer_id}"


def snapshot(customer: Customer, keys: set[str]) -> dict[str, Any]:
    """The card's current values of ``keys``, in the shape ``customer_update`` accepts."""
    shot: dict[str, Any] = {}
    points = list(customer.contact_points.all())
    for key in sorted(keys):
        if key == "phones":
            shot[key] = [
                p.normalized
                for p in sorted(points, key=lambda p: (not p.is_primary, p.id))
                if p.kind in (ContactPointKind.MOBILE, ContactPointKind.PHONE)
            ]
        elif key == "emails":
            shot[key] = [
                p.normalized
                for p in sorted(points, key=lambda p: (not p.is_primary, p.id))
                if p.kind == ContactPointKind.EMAIL
            ]
        elif key in ("wechat", "qq"):
            shot[key] = next((p.normalized for p in points if p.kind == key), "")
        elif key == "tags":
            shot[key] = sorted(t.name for t in customer.tags.all())
        else:
            value = getattr(customer, key, None)
            shot[key] = value.isoformat() if isinstance(value, dt.date) else value
    return shot


def same_value(stored: Any, given: Any) -> bool:
    """Whether the sheet's value equals what the card holds (in ``snapshot`` form)."""
    if isinstance(given, dt.date):
        given = given.isoformat()
    if isinstance(given, list | tuple):
        return [str(v) for v in given] == [str(v) for v in (stored or [])]
    if given is None or given == "":
        return stored in (None, "")
    return str(stored if stored is not None else "").strip() == str(given).strip()


def _folded(text: Any) -> str:
    return "".join(fold_width(str(text or "")).lower().split())


def _same_person(data: dict[str, Any], name: str, mobile: str) -> bool:
    """Whether a stored contact person (name, mobile) is the sheet's: the same name, and the
    same mobile when both have one (the last eight digits: the sheet may write +86)."""
    if _folded(data.get("name")) != _folded(name):
        return False
    given = "".join(ch for ch in fold_width(str(data.get("mobile") or "")) if ch.isdigit())
    return not (given and mobile) or given[-8:] == mobile[-8:]


def load_cards(ids: set[int]) -> dict[int, Customer]:
    return {
        c.pk: c
        for c in Customer.objects.filter(pk__in=ids).prefetch_related("tags", "contact_points")
    }


class CustomerApplier:
    def __init__(self, batch: ImportBatch, actor: User, header_of: dict[str, str]) -> None:
        self.batch = batch
        self.actor = actor
        self.header_of = header_of
        self.key = batch.match_key
        self.key_field = CUSTOMER_KEY_FIELD[MatchKey(self.key)]
        self.finder = CustomerFinder(actor, self.key)
        self.cards: dict[int, Customer] = {}
        self.seen: dict[Any, int] = {}  # key value → first row number (duplicates in the file)
        self.seen_unique: dict[tuple[str, str], int] = {}
        self.active = active_programme()
        self.today = business_today()
        self.decided: dict[int, Customer | str | None] = {}
        self.unheld: set[str] = set()
        threshold = getattr(
            settings, "TIERCARD_IMPORT_BULK_FROM_BYTES", bulk.DEFAULT_BULK_FROM_BYTES
        )
        # The bulk service refuses an actor who may not create customers; the per-row path
        # then reports it on every row, as for a small file.
        self.bulk = batch.size >= threshold and policy.can_create_customer(actor)

    # --- per chunk -----------------------------------------------------------------------

    def key_of(self, row: ParsedRow) -> Any:
        value = row.values.get(self.key_field)
        if isinstance(value, list):
            value = value[0] if value else None
        return value or None

    def prepare(self, units: Sequence[Unit]) -> None:
        keys = {self.key_of(unit[0]) for unit in units} - {None}
        self.finder.load(keys)
        # Keys no card holds (looked up just now): the duplicate flagging need not ask again.
        self.unheld = {k for k in keys if isinstance(k, str) and not self.finder.get(k)}
        visible = {
            m.customer_id
            for unit in units
            for m in self.finder.get(self.key_of(unit[0]))
            if m.visible
        }
        self.cards = load_cards(visible)

    # --- per row -------------------------------------------------------------------------

    def _duplicates(self, row: ParsedRow, key: Any) -> None:
        first = self.seen.setdefault(key, row.number)
        column = self.header_of.get(self.key_field, "")
        if first != row.number:
            raise fail(
                row,
                "duplicate_in_file",
                _("The same key is already in row %(first)s of this file."),
                column=column,
                field=self.key_field,
                first=first,
            )
        for name in ("external_id", "credit_code"):
            value = row.values.get(name)
            if value and name != self.key_field:
                first = self.seen_unique.setdefault((name, value), row.number)
                if first != row.number:
                    raise fail(
                        row,
                        "duplicate_in_file",
                        _("The same value is already in row %(first)s of this file."),
                        column=self.header_of.get(name, ""),
                        field=name,
                        first=first,
                    )

    def decide(self, row: ParsedRow) -> Customer | str | None:
        """The card this row updates, ``None`` for a new customer, or ``UNCHANGED`` (an
        existing key in create mode). RowFailed for a row that must not be applied. Call once
        per row: it records the row's keys for the duplicate check."""
        key = self.key_of(row)
        column = self.header_of.get(self.key_field, "")
        if key is None:
            raise fail(
                row,
                "key_missing",
                _("The key column is empty."),
                column=column,
                field=self.key_field,
            )
        self._duplicates(row, key)
        matches = self.finder.get(key)
        mode = self.batch.mode
        if len(matches) > 1:
            code, message = (
                ("key_ambiguous", _("Several customers have this key; it cannot decide."))
                if all(m.visible for m in matches)
                else ("key_taken", _("This key already belongs to a customer outside your scope."))
            )
            raise fail(row, code, message, column=column, field=self.key_field)
        if matches and not matches[0].visible:
            if mode == ImportMode.UPDATE:
                raise self._not_found(row, column)
            raise fail(
                row,
                "key_taken",
                _("This key already belongs to a customer outside your scope."),
                column=column,
                field=self.key_field,
            )
        if matches:
            match = matches[0]
            if match.archived:
                raise fail(
                    row,
                    "customer_archived",
                    _("This customer is archived; restore the card first."),
                    column=column,
                    field=self.key_field,
                )
            if mode == ImportMode.CREATE:
                return UNCHANGED
            return self.cards[match.customer_id]
        if mode == ImportMode.UPDATE:
            raise self._not_found(row, column)
        return None

    def continues(self, first: ParsedRow, row: ParsedRow) -> bool:
        """Whether ``row`` (right below ``first`` or its other continuing rows) only adds
        another contact person to ``first``'s card: a contact person, and either no customer
        cell at all (the company's cells left blank below it, as a CSV saved from merged
        cells has them) or ``first``'s key and no customer value other than ``first``'s (the
        cells merged, or repeated). Such rows are one unit, applied together."""
        if not self._contact_data(row):
            return False
        own = {name: value for name, value in row.values.items() if name not in CONTACT_FIELDS}
        key = self.key_of(row)
        if key is None:
            return not own
        return key == self.key_of(first) and all(
            first.values.get(name) == value for name, value in own.items()
        )

    def apply(self, unit: Unit) -> str:
        row = unit[0]
        target = self.decided.pop(row.number) if row.number in self.decided else self.decide(row)
        if target == UNCHANGED:
            return UNCHANGED
        if target is None:
            outcome, customer_id = self._create(row)
        else:
            assert isinstance(target, Customer)
            outcome, customer_id = self._update(row, target)
        added = [self._contact(more, customer_id) for more in unit[1:]]
        return UPDATED if outcome == UNCHANGED and any(added) else outcome

    # --- the fast path of large files (``bulk_customers``) ----------------------------------

    def fast_eligible(self, row: ParsedRow) -> bool:
        """New-customer rows without owner, points, tier or contact person cells may be
        created set-based (the customer app's bulk service writes cards alone)."""
        return self.bulk and not any(row.values.get(k) for k in SLOW_FIELDS)

    def apply_bulk(
        self, chunk: Sequence[Unit], *, dry_run: bool
    ) -> tuple[list[Unit], list[tuple[Unit, str | list[RowProblem]]]]:
        """Create the chunk's eligible new customers set-based; (units left for the per-row
        path, outcomes or problems of the others)."""
        slow: list[Unit] = []
        results: list[tuple[Unit, str | list[RowProblem]]] = []
        fresh: list[tuple[ParsedRow, dict[str, Any]]] = []
        for unit in chunk:
            row = unit[0]
            if row.problems or len(unit) > 1 or not self.fast_eligible(row):
                slow.append(unit)
                continue
            try:
                target = self.decide(row)
            except RowFailed as failed:
                results.append((unit, failed.problems))
                continue
            if target is not None:
                self.decided[row.number] = target
                slow.append(unit)
                continue
            data = self._data(row)
            data.setdefault("source_channel", SourceChannel.IMPORT)
            fresh.append((row, data))
        ok, refused = bulk.prepare(self, fresh) if fresh else ([], [])
        results.extend(([row], problems) for row, problems in refused)
        bulk.flag_possible_duplicates(self, ok)
        if ok and not dry_run:
            try:
                with transaction.atomic():
                    bulk.insert(self, ok)
            except IntegrityError:
                for p in ok:  # a concurrent writer: each row through customer_create instead
                    p.row.notes.clear()
                    self.decided[p.row.number] = None
                    slow.append([p.row])
                ok = []
        results.extend(([p.row], NEW) for p in ok)
        return slow, results

    def _not_found(self, row: ParsedRow, column: str) -> RowFailed:
        return fail(
            row,
            "not_found",
            _("No customer you can see has this key."),
            column=column,
            field=self.key_field,
        )

    def _data(self, row: ParsedRow) -> dict[str, Any]:
        return {k: v for k, v in row.values.items() if k not in IMPORT_ONLY}

    def _owner(self, row: ParsedRow, current: int | None, creating: bool) -> dict[str, Any]:
        owner = row.values.get("owner")
        if owner is None or owner == current:
            return {}
        allowed = policy.can_assign_owner(self.actor) or (
            creating and owner == self.actor.pk and self.actor.role == Role.SALES
        )
        if not allowed:
            row.notes.append(
                RowProblem(
                    row=row.number,
                    code="owner_ignored",
                    message=_("Only a manager can name another account manager; left as is."),
                    column=self.header_of.get("owner", ""),
                    field="owner",
                    severity="warning",
                )
            )
            return {}
        return {"owner_id": owner}

    def _create(self, row: ParsedRow) -> tuple[str, int]:
        data = self._data(row)
        data.setdefault("source_channel", SourceChannel.IMPORT)
        data.update(self._owner(row, None, creating=True))
        if self._contact_data(row) and names_a_company(self.header_of.get("name", "")):
            data.setdefault("kind", CustomerKind.COMPANY)
        try:
            customer = customer_create(actor=self.actor, data=data)
        except DomainError as error:
            raise RowFailed(service_problems(error, [row], self.header_of)) from error
        record_change(
            self.batch,
            row,
            model="customers.customer",
            object_id=customer.pk,
            after={"name": customer.name},
        )
        self._possible_duplicates(row, customer.pk, data)
        self._loyalty(row, customer.pk, new=True)
        self._contact(row, customer.pk)
        return NEW, customer.pk

    def _possible_duplicates(self, row: ParsedRow, customer_id: int, data: dict[str, Any]) -> None:
        """Cards the actor can see that may be this new customer (``dedupe``): a note."""
        found = candidates_for(viewer=self.actor, values=data, exclude_id=customer_id, limit=3)
        if found:
            names = "、".join(f"{c.customer.name} (#{c.customer.pk})" for c in found)
            row.notes.append(
                RowProblem(
                    row=row.number,
                    code="possible_duplicate",
                    message=_("Possibly the same customer as: %(names)s."),
                    severity="warning",
                    params={"names": names},
                )
            )

    def _merged_lists(self, card: Customer, data: dict[str, Any]) -> None:
        """Phones, emails and tags from the sheet are added to the card's own."""
        current = snapshot(card, {k for k in LIST_FIELDS if k in data})
        for name in LIST_FIELDS:
            if name not in data:
                continue
            have = list(current[name])
            folded = {str(v).lower() for v in have}
            extra = [v for v in data[name] if str(v).lower() not in folded]
            if extra:
                data[name] = have + extra
            else:
                del data[name]

    def _update(self, row: ParsedRow, card: Customer) -> tuple[str, int]:
        data = self._data(row)
        self._merged_lists(card, data)
        data.update(self._owner(row, card.owner_id, creating=False))
        before = snapshot(card, set(data)) if data else {}
        keys = {k for k in data if not same_value(before.get(k), data[k])}
        data = {k: data[k] for k in keys}
        changed = False
        if keys:
            try:
                updated = customer_update(actor=self.actor, customer_id=card.pk, data=data)
            except DomainError as error:
                raise RowFailed(service_problems(error, [row], self.header_of)) from error
            changed = updated.version != card.version
            if changed:
                fresh = load_cards({card.pk})[card.pk]
                after = snapshot(fresh, keys)
                keys = {k for k in keys if before.get(k) != after.get(k)}
                record_change(
                    self.batch,
                    row,
                    model="customers.customer",
                    object_id=card.pk,
                    action=ChangeAction.UPDATED,
                    before={k: before[k] for k in keys},
                    after={k: after[k] for k in keys},
                )
        loyalty = self._loyalty(row, card.pk, new=False)
        contact = self._contact(row, card.pk)
        return (UPDATED if changed or loyalty or contact else UNCHANGED), card.pk

    # --- contact persons -----------------------------------------------------------------

    def _contact_data(self, row: ParsedRow) -> dict[str, Any]:
        return {key: row.values[name] for name, key in CONTACT_FIELDS.items() if name in row.values}

    def _contact(self, row: ParsedRow, customer_id: int) -> bool:
        """Add the row's contact person to the card unless it has them already (True when
        one was added)."""
        data = self._contact_data(row)
        if not data:
            return False
        held = list(Contact.objects.filter(customer_id=customer_id).values_list("name", "mobile"))
        if any(_same_person(data, name, mobile) for name, mobile in held):
            return False
        data["is_primary"] = not held
        try:
            contact = contact_add(actor=self.actor, customer_id=customer_id, data=data)
        except DomainError as error:
            names = {key: name for name, key in CONTACT_FIELDS.items()}
            raise RowFailed(
                service_problems(error, [row], self.header_of, field_names=names)
            ) from error
        record_change(
            self.batch,
            row,
            model="customers.contact",
            object_id=contact.pk,
            after={"name": contact.name, "customer_id": customer_id},
        )
        return True

    # --- points and tier -----------------------------------------------------------------

    def _note(self, row: ParsedRow, code: str, message: Any, field: str) -> None:
        row.notes.append(
            RowProblem(
                row=row.number,
                code=code,
                message=message,
                column=self.header_of.get(field, ""),
                field=field,
                severity="warning",
            )
        )

    def _loyalty(self, row: ParsedRow, customer_id: int, *, new: bool) -> bool:
        changed = False
        points = row.values.get("points")
        if points is not None:
            changed |= self._points(row, customer_id, int(points))
        tier = row.values.get("tier")
        if tier:
            changed |= self._tier(row, customer_id, str(tier))
        return changed

    def _points(self, row: ParsedRow, customer_id: int, points: int) -> bool:
        if points < 0:
            raise fail(
                row,
                "negative_points",
                _("Points cannot be negative."),
                column=self.header_of.get("points", ""),
                field="points",
            )
        key = opening_key(customer_id)
        existing = (
            PointsEntry.objects.filter(key=f"adjust:{key}").values_list("points", flat=True).first()
        )
        if existing is not None:
            if existing != points:
                self._note(
                    row,
                    "points_not_changed",
                    _("The opening points were already credited; the ledger is not changed."),
                    "points",
                )
            return False
        if points == 0:
            return False
        if not can_set_opening_points(self.actor):
            self._note(
                row, "points_ignored", _("Only managers set opening points; skipped."), "points"
            )
            return False
        if PointsEntry.objects.filter(customer_id=customer_id).exists():
            self._note(
                row,
                "points_has_history",
                _("This customer already has points history; opening points skipped."),
                "points",
            )
            return False
        try:
            entry = points_adjust(
                actor=self.actor,
                customer_id=customer_id,
                points=points,
                reason=f"期初积分 · opening balance (import #{self.batch.pk})",
                key=key,
            )
        except DomainError as error:
            raise RowFailed(service_problems(error, [row], self.header_of)) from error
        record_change(
            self.batch,
            row,
            model="loyalty.pointsentry",
            object_id=entry.pk,
            after={"points": points, "customer_id": customer_id},
        )
        return True

    def _tier(self, row: ParsedRow, customer_id: int, code: str) -> bool:
        ladder = self.active.programme.ladder
        held = (
            Membership.objects.filter(customer_id=customer_id)
            .values_list("tier", "lock_until", "override_reason")
            .first()
        )
        current = held[0] if held else ladder.lowest.code
        if current == code:
            return False
        try:
            higher = ladder.index(code) > ladder.index(current)
        except DomainError:
            higher = True  # the held tier left the ladder: the sheet's valid tier wins
        if not higher:
            self._note(
                row,
                "tier_below_earned",
                _("The sheet's tier is below the tier this customer holds; kept."),
                "tier",
            )
            return False
        if not can_set_tier(self.actor):
            self._note(row, "tier_ignored", _("Only managers set tiers by hand; skipped."), "tier")
            return False
        reason = import_reason(self.batch.pk)
        try:
            tier_override(
                actor=self.actor,
                customer_id=customer_id,
                tier_code=code,
                reason=reason,
                approver_id=self.actor.pk,
                until=self.today + dt.timedelta(days=OVERRIDE_DAYS),
            )
        except DomainError as error:
            raise RowFailed(service_problems(error, [row], self.header_of)) from error
        record_change(
            self.batch,
            row,
            model="loyalty.membership",
            object_id=customer_id,
            action=ChangeAction.UPDATED,
            before={
                "tier": current,
                "lock_until": held[1].isoformat() if held and held[1] else None,
                "override_reason": held[2] if held else "",
            },
            after={"tier": code, "override_reason": reason},
        )
        return True
