"""Ledger primitives shared by every points service: post an entry, credit a lot, draw lots.

All of them require the customer's membership row locked by ``membership_lock`` in the
current transaction. That lock is what makes ``balance_after`` the running sum: the entry's
balance is the locked row's balance plus the entry's points, and the row is moved by the same
amount in the same UPDATE (debits also conditionally, ``points_balance >= n``, as a second
guard next to the database's CHECK), or, for a purchase's credit, by the caller's one UPDATE
of the row (``post(balance_by_caller=True)``). The Python row is kept equal to the database
row, so a caller that later saves it never writes a stale balance back.

Lots mirror the balance: every credit creates a lot and every debit records allocations that
add up to its points, so Σ open lots' ``remaining`` = ``points_balance`` at all times.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.core import batch, rows
from tiercard.core.errors import Conflict, FieldErrors, ValidationFailed
from tiercard.loyalty.models import (
    EntryKind,
    Membership,
    PointsAllocation,
    PointsEntry,
    PointsLot,
)
from tiercard.sales.models import Purchase

MAX_KEY = 80  # client keys; the stored key adds a prefix (column holds 120)


def insufficient(available: int, needed: int) -> Conflict:
    return Conflict(
        _("Not enough points: %(available)d available, %(needed)d needed.")
        % {"available": available, "needed": needed},
        code="insufficient_points",
        params={"available": available, "needed": needed},
    )


def post(
    row: Membership,
    *,
    kind: EntryKind,
    points: int,
    key: str,
    actor: User | None,
    ladder_version: int | None,
    purchase: Purchase | None = None,
    reverses: PointsEntry | None = None,
    note: str = "",
    balance_by_caller: bool = False,
) -> PointsEntry:
    """Append one entry and move the balance by ``points`` (non-zero).

    A debit larger than the balance raises ``Conflict(insufficient_points)``: the conditional
    update finds no row, and nothing is written.

    ``balance_by_caller`` (credits only): the balance is moved on ``row`` alone, and the caller
    writes ``row.points_balance`` in its own UPDATE of the locked row before any other
    statement reads or moves the balance (the purchase: one UPDATE for figures, tier and
    balance, so the row is written once instead of twice).
    """
    assert points != 0
    assert points > 0 or not balance_by_caller
    if balance_by_caller:
        row.points_balance += points
        return _entry(row, kind, points, key, actor, ladder_version, purchase, reverses, note)
    # One plain statement (this runs on every purchase); a debit only where it is covered.
    sql = (
        "UPDATE loyalty_membership SET points_balance = points_balance + %s WHERE customer_id = %s"
    )
    params = [points, row.pk]
    if points < 0:
        sql += " AND points_balance >= %s"
        params.append(-points)
    available = row.points_balance
    # In a ``core.batch`` the statement is queued and its check raises at the flush that runs
    # it: the entry below may have run by then, and the transaction rolls back with both.
    batch.send(sql, params, expect=1, error=lambda: insufficient(available, -points))
    row.points_balance += points
    return _entry(row, kind, points, key, actor, ladder_version, purchase, reverses, note)


def _entry(
    row: Membership,
    kind: EntryKind,
    points: int,
    key: str,
    actor: User | None,
    ladder_version: int | None,
    purchase: Purchase | None,
    reverses: PointsEntry | None,
    note: str,
) -> PointsEntry:
    """The entry of a move ``row``'s balance has just made (``balance_after`` is that balance)."""
    entry = PointsEntry(
        customer_id=row.pk,
        kind=kind,
        points=points,
        balance_after=row.points_balance,
        key=key,
        purchase=purchase,
        reverses=reverses,
        ladder_version=ladder_version,
        note=note[:200],
        actor=actor if actor is not None and actor.pk else None,
    )
    return rows.insert(entry)


def credit_lot(entry: PointsEntry, *, earned_on: dt.date, expires_on: dt.date | None) -> PointsLot:
    """The lot of a credit entry: all of its points, expiring together."""
    assert entry.points > 0
    return rows.insert(
        PointsLot(
            entry=entry,
            customer_id=entry.customer_id,
            points=entry.points,
            remaining=entry.points,
            earned_on=earned_on,
            expires_on=expires_on,
        )
    )


def open_lots(customer_id: int, *, usable_on: dt.date | None = None) -> QuerySet[PointsLot]:
    """Lots with points left, first-expiring first (never-expiring last, then oldest).

    With ``usable_on``, lots whose last day has passed are left out: they are due for the
    expiry job and cannot be spent, even though the balance still counts them until it runs.
    """
    lots = PointsLot.objects.filter(customer_id=customer_id, remaining__gt=0)
    if usable_on is not None:
        lots = lots.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=usable_on))
    return lots.order_by(F("expires_on").asc(nulls_last=True), "id")


def draw(
    entry: PointsEntry,
    *,
    usable_on: dt.date | None = None,
    first: PointsLot | None = None,
) -> list[PointsAllocation]:
    """Allocate a debit entry's points to lots: ``first`` (if open), then FIFO by expiry.

    Raises ``Conflict(insufficient_points)`` when the lots cannot cover it (possible only with
    ``usable_on``, as open lots always add up to the balance); the caller's transaction then
    rolls back the entry too.
    """
    needed = -entry.points
    assert needed > 0
    plan: list[tuple[int, int]] = []  # (lot id, points)
    if first is not None:
        first.refresh_from_db(fields=["remaining"])
        if first.remaining > 0:
            plan.append((first.pk, min(first.remaining, needed)))
            needed -= plan[-1][1]
    if needed > 0:
        lots = open_lots(entry.customer_id, usable_on=usable_on)
        if first is not None:
            lots = lots.exclude(pk=first.pk)
        for lot_id, remaining in lots.values_list("pk", "remaining"):
            take = min(remaining, needed)
            plan.append((lot_id, take))
            needed -= take
            if needed == 0:
                break
        if needed > 0:
            raise insufficient(-entry.points - needed, -entry.points)
    for lot_id, take in plan:
        # The membership lock already serialises writers; the condition is a second guard.
        updated = PointsLot.objects.filter(pk=lot_id, remaining__gte=take).update(
            remaining=F("remaining") - take
        )
        assert updated == 1
    return PointsAllocation.objects.bulk_create(
        PointsAllocation(entry=entry, lot_id=lot_id, points=take) for lot_id, take in plan
    )


def expire_lot_now(
    row: Membership,
    lot: PointsLot,
    *,
    key: str,
    actor: User | None,
    ladder_version: int | None,
    purchase: Purchase | None = None,
) -> PointsEntry | None:
    """Expire what is left of a lot whose last day has already passed (a backdated credit)."""
    lot.refresh_from_db(fields=["remaining"])
    if lot.remaining == 0:
        return None
    entry = post(
        row,
        kind=EntryKind.EXPIRE,
        points=-lot.remaining,
        key=key,
        actor=actor,
        ladder_version=ladder_version,
        purchase=purchase,
    )
    draw(entry, first=lot)
    return entry


def clean_key(raw: object, errors: FieldErrors) -> str:
    """A client's idempotency key: 1..80 visible characters, no spaces."""
    key = raw.strip() if isinstance(raw, str) else ""
    if not key:
        errors.add("key", _("An idempotency key is required."))
    elif len(key) > MAX_KEY or not key.isprintable() or any(c.isspace() for c in key):
        errors.add("key", _("Use at most 80 visible characters without spaces."))
    return key


def duplicate_key() -> ValidationFailed:
    return ValidationFailed(
        _("This key was already used for a different request."),
        code="duplicate_key",
        fields={"key": [_("This key was already used for a different request.")]},
    )
