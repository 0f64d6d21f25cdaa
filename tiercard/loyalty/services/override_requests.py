"""Tier override requests (申请 → 审批): the four-eyes way to a manual override.

Who: anyone who may update the customer asks (``can_update_customers``: sales reps, managers,
administrators); a manager or administrator responsible for the customer — never the one who
asked — approves or rejects; the one who asked may withdraw while the request waits. A request
that can never be decided is refused up front (``no_approver``: nobody else may approve it).

Approval sets the override through ``overrides.override_apply`` in the same transaction:
``override_by`` is the one who asked, ``override_approved_by`` the approver, and the request
is marked approved — both or neither. The request row is locked first, so two approvers
deciding at once decide once (the second gets ``override_decided``). Every step is audited;
refusals write nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.customers.selectors import visible_customers
from tiercard.loyalty.models import OverrideRequest, RequestStatus
from tiercard.loyalty.selectors.override_requests import approvers_of
from tiercard.loyalty.services.overrides import (
    clean_reason,
    clean_until,
    override_apply,
)
from tiercard.loyalty.services.state import active_programme


def override_request(
    *, actor: User, customer_id: int, tier_code: str, reason: str, until: dt.date
) -> OverrideRequest:
    """Ask for ``tier_code`` through ``until``; ``override_pending`` when one already waits."""
    merged = visible_customers(actor).filter(pk=customer_id).values_list("merged_into_id").first()
    if merged is None:
        raise NotFound()
    if not policy.can_update_customers(actor):
        raise PermissionDenied(code="override_not_allowed")
    _refuse_merged(merged[0])
    text = clean_reason(reason)
    clean_until(until, business_today())
    active = active_programme()
    tier = active.programme.ladder.get(tier_code)  # ValidationFailed("unknown_tier")
    if not [u for u in approvers_of(customer_id) if u.pk != actor.pk]:
        raise Conflict(
            _("Nobody else may approve an override for this customer."), code="no_approver"
        )
    if _pending(customer_id).exists():  # refused before any lock is taken
        raise _already_waiting()
    try:
        with transaction.atomic():
            # The card locked and checked again: a merge committing since the read above would
            # leave this request waiting on a card it archived (the merge locks the cards).
            still = Customer.objects.select_for_update().filter(pk=customer_id)
            _refuse_merged(still.values_list("merged_into_id", flat=True).first())
            made = OverrideRequest.objects.create(
                customer_id=customer_id,
                tier=tier.code,
                until=until,
                reason=text,
                ladder_version=active.version,
                requested_by=actor,
            )
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=made,
                customer_id=customer_id,
                changes={"tier": tier.code, "until": until},
                note=text,
            )
    except IntegrityError:
        if not _pending(customer_id).exists():
            raise  # not the one-waiting rule: a real fault, not the user's
        raise _already_waiting() from None
    return made


def _pending(customer_id: int) -> QuerySet[OverrideRequest]:
    return OverrideRequest.objects.filter(customer_id=customer_id, status=RequestStatus.PENDING)


def _already_waiting() -> Conflict:
    return Conflict(
        _("An override request for this customer is already waiting for approval."),
        code="override_pending",
    )


def _refuse_merged(merged_into_id: int | None) -> None:
    if merged_into_id is not None:
        raise Conflict(
            _("This card was merged into another one; ask on that card."), code="customer_merged"
        )


def _locked(actor: User, request_id: int) -> OverrideRequest:
    """The request, row-locked, if its customer is in the actor's scope; else ``NotFound``."""
    found = OverrideRequest.objects.select_for_update().filter(pk=request_id).first()
    if found is None or not visible_customers(actor).filter(pk=found.customer_id).exists():
        raise NotFound()
    return found


def _waiting(found: OverrideRequest) -> None:
    if found.status != RequestStatus.PENDING:
        raise Conflict(_("This request has already been decided."), code="override_decided")


def _decide(found: OverrideRequest, actor: User, status: str, note: str) -> None:
    _set_status(found, actor, status, decided_by=actor, note=note, audit_note=note)


def _set_status(
    found: OverrideRequest,
    actor: User,
    status: str,
    *,
    decided_by: User | None,
    note: str,
    audit_note: str,
) -> None:
    """Save the request's new status (decided by ``decided_by``, now; or waiting again when
    None) and audit the change."""
    before = found.status
    found.status, found.decided_by, found.note = status, decided_by, note
    found.decided_at = timezone.now() if decided_by is not None else None
    found.save(update_fields=["status", "decided_by", "decided_at", "note"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=found,
        customer_id=found.customer_id,
        changes={"status": [before, status]},
        note=audit_note,
    )


def _approver_check(actor: User, found: OverrideRequest) -> None:
    if not policy.can_approve_overrides(actor):
        raise PermissionDenied(code="override_not_allowed")
    if found.requested_by_id == actor.pk:
        raise PermissionDenied(
            _("A request is approved by someone other than the one who made it."),
            code="own_request",
        )


def _decidable(actor: User, request_id: int, errors: FieldErrors) -> OverrideRequest:
    """The request, locked, that ``actor`` may decide now: in scope (else ``NotFound``), an
    approver other than the one who asked, still waiting; then the note's errors."""
    found = _locked(actor, request_id)
    _approver_check(actor, found)
    _waiting(found)
    errors.raise_if_any()
    return found


def override_approve(*, actor: User, request_id: int, note: str = "") -> OverrideRequest:
    """Approve and set the override (see the module doc). Refused when the end date has passed
    meanwhile (``override_expired``) or the card was merged into another (``customer_merged``):
    the approver rejects such a request instead."""
    text = (note or "").strip()
    errors = FieldErrors()
    if len(text) > 200:
        errors.add("note", _("At most 200 characters."))
    with transaction.atomic():
        found = _decidable(actor, request_id, errors)
        requester = found.requested_by
        if requester is None or not policy.is_active(requester):
            raise Conflict(
                _("The one who asked no longer has an active account; reject the request."),
                code="requester_inactive",
            )
        merged_into = Customer.objects.filter(pk=found.customer_id).values_list(
            "merged_into_id", flat=True
        )
        _refuse_merged(merged_into.first())
        if found.until <= business_today():
            raise Conflict(
                _("The end date asked for has passed; reject the request."),
                code="override_expired",
            )
        override_apply(
            actor=actor,
            requested_by=requester,
            approver=actor,
            customer_id=found.customer_id,
            tier_code=found.tier,
            reason=found.reason,
            until=found.until,
        )
        _decide(found, actor, RequestStatus.APPROVED, text)
    return found


def override_reject(*, actor: User, request_id: int, note: str) -> OverrideRequest:
    """Refuse the request; the note (required) tells the one who asked why."""
    text = (note or "").strip()
    errors = FieldErrors()
    if not text:
        errors.add("note", _("Say why the request is rejected."))
    elif len(text) > 200:
        errors.add("note", _("At most 200 characters."))
    with transaction.atomic():
        found = _decidable(actor, request_id, errors)
        _decide(found, actor, RequestStatus.REJECTED, text)
    return found


def override_withdraw(*, actor: User, request_id: int) -> OverrideRequest:
    """The one who asked takes the request back while it waits."""
    with transaction.atomic():
        found = _locked(actor, request_id)
        if found.requested_by_id != actor.pk:
            raise PermissionDenied(code="not_your_request")
        _waiting(found)
        _decide(found, actor, RequestStatus.WITHDRAWN, "")
    return found


def override_requests_lock(customer_id: int) -> None:
    """Lock the requests waiting on a card about to be merged. Taken before the merge locks
    the memberships, in the order an approval takes them (request, then membership), so a
    merge and an approval of the same card wait for each other instead of deadlocking."""
    list(
        OverrideRequest.objects.select_for_update()
        .filter(customer_id=customer_id, status=RequestStatus.PENDING)
        .values_list("pk", flat=True)
    )


def override_requests_close_for_merge(
    *, actor: User, customer_id: int, survivor_id: int
) -> list[int]:
    """A request waiting on a card merged into ``survivor_id`` is closed (withdrawn, decided by
    the one merging, the note naming the surviving card): it was asked on the figures of a card
    that no longer stands alone, and an approval would be refused (``customer_merged``).
    Returns the ids closed; ``override_requests_reopen`` puts them back on an undo."""
    note = str(
        _("The card was merged into #%(id)s; ask again on that card.") % {"id": survivor_id}
    )[:200]
    closed = list(
        OverrideRequest.objects.select_for_update().filter(
            customer_id=customer_id, status=RequestStatus.PENDING
        )
    )
    for found in closed:
        _decide(found, actor, RequestStatus.WITHDRAWN, note)
    return [found.pk for found in closed]


def override_requests_reopen(*, actor: User, request_ids: list[int]) -> list[int]:
    """Undo of a merge: the requests it closed wait again, unless another request on the card
    waits by now (one waits at a time; the newer one stands). Returns the ids reopened."""
    reopened = []
    for found in OverrideRequest.objects.select_for_update().filter(
        pk__in=request_ids, status=RequestStatus.WITHDRAWN
    ):
        if _pending(found.customer_id).exists():
            continue  # asked again since (one request waits at a time): the new one stands
        _set_status(
            found, actor, RequestStatus.PENDING, decided_by=None, note="", audit_note="unmerge"
        )
        reopened.append(found.pk)
    return reopened
