"""Manual tier overrides: a tier set by hand, with a reason, an approver and an expiry.

Rules: only managers and administrators set or clear an override directly, on their own
authority: the approver recorded is the actor (naming anyone else is refused,
``approval_needs_request``: a consent that person never gave). For a second person's consent,
anyone who may update the customer asks instead (``override_requests``) and another manager or
administrator approves. A reason is
required; the lock ends on ``until``, at most three years ahead and after today. While the
lock holds, reviews never move the customer down (an upgrade the figures earn still happens);
the first review after ``until`` clears the override and grades the customer normally.
Every override writes a ``TierChange`` (reason ``manual``) when the tier changes, and an
audit row always.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import Role, User
from tiercard.accounts.policy import is_active
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.customers.selectors import visible_customers
from tiercard.loyalty.models import ChangeReason, Membership, TierChange
from tiercard.loyalty.services.review_marks import review_mark
from tiercard.loyalty.services.state import (
    active_programme,
    membership_lock,
    metrics_of,
    metrics_snapshot,
)
from tiercard.loyalty.services.window import window_share_lock
from tiercard.tiers.window import add_months

MAX_LOCK_MONTHS = 36
APPROVER_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def _check_actor(actor: User, customer_id: int) -> None:
    if not visible_customers(actor).filter(pk=customer_id).exists():
        raise NotFound()
    if actor.role not in APPROVER_ROLES:
        raise PermissionDenied(code="override_not_allowed")


def clean_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(
            code="reason_required", fields={"reason": [_("Give a reason for the override.")]}
        )
    if len(text) > 200:
        raise ValidationFailed(
            code="reason_too_long", fields={"reason": [_("At most 200 characters.")]}
        )
    return text


def _approver(approver_id: int | None, customer_id: int) -> User:
    approver = User.objects.filter(pk=approver_id).first() if approver_id else None
    if (
        approver is None
        or not is_active(approver)
        or approver.role not in APPROVER_ROLES
        or not visible_customers(approver).filter(pk=customer_id).exists()
    ):
        message = _(
            "The approver must be a manager or administrator responsible for this customer."
        )
        raise ValidationFailed(code="bad_approver", fields={"approver": [message]})
    return approver


def clean_until(until: dt.date, today: dt.date) -> dt.date:
    if not isinstance(until, dt.date) or until <= today:
        raise ValidationFailed(
            code="until_not_future", fields={"until": [_("The end date must be after today.")]}
        )
    if until > add_months(today, MAX_LOCK_MONTHS):
        raise ValidationFailed(
            code="until_too_far", fields={"until": [_("An override lasts at most three years.")]}
        )
    return until


def tier_override(
    *,
    actor: User,
    customer_id: int,
    tier_code: str,
    reason: str,
    approver_id: int | None,
    until: dt.date,
) -> Membership:
    """Set the customer's tier by hand and lock it through ``until`` (see the module doc)."""
    _check_actor(actor, customer_id)
    today = business_today()
    text = clean_reason(reason)
    if approver_id is not None and approver_id != actor.pk:
        # Naming someone who did not act would record a consent never given: a second
        # person's approval is a request they approve (``override_requests``).
        raise ValidationFailed(
            code="approval_needs_request",
            fields={
                "approver": [
                    _(
                        "Set directly, the override is approved by you. For someone else's "
                        "approval, ask for it as a request."
                    )
                ]
            },
        )
    approver = _approver(approver_id, customer_id)
    clean_until(until, today)
    return override_apply(
        actor=actor,
        requested_by=actor,
        approver=approver,
        customer_id=customer_id,
        tier_code=tier_code,
        reason=text,
        until=until,
    )


def override_apply(
    *,
    actor: User,
    requested_by: User,
    approver: User,
    customer_id: int,
    tier_code: str,
    reason: str,
    until: dt.date,
) -> Membership:
    """Set the override, checked by the caller (``tier_override`` directly, or an approved
    request): the tier changes now (a ``TierChange`` by ``actor``), locked through ``until``;
    ``override_by`` is who asked, ``override_approved_by`` who approved. Runs in its own
    transaction or the caller's."""
    today = business_today()
    text = reason
    with transaction.atomic():
        window_share_lock()  # before the row: the lock order of every membership writer
        # The programme read under the window row's lock: a rule change holds it for update,
        # so the tier code is checked against the ladder this override is written under.
        active = active_programme()
        tier = active.programme.ladder.get(tier_code)  # ValidationFailed("unknown_tier")
        row = membership_lock(customer_id, active)
        # Read under the row's lock: a merge holds it and archives the card before it lets go.
        merged = Customer.objects.filter(pk=customer_id).values_list("merged_into_id", flat=True)
        if merged.first() is not None:
            raise Conflict(
                _("This card was merged into another one; set the tier on that card."),
                code="customer_merged",
            )
        before = {
            "tier": row.tier,
            "lock_until": row.lock_until,
            "override_reason": row.override_reason,
        }
        now = timezone.now()
        previous = row.tier
        if tier.code != previous:
            row.tier_since = now
            TierChange.objects.create(
                customer_id=customer_id,
                at=now,
                effective_on=today,
                from_tier=previous,
                to_tier=tier.code,
                reason=ChangeReason.MANUAL,
                ladder_version=active.version,
                metrics=metrics_snapshot(metrics_of(row, today)),
                actor=actor,
                note=text,
            )
        row.tier, row.lock_until, row.override_reason = tier.code, until, text
        row.override_by, row.override_approved_by = requested_by, approver
        row.below_since = row.warned_for = None
        row.ladder_version, row.updated_at = active.version, now
        row.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=row,
            customer_id=customer_id,
            changes={
                "tier": [before["tier"], tier.code],
                "lock_until": [before["lock_until"], until],
                "override_reason": [before["override_reason"], text],
                "override_approved_by": [None, approver.username],
            },
            note="tier override",
        )
    return row


def tier_override_clear(*, actor: User, customer_id: int, reason: str) -> Membership:
    """End an override now; the next review grades the customer under the normal policy."""
    _check_actor(actor, customer_id)
    text = clean_reason(reason)
    with transaction.atomic():
        window_share_lock()  # before the row: the lock order of every membership writer
        row = membership_lock(customer_id, active_programme())  # read under the lock, as above
        if row.lock_until is None:
            raise ValidationFailed(
                code="no_override", fields={"tier": [_("This customer has no tier override.")]}
            )
        before = row.lock_until
        row.lock_until, row.override_reason = None, ""
        row.override_by = row.override_approved_by = None
        row.updated_at = timezone.now()
        row.save()
        review_mark(customer_id)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=row,
            customer_id=customer_id,
            changes={"lock_until": [before, None]},
            note=f"tier override cleared: {text}",
        )
    return row
