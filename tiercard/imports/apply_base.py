"""What the appliers share: outcomes, row failures, service errors as row problems, links.

An applier takes *units* (one row; for purchases, the rows of one order; for customers, a
row and the rows below it that add contact persons to the same card) and applies each
through the owning services, inside the savepoint the driver opened for it. It returns the
unit's outcome or raises :class:`RowFailed` with the problems; the driver rolls the unit's
savepoint back then, so a failed unit leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.core.errors import DomainError, NotFound
from tiercard.customers.models import ContactPoint, ContactPointKind, Customer, CustomerStatus
from tiercard.customers.selectors import visible_customers
from tiercard.imports.models import ChangeAction, ImportBatch, ImportChange, MatchKey
from tiercard.imports.problems import RowProblem
from tiercard.imports.rows import ParsedRow

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"
Unit = Sequence[ParsedRow]


class RowFailed(Exception):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(problems[0].code if problems else "invalid")
        self.problems = problems


def fail(
    row: ParsedRow,
    code: str,
    message: str | Promise,
    *,
    column: str = "",
    field: str = "",
    **params: Any,
) -> RowFailed:
    return RowFailed(
        [
            RowProblem(
                row=row.number,
                code=code,
                message=message,
                column=column,
                field=field,
                params=params,
            )
        ]
    )


def service_problems(
    error: DomainError,
    unit: Unit,
    header_of: dict[str, str],
    *,
    field_names: dict[str, str] | None = None,
) -> list[RowProblem]:
    """A service's error as row problems: field errors on their column (``lines.N.x`` on the
    N-th row of the unit), anything else on the unit's first row."""
    rename = field_names or {}
    found: list[RowProblem] = []
    for key, messages in (error.fields or {}).items():
        row = unit[0]
        name = key
        if key.startswith("lines."):
            parts = key.split(".")
            if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(unit):
                row = unit[int(parts[1])]
            name = parts[2] if len(parts) > 2 else "lines"
        name = rename.get(name, name)
        for message in messages:
            found.append(
                RowProblem(
                    row=row.number,
                    code=error.code,
                    message=message,
                    column=header_of.get(name, ""),
                    field=name,
                )
            )
    if not found:
        found.append(RowProblem(row=unit[0].number, code=error.code, message=error.message))
    return found


def record_change(
    batch: ImportBatch,
    row: ParsedRow,
    *,
    model: str,
    object_id: int,
    action: str = ChangeAction.CREATED,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    ImportChange.objects.create(
        batch=batch,
        row_number=row.number,
        model=model,
        object_id=object_id,
        action=action,
        before=before or {},
        after=after or {},
    )


@dataclass(frozen=True)
class Match:
    customer_id: int
    visible: bool
    archived: bool


class CustomerFinder:
    """Customers found by a key, for a chunk at a time: all customers (so a match outside the
    actor's scope is seen and refused, never duplicated), marked visible or not."""

    def __init__(self, actor: User, key: str) -> None:
        self.actor = actor
        self.key = key
        self.found: dict[Any, list[Match]] = {}

    def load(self, keys: Iterable[Any]) -> None:
        wanted = {k for k in keys if k}
        pairs: list[tuple[Any, int]] = []
        if not wanted:
            self.found = {}
            return
        if self.key == MatchKey.PHONE:
            pairs = list(
                contact_point_pairs([ContactPointKind.MOBILE, ContactPointKind.PHONE], wanted)
            )
        elif self.key == MatchKey.EMAIL:
            lowered = {str(k).lower() for k in wanted}
            pairs = [
                (value.lower(), pk)
                for value, pk in contact_point_pairs([ContactPointKind.EMAIL], wanted | lowered)
            ]
        elif self.key in (MatchKey.EXTERNAL_ID, MatchKey.CREDIT_CODE):
            pairs = list(
                Customer.objects.exclude(**{self.key: ""})
                .filter(**{f"{self.key}__in": wanted})
                .values_list(self.key, "pk")
            )
        elif self.key == MatchKey.NAME_COMPANY:
            names = {name for name, _company in wanted}
            pairs = [
                ((name, company), pk)
                for name, company, pk in Customer.objects.filter(name__in=names).values_list(
                    "name", "company_name", "pk"
                )
                if (name, company) in wanted
            ]
        ids = {pk for _k, pk in pairs}
        merged = set(
            Customer.objects.filter(pk__in=ids, merged_into__isnull=False).values_list(
                "pk", flat=True
            )
        )
        seen = dict(visible_customers(self.actor).filter(pk__in=ids).values_list("pk", "status"))
        archived = set(
            Customer.objects.filter(pk__in=ids, status=CustomerStatus.ARCHIVED).values_list(
                "pk", flat=True
            )
        )
        self.found = {}
        for key, pk in pairs:
            if pk in merged:
                continue  # a merged card lives on in its survivor; its old contacts do not count
            entry = Match(pk, pk in seen, pk in archived)
            if entry not in self.found.setdefault(key, []):
                self.found[key].append(entry)

    def get(self, key: Any) -> list[Match]:
        lookup = key.lower() if self.key == MatchKey.EMAIL and isinstance(key, str) else key
        return self.found.get(lookup, [])


def link_key(values: dict[str, Any], key: str) -> Any:
    """The value that links a purchase or interaction row to its customer."""
    if key == MatchKey.NAME_COMPANY:
        name = values.get("name") or ""
        return (name, values.get("company_name") or "") if name else None
    if key == MatchKey.PHONE:
        return values.get("phone")
    return values.get(key)


def linked_customer(
    finder: CustomerFinder, row: ParsedRow, key: str, header_of: dict[str, str]
) -> int:
    """The one visible customer the row names; a RowFailed otherwise that says nothing about
    customers the actor cannot see (missing and out of scope read the same)."""
    value = link_key(row.values, key)
    field = {"name_company": "name"}.get(key, key)
    if value is None or value == "":
        raise fail(
            row,
            "link_missing",
            _("The row does not say which customer it belongs to."),
            column=header_of.get(field, ""),
            field=field,
        )
    matches = [m for m in finder.get(value) if m.visible]
    if not matches:
        raise fail(
            row,
            "link_not_found",
            _("No customer you can see matches this row."),
            column=header_of.get(field, ""),
            field=field,
        )
    if len(matches) > 1:
        raise fail(
            row,
            "link_ambiguous",
            _("Several of your customers match this row; use a more specific key."),
            column=header_of.get(field, ""),
            field=field,
        )
    return matches[0].customer_id


def ensure_visible(actor: User, customer_id: int) -> None:
    if not visible_customers(actor).filter(pk=customer_id).exists():
        raise NotFound()


def contact_point_pairs(kinds: list[str], values: set[str]) -> list[tuple[str, int]]:
    """(normalized value, customer id) of every contact point of ``kinds`` holding one of
    ``values``. On PostgreSQL the values go as one array (``= ANY``): a list of a thousand
    ``IN`` literals took twice as long to send and plan as the index lookups themselves."""
    if not values:
        return []
    if connection.vendor != "postgresql":
        return list(
            ContactPoint.objects.filter(kind__in=kinds, normalized__in=values).values_list(
                "normalized", "customer_id"
            )
        )
    table = connection.ops.quote_name(ContactPoint._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT normalized, customer_id FROM {table}"  # noqa: S608 (model metadata only)
            " WHERE kind = ANY(%s) AND normalized = ANY(%s)",
            [kinds, sorted(values)],
        )
        return [(str(value), int(pk)) for value, pk in cur.fetchall()]
