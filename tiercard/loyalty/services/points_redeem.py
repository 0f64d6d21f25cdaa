"""Redeeming points for rewards (积分兑换), and cancelling a redemption.

A redemption is one transaction under the customer's membership lock: the reward's stock is
taken with a conditional update (``stock >= quantity``; NULL = unlimited), the balance with
another (``points_balance >= cost``), and the cost is drawn from usable lots first-expiring
first. Any failure raises before commit, so nothing of it is written. Concurrent redemptions
queue on the lock, so a balance is never overspent: on PostgreSQL by ``SELECT ... FOR
UPDATE``, on SQLite by IMMEDIATE transactions.

Idempotency: the client's key is stored as the entry key ``redeem:<key>``; a replay returns
the stored redemption, the same key for another request is ``duplicate_key``.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import (
    Conflict,
    FieldErrors,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tiercard.core.text import clean_text
from tiercard.core.timeutils import business_today
from tiercard.customers.models import CustomerStatus
from tiercard.customers.selectors import visible_customers
from tiercard.loyalty.models import (
    EntryKind,
    Membership,
    PointsEntry,
    PointsLot,
    Redemption,
    RedemptionStatus,
    Reward,
    RewardKind,
)
from tiercard.loyalty.services.points_ledger import (
    clean_key,
    credit_lot,
    draw,
    duplicate_key,
    expire_lot_now,
    post,
)
from tiercard.loyalty.services.state import Active, active_programme, membership_lock

MAX_QUANTITY = 100
# No 0/O, 1/I/L: a coupon code read out over the phone is never ambiguous.
COUPON_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def coupon_code() -> str:
    """``XXXX-XXXX-XXXX`` from a CSPRNG: about 59 bits, not guessable."""
    chars = "".join(secrets.choice(COUPON_ALPHABET) for _i in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def _replayed(key: str, customer_id: int, reward_code: str, quantity: int) -> Redemption | None:
    # The entry first, then its redemption: both commit together, so once the entry is
    # visible the redemption is too (two reads the other way round could straddle a commit).
    entry_id = PointsEntry.objects.filter(key=key).values_list("pk", flat=True).first()
    if entry_id is None:
        return None
    existing = (
        Redemption.objects.select_related("reward", "entry").filter(entry_id=entry_id).first()
    )
    if (
        existing is not None
        and existing.customer_id == customer_id
        and existing.reward.code == reward_code
        and existing.quantity == quantity
    ):
        return existing
    raise duplicate_key()


def points_redeem(
    *, actor: User, customer_id: int, reward_code: str, quantity: int, key: str
) -> Redemption:
    """Redeem ``quantity`` × a reward for a customer in the actor's scope.

    Errors (each leaves nothing written): ``NotFound`` (customer out of scope),
    ``PermissionDenied``, ``customer_archived``, ``bad_quantity`` (1..100),
    ``reward_not_found``, ``reward_inactive``, ``reward_not_started``, ``reward_expired``,
    ``tier_too_low``, ``out_of_stock``, ``insufficient_points``, ``duplicate_key``.
    """
    status = visible_customers(actor).filter(pk=customer_id).values_list("status", flat=True)
    if not status:
        raise NotFound()
    if not policy.can_record_purchase(actor):  # the same counter roles that record purchases
        raise PermissionDenied()
    if status[0] == CustomerStatus.ARCHIVED:
        # Like purchases: an archived card is closed; its points wait for a restore.
        raise Conflict(
            _("This customer is archived. Restore the card before redeeming points."),
            code="customer_archived",
        )
    errors = FieldErrors()
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        quantity = 0
    if not 1 <= quantity <= MAX_QUANTITY:
        errors.add("quantity", _("Enter a quantity from 1 to 100."))
    key = clean_key(key, errors)
    if errors:
        code = "bad_quantity" if "quantity" in errors.errors else "validation_error"
        raise ValidationFailed(code=code, fields=errors.errors)
    entry_key = f"redeem:{key}"
    existing = _replayed(entry_key, customer_id, reward_code, quantity)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _redeem(actor, customer_id, reward_code, quantity, entry_key)
    except IntegrityError:
        existing = _replayed(entry_key, customer_id, reward_code, quantity)
        if existing is None:
            raise
        return existing


def _reward(code: str) -> Reward:
    reward = Reward.objects.filter(code=code).first() if isinstance(code, str) else None
    if reward is None:
        raise NotFound(_("No reward has this code."), code="reward_not_found")
    return reward


def _check_available(reward: Reward, row: Membership, active: Active) -> None:
    today = business_today()
    if not reward.active:
        raise Conflict(_("This reward is no longer offered."), code="reward_inactive")
    if reward.valid_from is not None and today < reward.valid_from:
        raise Conflict(_("This reward cannot be redeemed yet."), code="reward_not_started")
    if reward.valid_until is not None and today > reward.valid_until:
        raise Conflict(_("This reward has expired."), code="reward_expired")
    if reward.min_tier:
        ranks = {tier.code: tier.rank for tier in active.programme.ladder.tiers}
        needed = ranks.get(reward.min_tier)
        held = ranks.get(row.tier, active.programme.ladder.lowest.rank)
        if needed is None or held < needed:
            raise Conflict(
                _("The customer's tier is too low for this reward."), code="tier_too_low"
            )


def _redeem(actor: User, customer_id: int, code: str, quantity: int, key: str) -> Redemption:
    active = active_programme()
    row = membership_lock(customer_id, active)
    existing = _replayed(key, customer_id, code, quantity)  # a replay that waited for our lock
    if existing is not None:
        return existing
    reward = _reward(code)
    _check_available(reward, row, active)
    # NULL - q stays NULL: unlimited stock passes the condition and stays unlimited.
    taken = (
        Reward.objects.filter(pk=reward.pk)
        .filter(Q(stock__isnull=True) | Q(stock__gte=quantity))
        .update(stock=F("stock") - quantity)
    )
    if taken != 1:
        raise Conflict(_("This reward is out of stock."), code="out_of_stock")
    cost = reward.points_cost * quantity
    entry = post(
        row,
        kind=EntryKind.REDEEM,
        points=-cost,
        key=key,
        actor=actor,
        ladder_version=active.version,
        note=reward.code,
    )
    draw(entry, usable_on=business_today())
    redemption = Redemption.objects.create(
        customer_id=customer_id,
        reward=reward,
        quantity=quantity,
        points=cost,
        entry=entry,
        coupon_code=coupon_code() if reward.kind == RewardKind.COUPON else "",
        actor=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=redemption,
        customer_id=customer_id,
        changes={"reward": reward.code, "quantity": quantity, "points": cost},
    )
    return redemption


def redemption_cancel(*, actor: User, redemption_id: int, reason: str, key: str) -> PointsEntry:
    """Cancel an issued redemption: its points come back and its stock is restored.

    The points return as one credit entry (``reverses`` = the redeem entry) with a new lot that
    expires with the latest of the lots the redemption drew (never, if any of those never
    expires). If that day has passed, they are expired again at once, so a cancellation never
    extends points' lives. Managers and admins only. Cancelling a cancelled redemption is
    ``Conflict(already_cancelled)``; a replay of the same key returns the stored entry.
    """
    redemption = (
        Redemption.objects.select_related("entry", "reward")
        .filter(pk=redemption_id, customer__in=visible_customers(actor))
        .first()
    )
    if redemption is None:
        raise NotFound()
    if not policy.can_adjust_points(actor):
        raise PermissionDenied()
    errors = FieldErrors()
    text = clean_text(reason) if isinstance(reason, str) else ""
    if not text:
        errors.add("reason", _("A reason is required."))
    elif len(text) > 200:
        errors.add("reason", _("Use at most 200 characters."))
    entry_key = f"cancel:{clean_key(key, errors)}"
    errors.raise_if_any()
    existing = _cancel_replayed(entry_key, redemption)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _cancel(actor, redemption, text, entry_key)
    except IntegrityError:
        existing = _cancel_replayed(entry_key, redemption)
        if existing is None:
            raise
        return existing


def _cancel_replayed(key: str, redemption: Redemption) -> PointsEntry | None:
    existing = PointsEntry.objects.filter(key=key).first()
    if existing is None:
        return None
    if existing.reverses_id == redemption.entry_id:
        return existing
    raise duplicate_key()


def _cancel(actor: User, redemption: Redemption, reason: str, key: str) -> PointsEntry:
    active = active_programme()
    row = membership_lock(redemption.customer_id, active)
    existing = _cancel_replayed(key, redemption)
    if existing is not None:
        return existing
    cancelled = Redemption.objects.filter(pk=redemption.pk, status=RedemptionStatus.ISSUED).update(
        status=RedemptionStatus.CANCELLED
    )
    if cancelled != 1:
        raise Conflict(_("This redemption is already cancelled."), code="already_cancelled")
    Reward.objects.filter(pk=redemption.reward_id, stock__isnull=False).update(
        stock=F("stock") + redemption.quantity
    )
    entry = post(
        row,
        kind=EntryKind.REVERSAL,
        points=redemption.points,
        key=key,
        actor=actor,
        ladder_version=active.version,
        reverses=redemption.entry,
        note=reason,
    )
    today = business_today()
    drawn = list(
        PointsLot.objects.filter(allocations__entry=redemption.entry).values_list(
            "expires_on", flat=True
        )
    )
    expiry = None if not drawn or None in drawn else max(d for d in drawn if d is not None)
    lot = credit_lot(entry, earned_on=today, expires_on=expiry)
    if expiry is not None and expiry < today:
        expire_lot_now(row, lot, key=f"{key}:expire", actor=actor, ladder_version=active.version)
    redemption.status = RedemptionStatus.CANCELLED
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=redemption,
        customer_id=redemption.customer_id,
        changes={"status": ["issued", "cancelled"], "points": redemption.points},
        note=reason,
    )
    return entry
