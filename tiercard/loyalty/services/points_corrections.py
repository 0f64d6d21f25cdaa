"""Correcting a manual adjustment (撤销调整): a reversal entry, never an edit.

The ledger is append-only, so an adjustment made in error is undone by a new ``adjust``
entry that names it (``reverses``) and carries the opposite points, with the reason for the
correction; the original stays as it was. An adjustment, not a ``reversal``: reports count
negative reversals as returns and positive ones as cancelled redemptions, and this is
neither (as the undo of a merge's transfer). Rules:

* only adjustments made by hand (key ``adjust:<client key>``) are reversed here — not a
  merge's transfers or opening balances, which are also ``adjust`` entries, nor a correction
  itself; purchases are corrected by returns, redemptions by their cancellation; managers and
  administrators who may adjust points, on customers in their scope;
* once per adjustment: the key ``adjust-reverse:<entry id>`` is unique, and the membership row
  is locked first, so two people reversing at once reverse once (``already_reversed``);
* reversing an addition takes back that adjustment's own lot, which must still hold all its
  points: when some were spent or have expired the reversal is refused (``points_spent``) —
  remove what is left with an adjustment instead — so no other points are taken, the balance
  never goes negative and nothing is owed on a correction;
* reversing a removal gives the points back as a new lot, expiring per the rules from today.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from tiercard.core.text import clean_text
from tiercard.core.timeutils import business_today
from tiercard.customers.selectors import visible_customers
from tiercard.loyalty.models import EntryKind, PointsEntry, PointsLot
from tiercard.loyalty.services.points_ledger import credit_lot, draw, post
from tiercard.loyalty.services.state import active_programme, membership_lock
from tiercard.tiers import earning

MAX_REASON = 200
HAND_PREFIX = "adjust:"  # the key of an adjustment made by hand (``points.points_adjust``)


def points_adjust_reverse(
    *, actor: User, entry_id: int, reason: object, customer_id: int | None = None
) -> PointsEntry:
    """Reverse manual adjustment ``entry_id`` (see the module docstring); the new entry.

    ``customer_id`` (a card's page): the entry must be that customer's, else ``NotFound``.
    """
    entries = PointsEntry.objects.filter(
        pk=entry_id, customer__in=visible_customers(actor).values("pk")
    )
    if customer_id is not None:
        entries = entries.filter(customer_id=customer_id)
    original = entries.first()
    if original is None:
        raise NotFound()
    if not policy.can_adjust_points(actor):
        raise PermissionDenied()
    by_hand = original.kind == EntryKind.ADJUST and original.key.startswith(HAND_PREFIX)
    if not by_hand or original.reverses_id is not None:
        raise Conflict(
            _("Only manual adjustments are reversed this way."), code="not_an_adjustment"
        )
    text = _clean_reason(reason)
    with transaction.atomic():
        active = active_programme()
        row = membership_lock(original.customer_id, active)
        if PointsEntry.objects.filter(reverses=original).exists():
            raise Conflict(_("This adjustment was reversed already."), code="already_reversed")
        points = -original.points
        lot = PointsLot.objects.filter(entry=original).first()
        if points < 0 and (lot is None or lot.remaining != lot.points):
            raise Conflict(
                _(
                    "Some of these points were spent or have expired: remove what is left "
                    "with an adjustment instead."
                ),
                code="points_spent",
            )
        entry = post(
            row,
            kind=EntryKind.ADJUST,
            points=points,
            key=f"adjust-reverse:{original.pk}",
            actor=actor,
            ladder_version=active.version,
            reverses=original,
            note=text,
        )
        today = business_today()
        if points > 0:
            expiry = earning.expires_on(active.programme.points, today)
            credit_lot(entry, earned_on=today, expires_on=expiry)
        else:
            draw(entry, usable_on=today, first=lot)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=entry,
            customer_id=entry.customer_id,
            changes={
                "points": points,
                "reverses": original.pk,
                "balance_after": entry.balance_after,
            },
            note=text,
        )
    return entry


def _clean_reason(reason: object) -> str:
    text = clean_text(reason) if isinstance(reason, str) else ""
    errors = FieldErrors()
    if not text:
        errors.add("reason", _("A reason is required."))
    elif len(text) > MAX_REASON:
        errors.add("reason", _("Use at most 200 characters."))
    errors.raise_if_any()
    return text
