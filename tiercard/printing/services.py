"""Printing a customer card or the member table: each print is an export of personal data.

Invariants:
- scope first: a customer outside the viewer's scope is ``NotFound`` and nothing is written
  (as everywhere else, a 404 leaves no audit row);
- the member table prints only for the roles that may export it, and only up to
  ``PRINT_MAX_ROWS`` rows (checked before any rendering; the message points to xlsx);
- the PDF is rendered in full first, then the export is audit-logged (actor, customer or
  view, interface from the request's context), then the bytes are handed out: a print that
  failed (no font) is not logged as an export, and no byte leaves unlogged;
- masking follows the viewer's role (``customers.masking``): a print never reveals.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today
from tiercard.listviews.export import can_export_member_table
from tiercard.listviews.table import TableView, table_count
from tiercard.printing.card import card_sheet
from tiercard.printing.card_pdf import render_card
from tiercard.printing.table_pdf import render_table, table_sheet

PDF = "application/pdf"
PRINT_MAX_ROWS = 5000
"""A printed table beyond this is a ream of paper and minutes of rendering: export xlsx."""


@dataclass(frozen=True)
class PrintedFile:
    filename: str  # may hold Chinese: interfaces send it RFC 5987-encoded
    ascii_filename: str  # the fallback for clients that do not read ``filename*``
    content_type: str
    content: bytes

    def disposition(self, *, inline: bool = True) -> str:
        """``Content-Disposition`` with the ASCII name and the real one (RFC 5987/6266)."""
        kind = "inline" if inline else "attachment"
        encoded = quote(self.filename, safe="")
        return f"{kind}; filename=\"{self.ascii_filename}\"; filename*=UTF-8''{encoded}"


def _business() -> str:
    return str(getattr(settings, "TIERCARD_BUSINESS_NAME", "") or "")


def _safe(text: str) -> str:
    """A filename part: no path separators, quotes or control characters, at most 40 chars."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "", text).strip()[:40] or "-"


def max_rows() -> int:
    return int(getattr(settings, "TIERCARD_PDF_MAX_ROWS", PRINT_MAX_ROWS))


def card_print(*, actor: User, customer_id: int | str, today: dt.date | None = None) -> PrintedFile:
    """The customer's card as a PDF for ``actor``; audited as an export of that customer."""
    day = today or business_today()
    sheet = card_sheet(viewer=actor, customer_id=customer_id, today=day)
    content = render_card(sheet, printed_by=actor.label, business=_business())
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT,
            object_type="printing.card",
            object_id=str(sheet.customer_id),
            customer_id=sheet.customer_id,
            changes={"format": "pdf", "tier": sheet.tier.code, "masked": sheet.masked},
        )
    stamp = day.strftime("%Y%m%d")
    return PrintedFile(
        filename=f"{gettext('Customer card')}-{_safe(sheet.name)}-{stamp}.pdf",
        ascii_filename=f"card-{sheet.customer_id}-{stamp}.pdf",
        content_type=PDF,
        content=content,
    )


def member_table_print(*, actor: User, view: TableView) -> PrintedFile:
    """The rows of ``view`` (the viewer's scope, filters and sort) as a landscape PDF."""
    if not can_export_member_table(actor):
        raise PermissionDenied(_("Your role may not export customer data."))
    limit = max_rows()
    _count, capped = table_count(actor, view.filters, cap=limit)
    if capped:
        raise ValidationFailed(
            _(
                "This view holds more than %(limit)s customers, too many to print. Narrow it "
                "with filters, or export it as Excel (xlsx)."
            )
            % {"limit": f"{limit:,}"},
            code="too_many_rows",
        )
    sheet = table_sheet(viewer=actor, view=view, limit=limit)
    content = render_table(sheet, printed_by=actor.label, business=_business())
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT,
            object_type="printing.member_table",
            changes={"format": "pdf", "view": view.as_dict(), "rows": len(sheet.rows)},
        )
    stamp = business_today().strftime("%Y%m%d")
    return PrintedFile(
        filename=f"{gettext('Member table')}-{stamp}.pdf",
        ascii_filename=f"members-{stamp}.pdf",
        content_type=PDF,
        content=content,
    )
