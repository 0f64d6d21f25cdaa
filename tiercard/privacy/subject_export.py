"""Everything held about one customer, for the customer (PIPL art. 45, GDPR art. 15 and 20).

The file is a zip of two documents built from the same sections:

- ``personal-data-<id>.json``: machine-readable; English keys (field names), ISO dates and
  times with their offset, money as strings with two decimals, choice fields as their stored
  code (the card) or as the shown text plus ``<field>_code`` (the other sections);
- ``personal-data-<id>.xlsx``: one sheet per section, sheet names and headers in the language
  of the request (Chinese by default); cells neutralised against formulas like every export.

Sections: the card, contact points, contact persons, consent, purchases, purchase lines,
returns, points ledger, tier history, benefit uses, redemptions, interactions, service
tickets, notes, and the audit entries about the customer. Values are unmasked: the copy is for
the data subject, so only roles that see full contact values in their scope may make it
(``privacy.policy``).
The export is audit-logged (action ``export``, object type ``privacy.personal_data``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.audit.services import audit_record
from tiercard.cards.models import CardNote
from tiercard.core.errors import PermissionDenied
from tiercard.core.timeutils import business_today, business_tz
from tiercard.customers.card_fields import FIGURE_FIELDS, PROFILE_FIELDS
from tiercard.customers.models import Contact, ContactPoint, Customer
from tiercard.customers.selectors import customer_get
from tiercard.exports import writers
from tiercard.interactions.models import Interaction
from tiercard.loyalty.models import BenefitUse, OverrideRequest, PointsEntry, Redemption, TierChange
from tiercard.privacy.policy import can_export_personal_data
from tiercard.sales.models import Purchase, PurchaseLine, PurchaseReturn
from tiercard.servicedesk.models import ServiceTicket

ZIP_CONTENT_TYPE = "application/zip"
CHUNK = 64 * 1024


@dataclass
class Section:
    """One table of the copy: ``columns`` are (key, label) pairs, ``rows`` dicts by key."""

    key: str
    title: str | Promise
    columns: list[tuple[str, str | Promise]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    fields: bool = False  # a card's field/value rows: one object by field key in the JSON


def _user(user: User | None) -> str:
    return str(user) if user is not None else ""


def _display(obj: models.Model, name: str) -> str:
    getter = getattr(obj, f"get_{name}_display", None)
    value = getter() if getter else getattr(obj, name)
    return str(value) if value not in (None, "") else ""


def _rows(
    objects: Sequence[models.Model],
    columns: list[tuple[str, str | Promise]],
    extra: Callable[[Any], dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    out = []
    for obj in objects:
        row = {key: getattr(obj, key, None) for key, _label in columns}
        for key, _label in columns:  # the stored code beside the shown text, for the JSON
            if hasattr(obj, f"get_{key}_display") and row[key] not in (None, ""):
                row[f"{key}_code"] = row[key]
        if extra:
            row.update(extra(obj))
        out.append(row)
    return out


def _verbose(model: type[models.Model], name: str) -> str | Promise:
    return getattr(model._meta.get_field(name), "verbose_name", name)


# Consent has its own section.
CARD_FIELDS = ("id", *PROFILE_FIELDS, *FIGURE_FIELDS, "created_at", "updated_at", "erased_at")
# Fields whose model has no translated verbose name (Django would print "created at").
CARD_LABELS: dict[str, str | Promise] = {
    "id": _("Customer no."),
    "first_purchase_at": _("First purchase"),
    "created_at": _("Card created"),
    "updated_at": _("Last changed"),
}


def _card(customer: Customer) -> Section:
    columns: list[tuple[str, str | Promise]] = [
        ("field", _("Field")),
        ("key", _("Key")),
        ("value", _("Field value")),
    ]
    rows = []
    for name in CARD_FIELDS:
        label = CARD_LABELS.get(name) or _verbose(Customer, name)
        raw: Any = getattr(customer, name)
        value = raw
        if getattr(customer, f"get_{name}_display", None) and raw:
            value = _display(customer, name)
        rows.append({"field": str(label), "key": name, "value": value, "raw": raw})
    rows.append(
        {"field": gettext("Account manager"), "key": "owner", "value": _user(customer.owner)}
    )
    rows.append({"field": gettext("Team"), "key": "team", "value": str(customer.team or "")})
    rows.append(
        {
            "field": gettext("Tags"),
            "key": "tags",
            "value": "、".join(t.name for t in customer.tags.all()),
        }
    )
    return Section("customer", _("Customer card"), columns, rows, fields=True)


def _merged_cards(
    customer: Customer, point_columns: list[tuple[str, str | Promise]]
) -> list[Section]:
    """The cards merged into this one: a merge moves their records to the surviving card but
    keeps each card's own fields and contact details (so the merge can be undone), and they
    are personal data held about the same person."""
    sections = []
    merged = Customer.objects.filter(merged_into=customer).select_related("owner", "team")
    for card in merged.prefetch_related("tags").order_by("id"):
        no = {"no": card.pk}
        title = _("Merged card no. %(no)s") % no
        sections.append(replace(_card(card), key=f"merged_card_{card.pk}", title=title))
        points = list(ContactPoint.objects.filter(customer_id=card.pk).order_by("id"))
        sections.append(
            Section(f"merged_contact_points_{card.pk}",
                    _("Contact details of merged card no. %(no)s") % no, point_columns,
                    _rows(points, point_columns, lambda p: {"kind": _display(p, "kind")}))
        )  # fmt: skip
    return sections


def _sections(customer: Customer) -> list[Section]:
    cid = customer.pk
    points = list(ContactPoint.objects.filter(customer_id=cid).order_by("id"))
    persons = list(Contact.objects.filter(customer_id=cid).order_by("id"))
    purchases = list(Purchase.objects.filter(customer_id=cid).select_related("sales_rep"))
    lines = list(PurchaseLine.objects.filter(purchase__customer_id=cid).order_by("purchase", "id"))
    returns = list(PurchaseReturn.objects.filter(purchase__customer_id=cid).order_by("id"))
    entries = list(
        PointsEntry.objects.filter(customer_id=cid).select_related("actor").order_by("id")
    )
    changes = list(TierChange.objects.filter(customer_id=cid).order_by("at", "id"))
    uses = list(BenefitUse.objects.filter(customer_id=cid).order_by("at", "id"))
    redemptions = list(
        Redemption.objects.filter(customer_id=cid).select_related("reward").order_by("id")
    )
    interactions = list(
        Interaction.objects.filter(customer_id=cid)
        .select_related("actor", "contact")
        .order_by("occurred_at", "id")
    )
    tickets = list(ServiceTicket.objects.filter(customer_id=cid).order_by("opened_at", "id"))
    requests = list(OverrideRequest.objects.filter(customer_id=cid).order_by("requested_at", "id"))
    notes = list(
        CardNote.objects.filter(customer_id=cid)
        .select_related("author")
        .order_by("created_at", "id")
    )
    audit = list(AuditEvent.objects.filter(customer_id=cid).order_by("at", "id"))

    label = _verbose
    sections = [_card(customer)]
    cols: list[tuple[str, str | Promise]] = [
        ("kind", label(ContactPoint, "kind")),
        ("value", label(ContactPoint, "value")),
        ("label", label(ContactPoint, "label")),
        ("is_primary", label(ContactPoint, "is_primary")),
        ("opted_out", label(ContactPoint, "opted_out")),
        ("created_at", _("Added")),
    ]
    sections.append(
        Section("contact_points", _("Contact details"), cols,
                _rows(points, cols, lambda p: {"kind": _display(p, "kind")}))
    )  # fmt: skip
    sections += _merged_cards(customer, cols)
    names = ("name", "title", "department", "mobile", "phone", "email", "wechat")
    cols = [(n, label(Contact, n)) for n in names]
    cols += [(n, label(Contact, n)) for n in ("is_decision_maker", "is_primary", "notes")]
    sections.append(Section("contact_persons", _("Contact persons"), cols, _rows(persons, cols)))
    cols = [
        ("consent_data", label(Customer, "consent_data")),
        ("consent_data_at", _("Data processing consent given")),
        ("consent_marketing", label(Customer, "consent_marketing")),
        ("consent_marketing_at", _("Marketing consent given")),
        ("consent_source", label(Customer, "consent_source")),
    ]
    sections.append(Section("consent", _("Consent"), cols, _rows([customer], cols)))
    cols = [
        ("id", _("Purchase no.")),
        ("occurred_at", label(Purchase, "occurred_at")),
        ("external_ref", label(Purchase, "external_ref")),
        ("channel", label(Purchase, "channel")),
        ("store", label(Purchase, "store")),
        ("sales_rep", label(Purchase, "sales_rep")),
        ("payment_method", label(Purchase, "payment_method")),
        ("subtotal", label(Purchase, "subtotal")),
        ("discount", label(Purchase, "discount")),
        ("total", label(Purchase, "total")),
        ("returned_amount", label(Purchase, "returned_amount")),
        ("note", label(Purchase, "note")),
    ]
    sections.append(
        Section("purchases", _("Purchases"), cols, _rows(purchases, cols, lambda p: {
            "channel": _display(p, "channel"),
            "payment_method": _display(p, "payment_method"),
            "sales_rep": _user(p.sales_rep),
        }))
    )  # fmt: skip
    cols = [("purchase_id", _("Purchase no."))]
    cols += [
        (n, label(PurchaseLine, n))
        for n in ("sku", "item_name", "quantity", "unit_price", "discount", "amount")
    ]
    sections.append(Section("purchase_lines", _("Purchase lines"), cols, _rows(lines, cols)))
    cols = [("id", _("Return no.")), ("purchase_id", _("Purchase no."))]
    cols += [
        (n, label(PurchaseReturn, n)) for n in ("amount", "occurred_at", "external_ref", "reason")
    ]
    sections.append(Section("returns", _("Returns"), cols, _rows(returns, cols)))
    cols = [
        ("id", _("Entry no.")),
        ("occurred_at", label(PointsEntry, "occurred_at")),
        ("kind", label(PointsEntry, "kind")),
        ("points", label(PointsEntry, "points")),
        ("balance_after", label(PointsEntry, "balance_after")),
        ("purchase_id", _("Purchase no.")),
        ("note", label(PointsEntry, "note")),
    ]
    sections.append(
        Section("points_ledger", _("Points ledger"), cols,
                _rows(entries, cols, lambda e: {"kind": _display(e, "kind")}))
    )  # fmt: skip
    cols = [
        ("at", _("Time")),
        ("effective_on", _("Effective on")),
        ("from_tier", _("From tier")),
        ("to_tier", _("To tier")),
        ("reason", _("Reason")),
        ("note", _("Note")),
    ]
    sections.append(
        Section("tier_history", _("Tier history"), cols,
                _rows(changes, cols, lambda c: {"reason": _display(c, "reason")}))
    )  # fmt: skip
    cols = [
        ("at", _("Time")),
        ("code", label(BenefitUse, "code")),
        ("tier", _("Tier")),
        ("note", label(BenefitUse, "note")),
        ("cancels_id", _("Cancels use no.")),
    ]
    sections.append(Section("benefit_uses", _("Benefit uses"), cols, _rows(uses, cols)))
    cols = [
        ("created_at", _("Time")),
        ("reward", _("Reward")),
        ("quantity", label(Redemption, "quantity")),
        ("points", label(Redemption, "points")),
        ("coupon_code", label(Redemption, "coupon_code")),
        ("status", _("Status")),
    ]
    sections.append(
        Section("redemptions", _("Redemptions"), cols, _rows(redemptions, cols, lambda r: {
            "reward": r.reward.name_zh or r.reward.name_en,
            "status": _display(r, "status"),
        }))
    )  # fmt: skip
    cols = [
        ("occurred_at", label(Interaction, "occurred_at")),
        ("kind", label(Interaction, "kind")),
        ("actor", label(Interaction, "actor")),
        ("contact", label(Interaction, "contact")),
        ("summary", label(Interaction, "summary")),
        ("outcome", label(Interaction, "outcome")),
        ("next_step", label(Interaction, "next_step")),
        ("next_step_due", label(Interaction, "next_step_due")),
    ]
    sections.append(
        Section("interactions", _("Interactions"), cols, _rows(interactions, cols, lambda i: {
            "kind": _display(i, "kind"),
            "outcome": _display(i, "outcome"),
            "actor": _user(i.actor),
            "contact": i.contact.name if i.contact else "",
        }))
    )  # fmt: skip
    # What the customer asked and was told, under which terms and when; not who worked it.
    names = ("opened_at", "kind", "subject", "detail", "status", "tier", "respond_by")
    cols = [("id", _("Ticket no."))] + [(n, label(ServiceTicket, n)) for n in names]
    cols += [(n, label(ServiceTicket, n)) for n in ("responded_at", "resolved_at", "resolution")]
    sections.append(
        Section("service_tickets", _("Service tickets"), cols, _rows(tickets, cols, lambda t: {
            "kind": _display(t, "kind"),
            "status": _display(t, "status"),
        }))
    )  # fmt: skip
    # Tier overrides asked for the customer: what was asked, why, and what was decided.
    names = ("requested_at", "tier", "until", "reason", "status", "decided_at", "note")
    cols = [(n, label(OverrideRequest, n)) for n in names]
    sections.append(
        Section("override_requests", _("Tier override requests"), cols,
                _rows(requests, cols, lambda r: {"status": _display(r, "status")}))
    )  # fmt: skip
    cols = [("created_at", _("Time")), ("author", _("Author")), ("body", _("Note"))]
    sections.append(
        Section("notes", _("Notes"), cols,
                _rows(notes, cols, lambda n: {"author": _user(n.author)}))
    )  # fmt: skip
    cols = [
        ("at", _("Time")),
        ("actor_label", _("By")),
        ("interface", _("Through")),
        ("action", _("Action")),
        ("object_type", _("Record type")),
        ("object_id", _("Record no.")),
        ("changes", _("Changes")),
        ("note", _("Note")),
    ]
    sections.append(
        Section("audit", _("Audit entries"), cols,
                _rows(audit, cols, lambda a: {"action": _display(a, "action")}))
    )  # fmt: skip
    return sections


# --- Writing --------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value.as_tuple().exponent == -2 else str(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, business_tz()).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    return value


def _json_document(customer: Customer, sections: list[Section]) -> bytes:
    doc: dict[str, Any] = {
        "format": "tiercard.personal_data/1",
        "customer_id": customer.pk,
        "exported_at": timezone.localtime(timezone.now(), business_tz()).isoformat("T", "seconds"),
    }
    for section in sections:
        rows = [{k: _json_value(v) for k, v in row.items()} for row in section.rows]
        if section.fields:
            doc[section.key] = {row["key"]: row.get("raw", row["value"]) for row in rows}
        elif section.key == "consent":
            doc["consent"] = rows[0] if rows else {}
        else:
            doc[section.key] = rows
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, business_tz()).replace(tzinfo=None, microsecond=0)
    if isinstance(value, Promise):
        value = str(value)
    return writers.neutralise(value)


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique in the book."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Sheet"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:28]} {n}"
        n += 1
    used.add(name)
    return name


def _xlsx_document(sections: list[Section], out: Any) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    used: set[str] = set()
    for section in sections:
        sheet = book.create_sheet(title=_sheet_title(str(section.title), used))
        sheet.append([str(label) for _key, label in section.columns])
        for row in section.rows:
            sheet.append([_xlsx_value(row.get(key)) for key, _label in section.columns])
    book.save(out)


@dataclass(frozen=True)
class PersonalDataFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def personal_data_sections(*, actor: User, customer_id: int) -> tuple[Customer, list[Section]]:
    """The sections of one customer's copy, checked like the export (nothing audited)."""
    customer = customer_get(viewer=actor, customer_id=customer_id)
    if not can_export_personal_data(actor):
        raise PermissionDenied(_("Your role may not export a customer's personal data."))
    return customer, _sections(customer)


def personal_data_export(*, actor: User, customer_id: int) -> PersonalDataFile:
    """The zip of one customer's data (JSON + xlsx); audit-logged before it is returned.

    Raises NotFound for a customer outside the actor's scope, PermissionDenied for a role
    that may not make the copy.
    """
    customer, sections = personal_data_sections(actor=actor, customer_id=customer_id)
    stem = f"personal-data-{customer.pk}"
    # Closed by the generator below, once the file is sent (or when it is discarded).
    spool = tempfile.SpooledTemporaryFile(max_size=writers.SPOOL_BYTES)  # noqa: SIM115
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.json", _json_document(customer, sections))
        book = io.BytesIO()  # one customer's rows: small, and openpyxl's zip wants a seekable file
        _xlsx_document(sections, book)
        archive.writestr(f"{stem}.xlsx", book.getvalue())
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT,
            object_type="privacy.personal_data",
            object_id=str(customer.pk),
            customer_id=customer.pk,
            changes={
                "format": "zip",
                "sections": {s.key: len(s.rows) for s in sections},
            },
        )

    def chunks() -> Iterator[bytes]:
        with spool:
            spool.seek(0)
            while chunk := spool.read(CHUNK):
                yield chunk

    stamp = business_today().strftime("%Y%m%d")
    return PersonalDataFile(f"{stem}-{stamp}.zip", ZIP_CONTENT_TYPE, chunks())
