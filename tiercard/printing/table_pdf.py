"""The member table (会员客户分级管理表) of exactly one view, as an A4 landscape PDF.

The rows and their order come from ``listviews.table.table_rows`` (the viewer's scope, the
view's filters and sort) and the columns and cell values from the member-table export's own
column definitions, so a printed table, an exported file and the screen agree. Phones are
masked as the export masks them. A header above the table states the view (filters, sort,
row count); the column header repeats on every page.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf.enums import Align, XPos, YPos

from tiercard.accounts.models import User
from tiercard.cards import display
from tiercard.cards.loyalty_presenters import tier_name
from tiercard.core.timeutils import business_tz
from tiercard.customers.models import CustomerKind, CustomerStatus
from tiercard.listviews.export import _cells as export_cells
from tiercard.listviews.table import COLUMNS, SORTS, TableView, table_rows
from tiercard.loyalty.services.state import active_programme
from tiercard.printing.document import FONT, INK, MUTED, Column, PrintedDocument, rgb

MONEY_COLUMNS = frozenset({"win_spend", "total_spend"})
NUMERIC_COLUMNS = frozenset({"frequency", "win_spend", "total_spend", "orders", "points"})
# Relative widths per header cell of each column (two-cell columns give two).
WIDTHS: dict[str, tuple[float, ...]] = {
    "name": (17,),
    "phone": (15,),
    "registered": (13,),
    "frequency": (10, 10),
    "win_spend": (15,),
    "total_spend": (15,),
    "orders": (9,),
    "points": (11,),
    "tier": (13,),
    "service": (12, 13),
    "campaigns": (18,),
    "owner": (14,),
    "last_purchase": (13,),
    "city": (10,),
    "status": (9,),
    "tags": (20,),
}


@dataclass(frozen=True)
class TableSheet:
    title: str
    view_text: str
    columns: list[Column]
    rows: list[list[str]]
    dots: list[tuple[int, int, int] | None]  # the tier colour of each row
    tier_column: int | None


def _text(value: Any, key: str) -> str:
    if value is None or value == "":
        return ""
    # Dates as 2026-05-01 in either language: the long Chinese form does not fit a column.
    if isinstance(value, dt.datetime):
        return value.astimezone(business_tz()).date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return display.money(value) if key in MONEY_COLUMNS else format(value, "f")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def view_text(view: TableView) -> str:
    """What narrows and orders the view, in words: ``等级：VIP级；城市：上海 · 排序：…``."""
    f = view.filters
    ladder = active_programme().programme.ladder
    tiers = {t.code: tier_name(t) for t in ladder.tiers}
    statuses = {**dict(CustomerStatus.choices), "all": _("All, archived included")}
    parts = []
    named: list[tuple[str, Any]] = [
        (_("Search"), f.q),
        (_("Tier"), tiers.get(f.tier, f.tier)),
        (_("Tag"), f.tag),
        (_("City"), f.city),
        (_("Status"), statuses.get(f.status, f.status)),
        (_("Type"), dict(CustomerKind.choices).get(f.kind, f.kind)),
        (_("Last purchase from"), display.date(f.purchased_from) if f.purchased_from else ""),
        (_("Last purchase until"), display.date(f.purchased_to) if f.purchased_to else ""),
        (_("Total spend from"), display.money(f.min_spend) if f.min_spend is not None else ""),
        (_("Total spend up to"), display.money(f.max_spend) if f.max_spend is not None else ""),
    ]
    if f.owner_id:
        named.append((_("Account manager"), _owner_label(f.owner_id)))
    for label, value in named:
        if value:
            parts.append(f"{label}：{value}" if display.chinese_ui() else f"{label}: {value}")
    sort = SORTS.get(view.sort)
    filters = "；".join(parts) if display.chinese_ui() else "; ".join(parts)
    text = filters or _("All customers but archived ones")
    if sort is not None:
        text += "  ·  " + _("Sorted by %(sort)s") % {"sort": sort.label}
    return text


def _owner_label(owner_id: int) -> str:
    owner = User.objects.filter(pk=owner_id).first()
    return str(owner) if owner else str(owner_id)


def table_sheet(*, viewer: User, view: TableView, limit: int) -> TableSheet:
    """The rows of ``view`` for ``viewer`` (at most ``limit``), formatted for print."""
    active = active_programme()
    ladder = active.programme.ladder
    cells = export_cells(viewer, ladder, active.programme.window.months)
    chosen = [c.key for c in COLUMNS if c.key in view.columns]
    columns: list[Column] = []
    for key in chosen:
        headers = cells[key][0]
        widths = WIDTHS.get(key, (12,) * len(headers))
        align = "R" if key in NUMERIC_COLUMNS or key == "service" else "L"
        for n, header in enumerate(headers):
            # The service record's second cell is a date: left-aligned like the other dates.
            columns.append(Column(header, widths[n], "L" if key == "service" and n else align))
    tier_column = None
    if "tier" in chosen:
        tier_column = sum(len(cells[k][0]) for k in chosen[: chosen.index("tier")])
    colours = {t.code: rgb(t.colour) for t in ladder.tiers}
    rows: list[list[str]] = []
    dots: list[tuple[int, int, int] | None] = []
    for row in itertools.islice(table_rows(viewer, view), limit):
        rows.append([_text(v, key) for key in chosen for v in cells[key][1](row)])
        dots.append(colours.get(row.tier))
    return TableSheet(
        title=_("Member table"),
        view_text=view_text(view),
        columns=columns,
        rows=rows,
        dots=dots,
        tier_column=tier_column,
    )


def render_table(sheet: TableSheet, *, printed_by: str, business: str = "") -> bytes:
    pdf = PrintedDocument(title=sheet.title, printed_by=printed_by, landscape=True)
    pdf.add_page()
    pdf.set_font(FONT, "B", size=15)
    pdf.cell(pdf.get_string_width(sheet.title) + 4, 9, sheet.title)
    if business:
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 9, business)
    pdf.set_text_color(*MUTED)
    pdf.set_font(FONT, size=9)
    n = len(sheet.rows)
    count = ngettext("%(n)s customer", "%(n)s customers", n) % {"n": f"{n:,}"}
    pdf.set_x(pdf.l_margin)
    pdf.cell(pdf.width, 9, count, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(pdf.width, 4.4, sheet.view_text, wrapmode=pdf.wrap, align=Align.L)
    pdf.set_text_color(*INK)
    pdf.ln(2.5)
    if not sheet.rows:
        pdf.paragraph(_("No customers match this view."))
        return pdf.pdf_bytes()
    pdf.rows_table(
        sheet.columns,
        sheet.rows,
        size=7.8,
        row_height=6.2,
        dot_column=sheet.tier_column,
        dots=sheet.dots,
    )
    return pdf.pdf_bytes()
