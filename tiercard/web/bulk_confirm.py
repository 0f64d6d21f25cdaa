"""What a bulk owner or status change would do, worked out before it is confirmed.

Read-only: nothing is locked or written. The ids, the right and the value are checked the way
the bulk services check them (``tiercard.customers.bulk``), so a request the service would
refuse is refused here already, with the same message and nothing shown of customers outside
the viewer's scope. The service checks everything again when the change is confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.bulk import BULK_STATUSES, clean_ids
from tiercard.customers.card_actions import clean_owner_id
from tiercard.customers.models import CustomerStatus
from tiercard.customers.selectors import visible_customers


@dataclass(frozen=True)
class BulkPreview:
    """``ids`` selected, ``changing`` of them not yet in the wanted state."""

    action: str
    value: str
    ids: list[int]
    changing: int
    title: str
    button: str

    @property
    def unchanged(self) -> int:
        return len(self.ids) - self.changing


def _current(actor: User, ids: list[int], *fields: str) -> dict[int, tuple[object, ...]]:
    rows = visible_customers(actor).filter(pk__in=ids).values_list("pk", *fields)
    found = {pk: tuple(rest) for pk, *rest in rows}
    if len(found) != len(ids):
        raise NotFound(
            _("Some selected customers are not available to you; nothing was changed."),
            code="out_of_scope",
        )
    return found


def owner_preview(*, actor: User, customer_ids: Iterable[object], owner_id: object) -> BulkPreview:
    ids = clean_ids(customer_ids)
    if not policy.can_assign_owner(actor):
        raise PermissionDenied()
    owner = clean_owner_id(actor, owner_id)
    if owner is None:
        raise ValidationFailed(fields={"owner_id": [_("Choose an account manager.")]})
    current = _current(actor, ids, "owner_id", "team_id")
    changing = sum(1 for now in current.values() if now != (owner.pk, owner.team_id))
    title = ngettext(
        "Hand %(n)d customer to %(name)s?", "Hand %(n)d customers to %(name)s?", changing
    ) % {"n": changing, "name": owner}
    return BulkPreview("owner", str(owner.pk), ids, changing, title, _("Assign account manager"))


def status_preview(*, actor: User, customer_ids: Iterable[object], status: object) -> BulkPreview:
    ids = clean_ids(customer_ids)
    if not policy.can_update_customers(actor):
        raise PermissionDenied()
    if status not in BULK_STATUSES:
        raise ValidationFailed(fields={"status": [_("Choose active, at risk or churned.")]})
    current = _current(actor, ids, "status")
    if (CustomerStatus.ARCHIVED,) in current.values():
        raise ValidationFailed(
            fields={"status": [_("Archived customers are in the selection; restore them first.")]}
        )
    changing = sum(1 for now in current.values() if now != (status,))
    title = ngettext(
        "Set the status of %(n)d customer to “%(status)s”?",
        "Set the status of %(n)d customers to “%(status)s”?",
        changing,
    ) % {"n": changing, "status": CustomerStatus(str(status)).label}
    return BulkPreview("status", str(status), ids, changing, title, _("Change status"))
