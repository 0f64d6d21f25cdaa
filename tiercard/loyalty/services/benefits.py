"""Using a tier benefit that has a quota (e.g. 2 free deliveries a month).

A use is one transaction: the customer's membership row lock first (the order checkout and the
points services take it in), then the quota's counter for the current period, incremented
with a conditional update (``used < limit``). The database refuses the increment that would
pass the limit, so concurrent uses never exceed a quota, and a refused use writes nothing.

The quota is the one of the tier the customer holds now, under the active programme; the
counter belongs to the customer, the code and the period, not to the tier, so an upgrade in
mid-month keeps the uses already made and grants only the difference.

Idempotency: the client's key is unique in ``BenefitUse``; a replay of the same request
returns the stored use, the same key for another request is ``duplicate_key``.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationFailed
from tiercard.core.text import clean_text
from tiercard.core.timeutils import business_today
from tiercard.customers.selectors import visible_customers
from tiercard.loyalty.models import BenefitCounter, BenefitUse
from tiercard.loyalty.services.points_ledger import clean_key, duplicate_key
from tiercard.loyalty.services.state import Active, active_programme, membership_lock
from tiercard.tiers.benefits import Quota
from tiercard.tiers.window import Period

MAX_NOTE = 200

_EXHAUSTED: dict[Period, Promise] = {
    Period.MONTH: _("%(name)s is used up: %(limit)d per month, all used this month."),
    Period.QUARTER: _("%(name)s is used up: %(limit)d per quarter, all used this quarter."),
    Period.YEAR: _("%(name)s is used up: %(limit)d per year, all used this year."),
}


def quota_name(quota: Quota) -> str:
    """The quota's name in the active language."""
    return quota.name_zh if (get_language() or "").startswith("zh") else quota.name_en


def known_quota_codes(active: Active) -> set[str]:
    return {q.code for b in active.programme.benefits.values() for q in b.quotas}


def _clean(code: object, key: object, note: object) -> tuple[str, str, str]:
    errors = FieldErrors()
    if not isinstance(code, str) or not code.strip():
        errors.add("code", _("Choose a benefit."))
        code = ""
    cleaned_key = clean_key(key, errors)
    text = clean_text(note) if isinstance(note, str) else ""
    if not isinstance(note, str):
        errors.add("note", _("Enter text."))
    elif len(text) > MAX_NOTE:
        errors.add("note", _("Use at most 200 characters."))
    errors.raise_if_any()
    assert isinstance(code, str)
    return code.strip(), cleaned_key, text


def _replayed(key: str, customer_id: int, code: str, note: str) -> BenefitUse | None:
    existing = BenefitUse.objects.filter(key=key).first()
    if existing is None:
        return None
    if existing.customer_id == customer_id and existing.code == code and existing.note == note:
        return existing
    raise duplicate_key()


def benefit_use(
    *, actor: User, customer_id: int, code: str, key: str, note: str = ""
) -> BenefitUse:
    """Record one use of the quota benefit ``code`` for a customer in the actor's scope.

    Errors (each leaves nothing written): ``NotFound`` (customer out of scope),
    ``PermissionDenied`` (roles that cannot record purchases), ``validation_error`` (shape),
    ``unknown_benefit`` (no tier of the active programme has this quota),
    ``benefit_not_in_tier`` (the held tier lacks it), ``quota_exhausted``, ``duplicate_key``.
    """
    if not visible_customers(actor).filter(pk=customer_id).exists():
        raise NotFound()
    if not policy.can_record_purchase(actor):
        raise PermissionDenied()
    code, key, note = _clean(code, key, note)
    existing = _replayed(key, customer_id, code, note)
    if existing is not None:
        return existing
    active = active_programme()
    if code not in known_quota_codes(active):
        raise ValidationFailed(
            _("No tier offers this benefit."),
            code="unknown_benefit",
            fields={"code": [_("No tier offers this benefit.")]},
        )
    try:
        with transaction.atomic():
            return _use(actor, active, customer_id, code, key, note)
    except IntegrityError:
        existing = _replayed(key, customer_id, code, note)
        if existing is None:
            raise
        return existing


def _use(
    actor: User, active: Active, customer_id: int, code: str, key: str, note: str
) -> BenefitUse:
    row = membership_lock(customer_id, active)
    existing = _replayed(key, customer_id, code, note)  # a replay that waited for our lock
    if existing is not None:
        return existing
    quota = active.programme.benefits_of(row.tier).quota(code)
    if quota is None:
        raise Conflict(
            _("The customer's tier does not include this benefit."), code="benefit_not_in_tier"
        )
    start = quota.period.start(business_today())
    # The row exists before the conditional update; ignore_conflicts makes the insert safe
    # for a writer that does not hold the membership lock, should one ever exist.
    BenefitCounter.objects.bulk_create(
        [BenefitCounter(customer_id=customer_id, code=code, period_start=start)],
        ignore_conflicts=True,
    )
    taken = BenefitCounter.objects.filter(
        customer_id=customer_id, code=code, period_start=start, used__lt=quota.limit
    ).update(used=F("used") + 1)
    if taken != 1:
        raise Conflict(
            _EXHAUSTED[quota.period] % {"name": quota_name(quota), "limit": quota.limit},
            code="quota_exhausted",
            params={"limit": quota.limit, "period": quota.period.value},
        )
    use = BenefitUse.objects.create(
        customer_id=customer_id,
        code=code,
        period_start=start,
        tier=row.tier,
        ladder_version=active.version,
        key=key,
        note=note,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=use,
        customer_id=customer_id,
        changes={"benefit": code, "period_start": start, "limit": quota.limit},
        note=note,
    )
    return use


def benefit_use_cancel(*, actor: User, use_id: int, reason: str) -> BenefitUse:
    """Cancel a use recorded by mistake: the quota gets the use back in that use's period.

    Written as a cancelling row (``cancels`` = the use, key ``cancel:<id>``), never by
    changing or deleting the use. Errors, each leaving nothing written: ``NotFound`` (unknown
    use, or its customer outside the actor's scope), ``PermissionDenied`` (managers and
    admins only), ``validation_error`` (a reason is required), ``already_cancelled``, and
    ``not_a_use`` for a cancelling row. Idempotent: cancelling a cancelled use again with
    the same reason returns the existing cancellation.
    """
    use = (
        BenefitUse.objects.filter(customer__in=visible_customers(actor), pk=use_id)
        .select_related("cancelled_by")
        .first()
    )
    if use is None:
        raise NotFound()
    if not policy.can_adjust_points(actor):
        raise PermissionDenied()
    text = clean_text(reason) if isinstance(reason, str) else ""
    if not text or len(text) > MAX_NOTE:
        message = _("A reason is required.") if not text else _("Use at most 200 characters.")
        raise ValidationFailed(fields={"reason": [message]})
    if use.cancels_id is not None:
        raise Conflict(_("This row is itself a cancellation."), code="not_a_use")
    with transaction.atomic():
        membership_lock(use.customer_id, active_programme())
        done = BenefitUse.objects.filter(cancels=use).first()
        if done is not None:
            if done.note == text:
                return done
            raise Conflict(_("This use was already cancelled."), code="already_cancelled")
        given_back = BenefitCounter.objects.filter(
            customer_id=use.customer_id, code=use.code, period_start=use.period_start, used__gt=0
        ).update(used=F("used") - 1)
        assert given_back == 1, "every use counted once in its period's counter"
        cancel = BenefitUse.objects.create(
            customer_id=use.customer_id,
            code=use.code,
            period_start=use.period_start,
            tier=use.tier,
            ladder_version=use.ladder_version,
            key=f"cancel:{use.pk}",
            note=text,
            actor=actor,
            cancels=use,
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=use,
            customer_id=use.customer_id,
            changes={"cancelled": [False, True], "benefit": use.code},
            note=text,
        )
    return cancel
