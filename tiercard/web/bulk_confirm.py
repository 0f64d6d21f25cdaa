"""What a bulk owner or status change would do, worked out before it is confirmed.

Read-only: nothing is locked or written. The plan is the bulk services' own
(``tiercard.customers.bulk``, read without locks), so a request the service would refuse is
refused here already, with the same message and nothing shown of customers outside the
viewer's scope. The service checks everything again when the change is confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiercard.accounts.models import User
from tiercard.customers.bulk import owner_change_plan, status_change_plan
from tiercard.customers.models import CustomerStatus


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


def owner_preview(*, actor: User, customer_ids: Iterable[object], owner_id: object) -> BulkPreview:
    plan, owner = owner_change_plan(actor=actor, customer_ids=customer_ids, owner_id=owner_id)
    changing = len(plan.changing)
    title = ngettext(
        "Hand %(n)d customer to %(name)s?", "Hand %(n)d customers to %(name)s?", changing
    ) % {"n": changing, "name": owner}
    return BulkPreview(
        "owner", str(owner.pk), plan.ids, changing, title, _("Assign account manager")
    )


def status_preview(*, actor: User, customer_ids: Iterable[object], status: object) -> BulkPreview:
    plan = status_change_plan(actor=actor, customer_ids=customer_ids, status=status)
    changing = len(plan.changing)
    title = ngettext(
        "Set the status of %(n)d customer to “%(status)s”?",
        "Set the status of %(n)d customers to “%(status)s”?",
        changing,
    ) % {"n": changing, "status": CustomerStatus(str(status)).label}
    return BulkPreview("status", str(status), plan.ids, changing, title, _("Change status"))
