"""Interaction rows: each linked to a customer and logged through ``interaction_log``.

An interaction has no reference of its own, so one already on the customer's card at the same
time, of the same kind and with the same content counts as this row (re-running a file changes
nothing). A next step due before today is history, not a task: it is left out with a note
(the service refuses due dates in the past). The interaction is logged by the importer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.core.errors import DomainError
from tiercard.core.timeutils import business_today
from tiercard.imports.apply_base import (
    NEW,
    UNCHANGED,
    CustomerFinder,
    RowFailed,
    Unit,
    fail,
    link_key,
    linked_customer,
    record_change,
    service_problems,
)
from tiercard.imports.models import ImportBatch
from tiercard.imports.problems import RowProblem
from tiercard.interactions.models import Interaction
from tiercard.interactions.services import interaction_log

FIELDS = ("kind", "occurred_at", "summary", "outcome", "next_step", "next_step_due")


def _fingerprint(customer_id: int, occurred: Any, kind: str, summary: str) -> bytes:
    when = occurred.isoformat() if isinstance(occurred, dt.datetime) else str(occurred)
    return hashlib.blake2b(
        f"{customer_id}|{when}|{kind}|{summary.strip()}".encode(), digest_size=12
    ).digest()


class InteractionApplier:
    def __init__(self, batch: ImportBatch, actor: User, header_of: dict[str, str]) -> None:
        self.batch = batch
        self.actor = actor
        self.header_of = header_of
        self.key = batch.match_key
        self.finder = CustomerFinder(actor, self.key)
        self.existing: set[bytes] = set()
        self.seen: dict[bytes, int] = {}
        self.today = business_today()

    def prepare(self, units: Sequence[Unit]) -> None:
        self.finder.load(link_key(unit[0].values, self.key) for unit in units)
        ids = {
            m.customer_id
            for unit in units
            for m in self.finder.get(link_key(unit[0].values, self.key))
        }
        times = {unit[0].values.get("occurred_at") for unit in units} - {None}
        self.existing = {
            _fingerprint(customer_id, at.astimezone(dt.UTC) if at else at, kind, summary)
            for customer_id, at, kind, summary in Interaction.objects.filter(
                customer_id__in=ids, occurred_at__in=times
            ).values_list("customer_id", "occurred_at", "kind", "summary")
        }

    def apply(self, unit: Unit) -> str:
        row = unit[0]
        customer_id = linked_customer(self.finder, row, self.key, self.header_of)
        values = row.values
        occurred = values.get("occurred_at")
        when = occurred.astimezone(dt.UTC) if isinstance(occurred, dt.datetime) else occurred
        mark = _fingerprint(
            customer_id, when, str(values.get("kind") or ""), str(values.get("summary") or "")
        )
        first = self.seen.setdefault(mark, row.number)
        if first != row.number:
            raise fail(
                row,
                "duplicate_in_file",
                _("The same interaction is already in row %(first)s of this file."),
                first=first,
            )
        if mark in self.existing:
            return UNCHANGED
        data = {name: values[name] for name in FIELDS if name in values}
        due = data.get("next_step_due")
        if isinstance(due, dt.date) and due < self.today:
            del data["next_step_due"]
            row.notes.append(
                RowProblem(
                    row=row.number,
                    code="due_in_past",
                    message=_("The next step was due in the past; kept as text only."),
                    column=self.header_of.get("next_step_due", ""),
                    field="next_step_due",
                    severity="warning",
                )
            )
        try:
            interaction = interaction_log(actor=self.actor, customer_id=customer_id, data=data)
        except DomainError as error:
            raise RowFailed(service_problems(error, [row], self.header_of)) from error
        record_change(
            self.batch,
            row,
            model="interactions.interaction",
            object_id=interaction.pk,
            after={"customer_id": customer_id},
        )
        return NEW
