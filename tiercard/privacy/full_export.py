"""Full-data exports: every customer card, every purchase line, every points entry, as a file.

Invariants:
- rows are the viewer's (``visible_customers``): purchases and points entries of customers the
  viewer may see, nothing else; contact values are masked exactly as the card masks them for
  this viewer (``customers.masking``);
- the file machinery (CSV with BOM, write-only xlsx, formula neutralising) is ``exports.writers``;
- rows are read in keyset chunks of ``CHUNK_ROWS`` by primary key, each chunk with a fixed number
  of queries (the related rows prefetched per chunk), so memory and query count depend on the
  chunk, not on the size of the book;
- every export is audit-logged (kind, format, filters, row count at the start, interface)
  before the first byte is produced.

Purchases are one row per purchase line, the purchase's own columns repeated on each of its
lines (a purchase without lines is one row with empty line columns): the line amounts add up in
a spreadsheet, and a filter on "line 1" gives one row per purchase.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import FieldErrors, PermissionDenied
from tiercard.core.timeutils import business_today, business_tz, local_day_bounds
from tiercard.customers import masking
from tiercard.customers.models import ContactPointKind, Customer, CustomerStatus
from tiercard.customers.scope import scope_of
from tiercard.customers.selectors import visible_customers
from tiercard.exports import writers
from tiercard.listviews.export import ExportFile
from tiercard.loyalty.models import PointsEntry
from tiercard.loyalty.services.state import active_programme
from tiercard.privacy.policy import can_export_full_data
from tiercard.sales.models import Purchase, PurchaseLine
from tiercard.tiers.ladder import Ladder

CHUNK_ROWS = 1000
KINDS = ("customers", "purchases", "points")
M = TypeVar("M", bound=models.Model)


def kind_labels() -> dict[str, str]:
    return {
        "customers": gettext("Customers"),
        "purchases": gettext("Purchases"),
        "points": gettext("Points ledger"),
    }


@dataclass(frozen=True)
class ExportFilters:
    """Optional narrowing: a date range (purchases, points), a status and a tier (customers)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: str = ""
    tier: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            k: (v.isoformat() if isinstance(v, dt.date) else v)
            for k, v in asdict(self).items()
            if v
        }


def _date(raw: object, field: str, errors: FieldErrors) -> dt.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        errors.add(field, _("Enter a date as YYYY-MM-DD."))
        return None


def clean_request(
    kind: object, fmt: object, raw: Mapping[str, Any], ladder: Ladder | None = None
) -> tuple[str, str, ExportFilters]:
    """Kind, format and filters from what a form, a query string or a command line gave.

    Raises ValidationFailed naming every bad value.
    """
    errors = FieldErrors()
    if kind not in KINDS:
        errors.add("kind", _("Choose customers, purchases or the points ledger."))
    if fmt not in writers.FORMATS:
        errors.add("format", _("Choose CSV or Excel (xlsx)."))
    date_from = _date(raw.get("date_from"), "date_from", errors)
    date_to = _date(raw.get("date_to"), "date_to", errors)
    if date_from and date_to and date_from > date_to:
        errors.add("date_to", _("The end date is before the start date."))
    status = str(raw.get("status") or "")
    if status and status not in CustomerStatus.values:
        errors.add("status", _("Unknown status."))
    tier = str(raw.get("tier") or "")
    codes = {t.code for t in (ladder or active_programme().programme.ladder).tiers}
    if tier and tier not in codes:
        errors.add("tier", _("No tier with this code in the ladder."))
    errors.raise_if_any()
    return str(kind), str(fmt), ExportFilters(date_from, date_to, status, tier)


# --- Reading in chunks ----------------------------------------------------------------------


def keyset_chunks(qs: QuerySet[M], size: int | None = None) -> Iterator[list[M]]:
    """``qs`` in primary-key order, ``size`` (``CHUNK_ROWS``) rows per query; prefetches run
    per chunk."""
    size = size or CHUNK_ROWS
    last: Any = None
    while True:
        page = qs.order_by("pk") if last is None else qs.filter(pk__gt=last).order_by("pk")
        batch = list(page[:size])
        if not batch:
            return
        yield batch
        if len(batch) < size:
            return
        last = batch[-1].pk


def _in_scope(viewer: User, qs: QuerySet[M], path: str) -> QuerySet[M]:
    """Rows of ``qs`` whose customer (at ``path``) the viewer may see."""
    if scope_of(viewer).everyone:
        return qs
    return qs.filter(**{f"{path}__in": visible_customers(viewer).values("pk")})


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """Business wall-clock time without a zone (spreadsheets have none)."""
    if value is None:
        return None
    return timezone.localtime(value, business_tz()).replace(tzinfo=None, microsecond=0)


def _dated(qs: QuerySet[M], field: str, filters: ExportFilters) -> QuerySet[M]:
    if filters.date_from:
        qs = qs.filter(**{f"{field}__gte": local_day_bounds(filters.date_from)[0]})
    if filters.date_to:
        qs = qs.filter(**{f"{field}__lt": local_day_bounds(filters.date_to)[1]})
    return qs


def tier_names(ladder: Ladder) -> dict[str, str]:
    chinese = (translation.get_language() or "").startswith("zh")
    return {
        t.code: (t.name_zh or t.name_en) if chinese else (t.name_en or t.name_zh)
        for t in ladder.tiers
    }


# --- Customers ------------------------------------------------------------------------------


def customer_rows_query(viewer: User, filters: ExportFilters, ladder: Ladder) -> QuerySet[Customer]:
    qs = visible_customers(viewer)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.tier:
        tier = Q(membership__tier=filters.tier)
        if filters.tier == ladder.lowest.code:
            tier |= Q(membership__isnull=True)
        qs = qs.filter(tier)
    return qs


def _customer_header() -> list[str]:
    return [
        gettext("Customer no."),
        gettext("Type"),
        gettext("Name"),
        gettext("English name"),
        gettext("External id"),
        gettext("Status"),
        gettext("Tier"),
        gettext("Points balance"),
        gettext("Growth value"),
        gettext("Mobile / phone"),
        gettext("Email"),
        gettext("WeChat"),
        gettext("QQ"),
        gettext("Contact persons"),
        gettext("Gender"),
        gettext("Birthday"),
        gettext("Occupation"),
        gettext("Company"),
        gettext("Position"),
        gettext("Province / region"),
        gettext("City"),
        gettext("District"),
        gettext("Address"),
        gettext("Postal code"),
        gettext("Industry"),
        gettext("Company size"),
        gettext("Unified social credit code"),
        gettext("Credit rating"),
        gettext("Credit limit"),
        gettext("Payment terms"),
        gettext("Source channel"),
        gettext("Registration date"),
        gettext("Account manager"),
        gettext("Team"),
        gettext("Tags"),
        gettext("Orders (all time)"),
        gettext("Total spend"),
        gettext("Last purchase"),
        gettext("Last contact"),
        gettext("Consents to data processing"),
        gettext("Consents to marketing"),
        gettext("Needs"),
        gettext("Interests"),
        gettext("Preferences"),
        gettext("Notes"),
        gettext("Erased"),
    ]


def _yes(value: bool) -> str:
    return gettext("Yes") if value else gettext("No")


def _customer_cells(
    viewer: User, names: dict[str, str], lowest: str
) -> Callable[[Customer], list[Any]]:
    def contacts_of(c: Customer, kinds: set[str]) -> str:
        return "、".join(
            masking.display_contact_point(viewer, p)
            for p in c.contact_points.all()
            if p.kind in kinds
        )

    def persons_of(c: Customer) -> str:
        parts = []
        for person in c.contacts.all():
            bits = [person.name, person.title]
            bits.append(masking.display_plain_phone(viewer, person.mobile or person.phone))
            bits.append(masking.display_email(viewer, person.email))
            parts.append(" ".join(b for b in bits if b))
        return "；".join(parts)

    def cells(c: Customer) -> list[Any]:
        member = getattr(c, "membership", None)
        tier = member.tier if member else lowest
        return [
            c.pk,
            c.get_kind_display(),
            c.name,
            c.name_en,
            c.external_id,
            c.get_status_display(),
            names.get(tier, tier),
            member.points_balance if member else 0,
            member.growth_total if member else 0,
            contacts_of(c, {ContactPointKind.MOBILE, ContactPointKind.PHONE}),
            contacts_of(c, {ContactPointKind.EMAIL}),
            contacts_of(c, {ContactPointKind.WECHAT}),
            contacts_of(c, {ContactPointKind.QQ}),
            persons_of(c),
            c.get_gender_display() if c.gender else "",
            c.birthday,
            c.occupation,
            c.company_name,
            c.position,
            c.province,
            c.city,
            c.district,
            c.address,
            c.postal_code,
            c.industry,
            c.get_company_size_display() if c.company_size else "",
            c.credit_code,
            c.credit_rating,
            c.credit_limit,
            c.get_payment_terms_display() if c.payment_terms else "",
            c.get_source_channel_display() if c.source_channel else "",
            c.registered_on,
            str(c.owner or ""),
            str(c.team or ""),
            "、".join(t.name for t in c.tags.all()),
            c.order_count,
            c.total_spend,
            _local(c.last_purchase_at),
            _local(c.last_interaction_at),
            _yes(c.consent_data),
            _yes(c.consent_marketing),
            c.needs,
            c.interests,
            c.preferences,
            c.notes,
            _local(c.erased_at),
        ]

    return cells


def _customer_rows(viewer: User, filters: ExportFilters, ladder: Ladder) -> Iterator[list[Any]]:
    qs = (
        customer_rows_query(viewer, filters, ladder)
        .select_related("owner", "team", "membership")
        .prefetch_related("tags", "contact_points", "contacts")
    )
    cells = _customer_cells(viewer, tier_names(ladder), ladder.lowest.code)
    for batch in keyset_chunks(qs):
        for customer in batch:
            yield cells(customer)


# --- Purchases ------------------------------------------------------------------------------


def purchase_rows_query(viewer: User, filters: ExportFilters) -> QuerySet[Purchase]:
    return _dated(_in_scope(viewer, Purchase.objects.all(), "customer"), "occurred_at", filters)


def _purchase_header() -> list[str]:
    return [
        gettext("Purchase no."),
        gettext("Time"),
        gettext("Customer no."),
        gettext("Customer"),
        gettext("Reference"),
        gettext("Channel"),
        gettext("Store"),
        gettext("Sales rep"),
        gettext("Payment method"),
        gettext("Subtotal"),
        gettext("Order discount"),
        gettext("Amount"),
        gettext("Returned"),
        gettext("Note"),
        gettext("Line"),
        gettext("SKU"),
        gettext("Item"),
        gettext("Quantity"),
        gettext("Unit price"),
        gettext("Line discount"),
        gettext("Line amount"),
    ]


def _purchase_rows(viewer: User, filters: ExportFilters) -> Iterator[list[Any]]:
    qs = (
        purchase_rows_query(viewer, filters)
        .select_related("customer", "sales_rep")
        .prefetch_related("lines")
    )
    for batch in keyset_chunks(qs):
        for p in batch:
            head = [
                p.pk,
                _local(p.occurred_at),
                p.customer_id,
                p.customer.name,
                p.external_ref,
                p.get_channel_display(),
                p.store,
                str(p.sales_rep or ""),
                p.get_payment_method_display(),
                p.subtotal,
                p.discount,
                p.total,
                p.returned_amount,
                p.note,
            ]
            lines = list(p.lines.all())
            if not lines:
                yield [*head, "", "", "", "", "", "", ""]
            for number, line in enumerate(lines, start=1):
                yield [
                    *head,
                    number,
                    line.sku,
                    line.item_name,
                    line.quantity,
                    line.unit_price,
                    line.discount,
                    line.amount,
                ]


# --- Points ledger --------------------------------------------------------------------------


def points_rows_query(viewer: User, filters: ExportFilters) -> QuerySet[PointsEntry]:
    return _dated(_in_scope(viewer, PointsEntry.objects.all(), "customer"), "occurred_at", filters)


def _points_header() -> list[str]:
    return [
        gettext("Entry no."),
        gettext("Time"),
        gettext("Customer no."),
        gettext("Customer"),
        gettext("Kind"),
        gettext("Points"),
        gettext("Balance after"),
        gettext("Purchase no."),
        gettext("Reverses entry"),
        gettext("Reference"),
        gettext("Note"),
        gettext("By"),
    ]


def _points_rows(viewer: User, filters: ExportFilters) -> Iterator[list[Any]]:
    qs = points_rows_query(viewer, filters).select_related("customer", "actor")
    for batch in keyset_chunks(qs):
        for e in batch:
            yield [
                e.pk,
                _local(e.occurred_at),
                e.customer_id,
                e.customer.name,
                e.get_kind_display(),
                e.points,
                e.balance_after,
                e.purchase_id or "",
                e.reverses_id or "",
                e.key,
                e.note,
                str(e.actor or ""),
            ]


# --- The export -----------------------------------------------------------------------------


def _count(viewer: User, kind: str, filters: ExportFilters, ladder: Ladder) -> int:
    if kind == "customers":
        return customer_rows_query(viewer, filters, ladder).count()
    if kind == "purchases":
        purchases = purchase_rows_query(viewer, filters)
        lines = PurchaseLine.objects.filter(purchase__in=purchases.values("pk")).count()
        return lines + purchases.filter(lines__isnull=True).count()
    return points_rows_query(viewer, filters).count()


def full_data_export(
    *, actor: User, kind: str, fmt: str, filters: ExportFilters | None = None
) -> ExportFile:
    """The file of every ``kind`` row the actor may see; audited now, read as it is sent.

    Raises PermissionDenied for roles that may not export, ValidationFailed for an unknown
    kind or format. Nothing is written but the audit row.
    """
    if not can_export_full_data(actor):
        raise PermissionDenied(_("Your role may not export customer data."))
    filters = filters or ExportFilters()
    ladder = active_programme().programme.ladder
    kind, fmt, filters = clean_request(kind, fmt, filters.as_dict(), ladder)
    rows = _count(actor, kind, filters, ladder)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT,
            object_type=f"privacy.export.{kind}",
            changes={"kind": kind, "format": fmt, "filters": filters.as_dict(), "rows": rows},
        )
    language = translation.get_language()
    headers = {
        "customers": _customer_header,
        "purchases": _purchase_header,
        "points": _points_header,
    }

    def produce() -> Iterator[list[Any]]:
        with translation.override(language):
            if kind == "customers":
                yield from _customer_rows(actor, filters, ladder)
            elif kind == "purchases":
                yield from _purchase_rows(actor, filters)
            else:
                yield from _points_rows(actor, filters)

    stamp = business_today().strftime("%Y%m%d")
    return ExportFile(
        filename=f"{kind}-{stamp}.{fmt}",
        content_type=writers.FORMATS[fmt],
        chunks=writers.stream(fmt, headers[kind](), produce(), title=kind_labels()[kind]),
    )
