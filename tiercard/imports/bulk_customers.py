"""New customers of a large import, created set-based (the import's fast path).

Why: ``customer_create`` costs a dozen statements per card, so a 100,000-row workbook would
take half an hour. The customer app's bulk service (``customers.bulk_create``) validates and
writes a chunk of new cards with ``customer_create``'s rules (values, model shape, unique
external ids and credit codes, derived columns, contact points, tags, audit); this module
adds what belongs to the import:

- rows in, row problems out (each refused card's field errors on its column);
- possible duplicates flagged set-based from the strong keys (phones and emails already on
  cards the importer can see), as notes;
- one change row per new card, for the import's undo.

Rows naming an owner, and rows with opening points or a tier, take the per-row service path
instead (see ``apply_customers``). The dry run validates only (nothing is inserted). If the
bulk insert hits a constraint anyway (a concurrent writer took an external id), the chunk's
savepoint is rolled back and its rows go through ``customer_create`` one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tiercard.core.bulk_insert import insert_values
from tiercard.core.errors import ValidationFailed
from tiercard.customers.bulk_create import (
    NewCard,
    customers_bulk_insert,
    customers_bulk_validate,
)
from tiercard.customers.models import ContactPointKind, Customer
from tiercard.customers.selectors import visible_customers
from tiercard.imports.apply_base import contact_point_pairs
from tiercard.imports.models import ChangeAction, ImportChange, MatchKey
from tiercard.imports.problems import RowProblem
from tiercard.imports.rows import ParsedRow

DEFAULT_BULK_FROM_BYTES = 64 << 10
"""Files from this size use the fast path (``TIERCARD_IMPORT_BULK_FROM_BYTES``); smaller ones
go row by row through ``customer_create`` and get the full duplicate scoring."""


@dataclass
class Prepared:
    row: ParsedRow
    card: NewCard


def prepare(
    applier: Any, rows: Sequence[tuple[ParsedRow, dict[str, Any]]]
) -> tuple[list[Prepared], list[tuple[ParsedRow, list[RowProblem]]]]:
    """The rows' validated new cards, and the rows refused with their problems."""
    from tiercard.imports.apply_base import service_problems

    results = customers_bulk_validate(actor=applier.actor, items=[data for _row, data in rows])
    ok: list[Prepared] = []
    failed: list[tuple[ParsedRow, list[RowProblem]]] = []
    for (row, _data), result in zip(rows, results, strict=True):
        if isinstance(result, ValidationFailed):
            failed.append((row, service_problems(result, [row], applier.header_of)))
        else:
            ok.append(Prepared(row, result))
    return ok, failed


def flag_possible_duplicates(applier: Any, prepared: Sequence[Prepared]) -> None:
    """Notes on new rows whose other phones or emails are on cards the importer can see."""
    phones = {v for p in prepared for v in p.card.writes.get("phones", [])}
    emails = {v for p in prepared for v in p.card.writes.get("emails", [])}
    if applier.key == MatchKey.PHONE:
        phones -= applier.unheld  # the chunk's key lookup found no card with these
    elif applier.key == MatchKey.EMAIL:
        emails -= applier.unheld
    if not phones and not emails:
        return
    holders: dict[str, set[int]] = {}
    # By value first (the contact-point index), then the scope on the few cards found: a
    # scope subquery in the same statement made SQLite walk every customer per chunk.
    for value, pk in contact_point_pairs([ContactPointKind.MOBILE, ContactPointKind.PHONE], phones):
        holders.setdefault(value, set()).add(pk)
    for value, pk in contact_point_pairs(
        [ContactPointKind.EMAIL], emails | {v.lower() for v in emails}
    ):
        holders.setdefault(value.lower(), set()).add(pk)
    found = set().union(*holders.values()) if holders else set()
    seen = set(visible_customers(applier.actor).filter(pk__in=found).values_list("pk", flat=True))
    holders = {value: ids & seen for value, ids in holders.items() if ids & seen}
    names = dict(
        Customer.objects.filter(pk__in=set().union(*holders.values())).values_list("pk", "name")
    )
    for p in prepared:
        ids = set().union(
            *(holders.get(v, set()) for v in p.card.writes.get("phones", [])),
            *(holders.get(v.lower(), set()) for v in p.card.writes.get("emails", [])),
        )
        if ids:
            p.row.notes.append(
                RowProblem(
                    row=p.row.number,
                    code="possible_duplicate",
                    message=_("Possibly the same customer as: %(names)s."),
                    severity="warning",
                    params={
                        "names": "、".join(f"{names.get(pk, '')} (#{pk})" for pk in sorted(ids)[:3])
                    },
                )
            )


def insert(applier: Any, prepared: list[Prepared]) -> None:
    """Write the chunk's new customers (``customers_bulk_insert``) and their change rows.

    Raises IntegrityError (the caller falls back to the per-row path) when a constraint
    refuses a row; everything is inside the caller's savepoint.
    """
    with transaction.atomic(savepoint=False):  # the caller's savepoint covers the chunk
        customers_bulk_insert(actor=applier.actor, cards=[p.card for p in prepared])
        insert_values(
            ImportChange,
            ["batch_id", "row_number", "model", "object_id", "action", "before", "after", "undone"],
            (
                (
                    applier.batch.pk,
                    p.row.number,
                    "customers.customer",
                    p.card.customer.pk,
                    ChangeAction.CREATED.value,
                    {},
                    {"name": p.card.customer.name},
                    False,
                )
                for p in prepared
            ),
        )
