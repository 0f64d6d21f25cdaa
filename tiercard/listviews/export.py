"""Export of exactly the current member-table view: same rows, order and columns as on screen.

Invariants:
- the rows come from ``table.table_rows`` with the viewer's scope and the view's filters and
  sort; the columns are the view's chosen columns, in the table's order;
- phones are masked exactly as the table masks them for this viewer;
- every export is audit-logged (format, view, the actor) *before* the first byte is sent;
- the file machinery (BOM, formula neutralising, write-only xlsx) is ``tiercard.exports``;
- at most ``EXPORT_MAX_ROWS`` rows (one worksheet holds 1,048,576 lines).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import Role, User
from tiercard.accounts.policy import is_active
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.core.errors import PermissionDenied, ValidationFailed
from tiercard.core.timeutils import business_today, business_tz
from tiercard.customers import masking
from tiercard.exports import writers
from tiercard.listviews.table import COLUMNS, TableRow, TableView, table_rows
from tiercard.loyalty.services.state import active_programme
from tiercard.tiers.ladder import Ladder

EXPORT_MAX_ROWS = 1_000_000


def can_export_member_table(user: User) -> bool:
    """Managers, admins and marketing export; personal data leaves the system only with them."""
    return is_active(user) and user.role in {Role.ADMIN, Role.MANAGER, Role.MARKETING}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def _local_date(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(business_tz()).date() if value else None


def _tier_names(ladder: Ladder) -> dict[str, str]:
    chinese = (translation.get_language() or "").startswith("zh")
    return {
        t.code: (t.name_zh or t.name_en) if chinese else (t.name_en or t.name_zh)
        for t in ladder.tiers
    }


Cells = Callable[[TableRow], list[Any]]


def _cells(viewer: User, ladder: Ladder, months: int) -> dict[str, tuple[list[str], Cells]]:
    """Per column: its header cells and how a row fills them."""
    names = _tier_names(ladder)

    def per_month(r: TableRow) -> Decimal:
        return (Decimal(r.win_orders) / months).quantize(Decimal("0.1"))

    return {
        "name": ([gettext("Name")], lambda r: [r.customer.name]),
        "phone": ([gettext("Phone")], lambda r: [masking.customer_phone(viewer, r.customer)]),
        "registered": ([gettext("Registered")], lambda r: [r.customer.registered_on]),
        "frequency": (
            [gettext("Orders in the window"), gettext("Orders per month")],
            lambda r: [r.win_orders, per_month(r)],
        ),
        "win_spend": ([gettext("Spend (window)")], lambda r: [r.win_spend]),
        "total_spend": ([gettext("Total spend")], lambda r: [r.customer.total_spend]),
        "orders": ([gettext("Orders (all time)")], lambda r: [r.customer.order_count]),
        "points": ([gettext("Points")], lambda r: [r.points]),
        "tier": ([gettext("Tier")], lambda r: [names.get(r.tier, r.tier)]),
        "service": (
            [gettext("Interactions"), gettext("Last contact")],
            lambda r: [r.interactions, _local_date(r.customer.last_interaction_at)],
        ),
        "campaigns": ([gettext("Campaign participation")], lambda r: [r.campaigns or ""]),
        "owner": ([gettext("Account manager")], lambda r: [str(r.customer.owner or "")]),
        "last_purchase": (
            [gettext("Last purchase")],
            lambda r: [_local_date(r.customer.last_purchase_at)],
        ),
        "city": ([gettext("City")], lambda r: [r.customer.city]),
        "status": ([gettext("Status")], lambda r: [r.customer.get_status_display()]),
        "tags": ([gettext("Tags")], lambda r: ["、".join(t.name for t in r.tags)]),
    }


def member_table_export(*, actor: User, view: TableView, fmt: str) -> ExportFile:
    """The file of ``view`` for ``actor``; audited now, rows read as the file is sent."""
    if not can_export_member_table(actor):
        raise PermissionDenied(_("Your role may not export customer data."))
    if fmt not in writers.FORMATS:
        raise ValidationFailed(fields={"format": [_("Choose CSV or Excel (xlsx).")]})
    active = active_programme()
    cells = _cells(actor, active.programme.ladder, active.programme.window.months)
    chosen = [key for key in (c.key for c in COLUMNS) if key in view.columns]
    header = [h for key in chosen for h in cells[key][0]]
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT,
            object_type="listviews.member_table",
            changes={"format": fmt, "view": view.as_dict()},
        )
    language = translation.get_language()

    def rows() -> Iterator[list[Any]]:
        with translation.override(language):
            found = table_rows(actor, view)
            for row in itertools.islice(found, EXPORT_MAX_ROWS):
                yield [v for key in chosen for v in cells[key][1](row)]

    stamp = business_today().strftime("%Y%m%d")
    title = str(_("Members"))
    return ExportFile(
        filename=f"members-{stamp}.{fmt}",
        content_type=writers.FORMATS[fmt],
        chunks=writers.stream(fmt, header, rows(), title=title),
    )
