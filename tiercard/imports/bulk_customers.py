"""New customers of a large import, created set-based (the import's fast path).

Why: ``customer_create`` costs a dozen statements per card (10–20 ms on a small server), so a
100,000-row workbook would take half an hour. This path creates the new customers of a chunk
with a few statements, and keeps every invariant of ``customer_create`` by using its own
pieces rather than copies of them:

- validation: ``customers.services._apply_values`` (every value rule), ``_full_clean``
  (model shape), and the uniqueness of external ids and credit codes checked for the whole
  chunk at once (plus the file's own duplicates, by the applier);
- derived columns: ``_sync_contact_summary`` and ``_refresh_derived`` (pinyin, initials,
  search words, per-character tokens, primary phone, phone tail);
- owner: the importer, like ``customer_create`` when no owner is given (rows naming an
  owner, and rows with opening points or a tier, take the per-row service path instead);
- the same audit row per card (action create, the initial values, contacts masked, tags);
- the database's constraints as the backstop: if the bulk insert hits one anyway (a
  concurrent writer took an external id), the chunk's savepoint is rolled back and its rows
  go through ``customer_create`` one by one.

The dry run validates only (nothing is inserted). Possible duplicates are flagged set-based
from the strong keys (phones and emails already on cards the importer can see).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.audit.services import field_diff
from tiercard.core.context import current_interface, current_remote_addr
from tiercard.core.errors import FieldErrors, ValidationFailed
from tiercard.customers import services as cs
from tiercard.customers.models import ContactPoint, ContactPointKind, Customer, Tag
from tiercard.customers.selectors import visible_customers
from tiercard.imports import fastrows
from tiercard.imports.models import ChangeAction, ImportChange
from tiercard.imports.problems import RowProblem
from tiercard.imports.rows import ParsedRow

DEFAULT_BULK_FROM_BYTES = 64 << 10
"""Files from this size use the fast path (``TIERCARD_IMPORT_BULK_FROM_BYTES``); smaller ones
go row by row through ``customer_create`` and get the full duplicate scoring."""


@dataclass
class Prepared:
    row: ParsedRow
    customer: Customer
    writes: dict[str, Any]


def prepare(applier: Any, row: ParsedRow, data: dict[str, Any]) -> Prepared | list[RowProblem]:
    """The unsaved card of ``row`` with every check of ``customer_create``, or its problems."""
    from tiercard.imports.apply_base import service_problems

    actor = applier.actor
    errors = FieldErrors()
    customer = Customer(created_by=actor, owner=actor, team_id=actor.team_id)
    values = {k: v for k, v in data.items() if k != "owner_id"}
    writes = cs._apply_values(customer, values, actor, errors, creating=True)
    customer.owner, customer.team_id = actor, actor.team_id
    cs._full_clean(customer, errors)
    if errors:
        failed = ValidationFailed(fields=errors.errors)
        return service_problems(failed, [row], applier.header_of)
    return Prepared(row, customer, writes)


def _taken(prepared: Sequence[Prepared]) -> dict[tuple[str, str], bool]:
    taken: dict[tuple[str, str], bool] = {}
    for name in ("external_id", "credit_code"):
        wanted = {getattr(p.customer, name) for p in prepared} - {""}
        if wanted:
            for value in (
                Customer.objects.exclude(**{name: ""})
                .filter(**{f"{name}__in": wanted})
                .values_list(name, flat=True)
            ):
                taken[(name, value)] = True
    return taken


def check_unique(
    applier: Any, prepared: list[Prepared]
) -> tuple[list[Prepared], list[tuple[ParsedRow, list[RowProblem]]]]:
    taken = _taken(prepared)
    ok: list[Prepared] = []
    failed: list[tuple[ParsedRow, list[RowProblem]]] = []
    messages = {
        "external_id": _("Another customer already has this external id."),
        "credit_code": _("Another customer already has this unified social credit code."),
    }
    for p in prepared:
        clash = [n for n in messages if (n, getattr(p.customer, n)) in taken]
        if clash:
            failed.append(
                (
                    p.row,
                    [
                        RowProblem(
                            row=p.row.number,
                            code="validation_error",
                            message=messages[n],
                            column=applier.header_of.get(n, ""),
                            field=n,
                        )
                        for n in clash
                    ],
                )
            )
        else:
            ok.append(p)
    return ok, failed


def flag_possible_duplicates(applier: Any, prepared: Sequence[Prepared]) -> None:
    """Notes on new rows whose other phones or emails are on cards the importer can see."""
    phones = {v for p in prepared for v in p.writes.get("phones", [])}
    emails = {v.lower() for p in prepared for v in p.writes.get("emails", [])}
    if not phones and not emails:
        return
    holders: dict[str, set[int]] = {}
    # By value first (the contact-point index), then the scope on the few cards found: a
    # scope subquery in the same statement made SQLite walk every customer per chunk.
    for value, pk in ContactPoint.objects.filter(
        kind__in=[ContactPointKind.MOBILE, ContactPointKind.PHONE], normalized__in=phones
    ).values_list("normalized", "customer_id"):
        holders.setdefault(value, set()).add(pk)
    for value, pk in ContactPoint.objects.filter(
        kind=ContactPointKind.EMAIL,
        normalized__in=emails | {v for p in prepared for v in p.writes.get("emails", [])},
    ).values_list("normalized", "customer_id"):
        holders.setdefault(value.lower(), set()).add(pk)
    found = set().union(*holders.values()) if holders else set()
    seen = set(visible_customers(applier.actor).filter(pk__in=found).values_list("pk", flat=True))
    holders = {value: ids & seen for value, ids in holders.items() if ids & seen}
    names = dict(
        Customer.objects.filter(pk__in=set().union(*holders.values())).values_list("pk", "name")
    )
    for p in prepared:
        ids = set().union(
            *(holders.get(v, set()) for v in p.writes.get("phones", [])),
            *(holders.get(v.lower(), set()) for v in p.writes.get("emails", [])),
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


def _audit_changes(customer: Customer, writes: dict[str, Any]) -> dict[str, Any]:
    """The changes ``customer_create`` audits: initial values, contacts masked, tags."""
    initial = {k: v for k, v in cs._snapshot(customer).items() if v not in ("", None, False)}
    changes: dict[str, Any] = field_diff({}, initial)
    after: dict[str, list[str]] = {kind: [] for kind in ContactPointKind.values}
    for kind, values in cs._contact_values_by_kind(writes).items():
        after[kind] = [normalized for normalized, _shown in values]
    changes.update(cs._contact_diff(cs._contact_lists(None), after))
    if writes.get("tags"):
        changes["tags"] = [[], sorted(set(writes["tags"]))]
    return changes


def insert(applier: Any, prepared: list[Prepared]) -> None:
    """Write the chunk's new customers with their contact points, tags, audit and change rows.

    Raises IntegrityError (the caller falls back to the per-row path) when a constraint
    refuses a row; everything is inside the caller's savepoint.
    """
    for p in prepared:
        cs._refresh_derived(p.customer, cs._sync_contact_summary(p.customer, p.writes))
    actor = applier.actor
    now = timezone.now()
    with transaction.atomic():
        fastrows.insert_objects(Customer, [p.customer for p in prepared])
        fastrows.insert_values(
            ContactPoint,
            [
                "customer_id",
                "kind",
                "value",
                "normalized",
                "label",
                "is_primary",
                "opted_out",
                "created_at",
            ],
            (
                (p.customer.pk, kind, shown, normalized, "", i == 0, False, now)
                for p in prepared
                for kind, values in cs._contact_values_by_kind(p.writes).items()
                for i, (normalized, shown) in enumerate(values)
            ),
        )
        names = {n for p in prepared for n in p.writes.get("tags", [])}
        if names:
            Tag.objects.bulk_create([Tag(name=n) for n in sorted(names)], ignore_conflicts=True)
            ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
            fastrows.insert_values(
                Customer.tags.through,
                ["customer_id", "tag_id"],
                (
                    (p.customer.pk, ids[n])
                    for p in prepared
                    for n in sorted(set(p.writes.get("tags", [])))
                ),
            )
        interface, remote = current_interface(), current_remote_addr()[:64]
        fastrows.insert_values(
            AuditEvent,
            [
                "at",
                "actor_id",
                "actor_label",
                "interface",
                "remote_addr",
                "action",
                "object_type",
                "object_id",
                "customer_id",
                "changes",
                "note",
            ],
            (
                (
                    now,
                    actor.pk,
                    actor.username,
                    interface,
                    remote,
                    AuditAction.CREATE.value,
                    "customers.customer",
                    str(p.customer.pk),
                    p.customer.pk,
                    _audit_changes(p.customer, p.writes),
                    "",
                )
                for p in prepared
            ),
        )
        fastrows.insert_values(
            ImportChange,
            ["batch_id", "row_number", "model", "object_id", "action", "before", "after", "undone"],
            (
                (
                    applier.batch.pk,
                    p.row.number,
                    "customers.customer",
                    p.customer.pk,
                    ChangeAction.CREATED.value,
                    {},
                    {"name": p.customer.name},
                    False,
                )
                for p in prepared
            ),
        )
