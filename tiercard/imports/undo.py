"""Undo a committed batch: every change it made is reversed through the owning service.

In reverse order of the changes (so points and tiers go before the customers they belong to):

- a purchase it created is returned in full (``purchase_return``): points and growth value
  are taken back pro rata and the tier is reviewed, exactly as for a real return;
- opening points it credited are taken back (``points_adjust`` with a negative amount);
  points already spent cannot be: reported as a conflict;
- a tier override it set is cleared (``tier_override_clear``) if it is still the import's
  own; the next review grades the customer normally;
- an interaction it logged is removed (audited as a deletion), and so is a contact person it
  added (``contact_remove``);
- fields it updated are put back (``customer_update``) where they still hold what the import
  wrote; a field someone changed since is left alone and reported as a conflict;
- a customer it created is archived (``customer_archive``, reversible) when nothing outside
  this batch refers to it; a card that has since gained purchases, interactions, service
  tickets or points from elsewhere stays active and is reported. Cards are never deleted:
  the history and the audit trail keep their customer.

Conflicts are stored as the batch's problems (warnings, code ``undo_conflict``); the batch
ends ``undone`` either way. Managers and administrators only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from tiercard.customers.contact_persons import contact_remove
from tiercard.customers.models import Contact, Customer, CustomerStatus
from tiercard.customers.services import customer_archive, customer_update
from tiercard.imports.apply_customers import load_cards, snapshot
from tiercard.imports.models import (
    ChangeAction,
    ImportBatch,
    ImportChange,
    ImportProblem,
    ImportStatus,
)
from tiercard.imports.permissions import batches_visible_to, can_undo_import
from tiercard.imports.problems import in_every_language
from tiercard.interactions.models import Interaction
from tiercard.interactions.services import interaction_remove
from tiercard.loyalty.models import Membership, PointsEntry
from tiercard.loyalty.services.checkout import purchase_return
from tiercard.loyalty.services.overrides import tier_override_clear
from tiercard.loyalty.services.points import points_adjust
from tiercard.sales.models import Purchase
from tiercard.servicedesk.models import ServiceTicket


class _Undo:
    def __init__(self, batch: ImportBatch, actor: User) -> None:
        self.batch = batch
        self.actor = actor
        self.reason = f"撤销导入 · import #{batch.pk} undone"
        self.conflicts: list[tuple[ImportChange, str, Any]] = []
        self.done = 0

    def conflict(self, change: ImportChange, code: str, message: Any) -> None:
        self.conflicts.append((change, code, message))

    def run(self) -> None:
        for change in self.batch.changes.filter(undone=False).order_by("-id"):
            handler = getattr(self, "_" + change.model.replace(".", "_"), None)
            if handler is None:
                continue
            try:
                with transaction.atomic():
                    ok = handler(change)
            except DomainError as error:
                self.conflict(change, error.code, error.message)
                continue
            if ok:
                ImportChange.objects.filter(pk=change.pk).update(undone=True)
                self.done += 1

    # --- per model -----------------------------------------------------------------------

    def _sales_purchase(self, change: ImportChange) -> bool:
        purchase = (
            Purchase.objects.filter(pk=change.object_id).values("total", "returned_amount").first()
        )
        if purchase is None:
            return True
        left = Decimal(purchase["total"]) - Decimal(purchase["returned_amount"])
        if left > 0:
            purchase_return(
                actor=self.actor,
                purchase_id=change.object_id,
                data={
                    "amount": str(left),
                    "reason": self.reason,
                    "external_ref": f"import-undo-{self.batch.pk}-{change.object_id}",
                },
            )
        return True

    def _loyalty_pointsentry(self, change: ImportChange) -> bool:
        points = int(change.after.get("points") or 0)
        customer_id = int(change.after.get("customer_id") or 0)
        if points <= 0 or not customer_id:
            return True
        balance = (
            Membership.objects.filter(customer_id=customer_id)
            .values_list("points_balance", flat=True)
            .first()
            or 0
        )
        if balance < points:
            self.conflict(
                change,
                "points_spent",
                _("Some of the opening points were already used; the points were not taken back."),
            )
            return False
        points_adjust(
            actor=self.actor,
            customer_id=customer_id,
            points=-points,
            reason=self.reason,
            key=f"import-undo-{self.batch.pk}-{change.object_id}",
        )
        return True

    def _loyalty_membership(self, change: ImportChange) -> bool:
        held = (
            Membership.objects.filter(customer_id=change.object_id)
            .values_list("override_reason", flat=True)
            .first()
        )
        if held != change.after.get("override_reason"):
            self.conflict(
                change,
                "tier_changed",
                _("The tier was set by hand again since the import; left as is."),
            )
            return False
        tier_override_clear(actor=self.actor, customer_id=change.object_id, reason=self.reason)
        return True

    def _interactions_interaction(self, change: ImportChange) -> bool:
        interaction_remove(actor=self.actor, interaction_id=change.object_id, reason=self.reason)
        return True

    def _customers_contact(self, change: ImportChange) -> bool:
        if Contact.objects.filter(pk=change.object_id).exists():
            contact_remove(actor=self.actor, contact_id=change.object_id)
        return True

    def _customers_customer(self, change: ImportChange) -> bool:
        if change.action == ChangeAction.UPDATED:
            return self._restore_fields(change)
        return self._archive_created(change)

    def _restore_fields(self, change: ImportChange) -> bool:
        cards = load_cards({change.object_id})
        if change.object_id not in cards:
            return True
        now = snapshot(cards[change.object_id], set(change.after))
        restore = {k: change.before[k] for k, v in change.after.items() if now.get(k) == v}
        changed_since = sorted(k for k, v in change.after.items() if now.get(k) != v)
        if changed_since:
            self.conflict(
                change,
                "changed_since",
                _("Changed since the import, left as is: %(fields)s")
                % {"fields": ", ".join(changed_since)},
            )
        if restore:
            customer_update(actor=self.actor, customer_id=change.object_id, data=restore)
        return not changed_since

    def _archive_created(self, change: ImportChange) -> bool:
        pk = change.object_id
        customer = Customer.objects.filter(pk=pk).values("status").first()
        if customer is None or customer["status"] == CustomerStatus.ARCHIVED:
            return True
        ours = {
            (c.model, c.object_id) for c in self.batch.changes.exclude(model="customers.customer")
        }
        purchases = set(Purchase.objects.filter(customer_id=pk).values_list("pk", flat=True))
        interactions = set(Interaction.objects.filter(customer_id=pk).values_list("pk", flat=True))
        tickets = set(ServiceTicket.objects.filter(customer_id=pk).values_list("pk", flat=True))
        entries = set(
            PointsEntry.objects.filter(customer_id=pk, reverses__isnull=True)
            .exclude(key__startswith="adjust:import-undo-")
            .values_list("pk", flat=True)
        )
        foreign = (
            {("sales.purchase", p) for p in purchases}
            | {("interactions.interaction", i) for i in interactions}
            | {("servicedesk.serviceticket", t) for t in tickets}  # never imported
            | {("loyalty.pointsentry", e) for e in entries}
        ) - ours
        if foreign:
            self.conflict(
                change,
                "customer_in_use",
                _(
                    "The customer has purchases, interactions, service tickets or points "
                    "from elsewhere; kept active."
                ),
            )
            return False
        customer_archive(actor=self.actor, customer_id=pk, reason=self.reason)
        return True


def import_undo(*, actor: User, batch_id: int) -> ImportBatch:
    """Reverse a committed batch (see the module docstring)."""
    try:
        pk = int(batch_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not batches_visible_to(actor).filter(pk=pk).exists():
        raise NotFound()
    if not can_undo_import(actor):
        raise PermissionDenied(_("Only managers and administrators undo imports."))
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=pk)
        if batch.status != ImportStatus.COMMITTED:
            raise Conflict(_("Only a completed import can be undone."), code="import_not_committed")
        undo = _Undo(batch, actor)
        undo.run()
        ImportProblem.objects.filter(batch=batch, code__in=["undo_conflict"]).delete()
        ImportProblem.objects.bulk_create(
            ImportProblem(
                batch=batch,
                row_number=change.row_number,
                code="undo_conflict",
                severity="warning",
                messages=in_every_language(message),
                params={"reason": code, "model": change.model},
            )
            for change, code, message in undo.conflicts
        )
        batch.status = ImportStatus.UNDONE
        batch.undone_at = timezone.now()
        batch.undone_by = actor
        batch.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=batch,
            changes={"undone": undo.done, "conflicts": len(undo.conflicts)},
            note="import undone",
        )
    return batch
