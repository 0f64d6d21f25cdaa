"""Points (积分) earned on purchases, taken back on returns, and adjusted by hand.

``points_earn`` and ``points_reverse_return`` are called by checkout inside its transaction with
the membership row already locked; ``points_adjust`` is a public service. Every entry's key
names its source (``purchase:<id>:earn``, ``return:<id>``, ``adjust:<client key>``), so no
source is ever posted twice.

Returns that find too few points: the balance never goes negative. The reversal takes what
there is and the shortfall becomes ``points_owed``, settled from the customer's next earns
(an earn posts in full, then a ``settle`` reversal of min(owed, earned)).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import FieldErrors, NotFound, PermissionDenied
from tiercard.core.text import clean_text
from tiercard.core.timeutils import business_today
from tiercard.customers.selectors import visible_customers
from tiercard.loyalty.models import EntryKind, Membership, PointsEntry, PointsLot
from tiercard.loyalty.services.checkout_rules import earn_of
from tiercard.loyalty.services.points_ledger import (
    clean_key,
    credit_lot,
    draw,
    duplicate_key,
    expire_lot_now,
    post,
)
from tiercard.loyalty.services.state import Active, active_programme, membership_lock
from tiercard.sales.models import Purchase, PurchaseReturn
from tiercard.tiers import earning

MAX_ADJUST = 10_000_000


def points_earn(
    *,
    row: Membership,
    active: Active,
    purchase: Purchase,
    amount: Decimal,
    multiplier: Decimal,
    birthday: bool,
    actor: User | None,
    today: dt.date,
    tier: str,
    balance_by_caller: bool = False,
) -> PointsEntry | None:
    """Credit the points a purchase earns; ``None`` when it earns none.

    ``balance_by_caller``: the caller writes ``row.points_balance`` in its own UPDATE of the
    row afterwards (see ``points_ledger.post``); honoured for a plain credit, while a credit
    followed at once by a settling or expiring debit moves the stored balance itself first
    (the debit's guard reads it).

    The lot expires per the programme's rules counted from the purchase's business date; a
    backdated purchase whose points would already have expired is credited and expired at once
    (``purchase:<id>:expire``), so the ledger still shows what it earned. Debt left by an
    earlier return is settled first (``purchase:<id>:settle``). The amounts are decided by
    ``checkout_rules.earn_of``, shared with the bulk purchase import.
    """
    earned_on = business_today(purchase.occurred_at)
    earn = earn_of(
        active.programme.points,
        amount=amount,
        multiplier=multiplier,
        birthday=birthday,
        earned_on=earned_on,
        owed=row.points_owed,
        today=today,
        tier=tier,
    )
    if earn is None:
        return None
    entry = post(
        row,
        kind=EntryKind.EARN,
        points=earn.points,
        key=f"purchase:{purchase.pk}:earn",
        actor=actor,
        ladder_version=active.version,
        purchase=purchase,
        balance_by_caller=balance_by_caller and not (earn.settle or earn.expire_now),
    )
    lot = credit_lot(entry, earned_on=earned_on, expires_on=earn.expires_on)
    if earn.settle:
        Membership.objects.filter(pk=row.pk).update(points_owed=F("points_owed") - earn.settle)
        row.points_owed -= earn.settle
        settled = post(
            row,
            kind=EntryKind.REVERSAL,
            points=-earn.settle,
            key=f"purchase:{purchase.pk}:settle",
            actor=actor,
            ladder_version=active.version,
            purchase=purchase,
        )
        draw(settled, first=lot)
    if earn.expire_now:
        expire_lot_now(
            row,
            lot,
            key=f"purchase:{purchase.pk}:expire",
            actor=actor,
            ladder_version=active.version,
            purchase=purchase,
        )
    return entry


def points_reverse_return(
    *,
    row: Membership,
    active: Active,
    purchase: Purchase,
    purchase_return: PurchaseReturn,
    points: int,
    actor: User | None,
    today: dt.date,
) -> PointsEntry | None:
    """Take back ``points`` for a return: the purchase's own lot first, then FIFO by expiry.

    What the balance cannot cover is added to ``points_owed`` (never a negative balance).
    ``None`` when nothing was taken (``points`` 0, or an empty balance).
    """
    if points <= 0:
        return None
    take = min(points, row.points_balance)
    short = points - take
    if short > 0:
        Membership.objects.filter(pk=row.pk).update(points_owed=F("points_owed") + short)
        row.points_owed += short
    if take == 0:
        return None
    earn = PointsEntry.objects.filter(key=f"purchase:{purchase.pk}:earn").first()
    entry = post(
        row,
        kind=EntryKind.REVERSAL,
        points=-take,
        key=f"return:{purchase_return.pk}",
        actor=actor,
        ladder_version=active.version,
        purchase=purchase,
        reverses=earn,
    )
    lot = None if earn is None else PointsLot.objects.filter(entry=earn).first()
    draw(entry, first=lot)
    return entry


def _replayed(key: str, customer_id: int, points: int) -> PointsEntry | None:
    existing = PointsEntry.objects.filter(key=key).first()
    if existing is None:
        return None
    if existing.customer_id == customer_id and existing.points == points:
        return existing
    raise duplicate_key()


def _clean_adjust(points: object, reason: object, key: object) -> tuple[int, str, str]:
    errors = FieldErrors()
    if isinstance(points, bool) or not isinstance(points, int):
        errors.add("points", _("Enter a whole number of points."))
        points = 0
    elif points == 0 or abs(points) > MAX_ADJUST:
        errors.add("points", _("Enter a number from -10,000,000 to 10,000,000, not 0."))
    text = clean_text(reason) if isinstance(reason, str) else ""
    if not text:
        errors.add("reason", _("A reason is required."))
    elif len(text) > 200:
        errors.add("reason", _("Use at most 200 characters."))
    cleaned_key = clean_key(key, errors)
    errors.raise_if_any()
    assert isinstance(points, int)
    return points, text, cleaned_key


def points_adjust(
    *, actor: User, customer_id: int, points: int, reason: str, key: str
) -> PointsEntry:
    """Add (a new lot, expiring per the rules from today) or remove points by hand.

    Managers and admins only; a reason is required. Removing draws usable lots first-expiring
    first and fails with ``insufficient_points`` when they do not cover it. Idempotent by
    ``key``: a replay returns the stored entry; the same key for another change is
    ``duplicate_key``.
    """
    if not visible_customers(actor).filter(pk=customer_id).exists():
        raise NotFound()
    if not policy.can_adjust_points(actor):
        raise PermissionDenied()
    points, text, key = _clean_adjust(points, reason, key)
    entry_key = f"adjust:{key}"
    existing = _replayed(entry_key, customer_id, points)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _adjust(actor, customer_id, points, text, entry_key)
    except IntegrityError:
        existing = _replayed(entry_key, customer_id, points)
        if existing is None:
            raise
        return existing


def _adjust(actor: User, customer_id: int, points: int, reason: str, key: str) -> PointsEntry:
    active = active_programme()
    row = membership_lock(customer_id, active)
    existing = _replayed(key, customer_id, points)  # a replay that waited for our lock
    if existing is not None:
        return existing
    today = business_today()
    entry = post(
        row,
        kind=EntryKind.ADJUST,
        points=points,
        key=key,
        actor=actor,
        ladder_version=active.version,
        note=reason,
    )
    if points > 0:
        expiry = earning.expires_on(active.programme.points, today)
        credit_lot(entry, earned_on=today, expires_on=expiry)
    else:
        draw(entry, usable_on=today)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=entry,
        customer_id=customer_id,
        changes={"points": points, "balance_after": entry.balance_after},
        note=reason,
    )
    return entry
