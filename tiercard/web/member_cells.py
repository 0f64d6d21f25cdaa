"""The member table's body cells, written once per row (``MemberRow.cells``).

A page prints 25 to 100 rows of up to 16 cells; through the template engine each cell cost a
column switch, a label and two or three variable lookups (some 40 per row), half of the
table's rendering. Each cell here is one ``format_html`` call (every value escaped) writing
the markup the template wrote: a hidden column leaves an empty line, each cell is followed by
a line break. The labels shown on phones (``data-label``) are the columns' own names,
translated once per page (:func:`cell_labels`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from tiercard.listviews.table import COLUMNS

if TYPE_CHECKING:
    from tiercard.web.member_table import MemberRow

DASH = SafeString('<span class="muted">—</span>')


def cell_labels() -> dict[str, str]:
    """Each column's name in the page's language."""
    return {c.key: str(c.label) for c in COLUMNS}


def _name(row: MemberRow, label: str) -> SafeString:
    subtitle = (
        format_html('<span class="rowlink__sub">{}</span>', row.subtitle) if row.subtitle else ""
    )
    return format_html(
        '<td data-label="{}" class="cell-name">\n'
        '  <a href="{}" class="rowlink" title="{}">\n'
        '    <span class="avatar avatar--sm avatar--{}" aria-hidden="true">{}</span>\n'
        "    <span>\n"
        '      <span class="rowlink__name">{}</span>\n'
        "      {}\n"
        "    </span>\n"
        "  </a>\n"
        "</td>",
        label,
        row.href,
        row.pinyin,
        row.kind,
        row.monogram,
        row.name,
        subtitle,
    )


def _plain(css: str, value: Callable[[MemberRow], object]) -> Callable[[MemberRow, str], str]:
    """A cell holding one text; ``css`` its class attribute ("" for none)."""
    if css:
        shape = f'<td data-label="{{}}" class="{css}">{{}}</td>'
        return lambda row, label: format_html(shape, label, value(row))
    return lambda row, label: format_html('<td data-label="{}">{}</td>', label, value(row))


def _frequency(row: MemberRow, label: str) -> SafeString:
    return format_html(
        '<td data-label="{}" class="num nowrap">{}<span class="sub">{}</span></td>',
        label,
        row.orders_text,
        row.per_month_text,
    )


def _tier(row: MemberRow, label: str) -> SafeString:
    return format_html(
        '<td data-label="{}"><span class="tierbadge tierbadge--sm" style="--tier: {}"'
        ' data-tier="{}">{}</span></td>',
        label,
        row.tier.colour,
        row.tier.code,
        row.tier.name,
    )


def _service(row: MemberRow, label: str) -> SafeString:
    inside = (
        format_html('{}<span class="sub">{}</span>', row.service_text, row.last_contact_text)
        if row.service_text
        else DASH
    )
    return format_html('<td data-label="{}" class="nowrap">{}</td>', label, inside)


def _status(row: MemberRow, label: str) -> SafeString:
    return format_html(
        '<td data-label="{}"><span class="badge badge--{}">{}</span></td>',
        label,
        row.status,
        row.status_label,
    )


def _tags(row: MemberRow, label: str, more_title: str) -> SafeString:
    links = (
        format_html_join("", '<a class="tag" href="{}">{}</a>', ((h, n) for n, h in row.tag_links))
        or DASH
    )
    more = (
        format_html('<span class="muted" title="{}">+{}</span>', more_title, row.more_tags)
        if row.more_tags
        else ""
    )
    return format_html('<td data-label="{}">{}{}</td>', label, links, more)


CELLS: dict[str, Callable[[MemberRow, str], str]] = {
    "name": _name,
    "phone": _plain("mono nowrap", lambda r: r.phone_text),
    "registered": _plain("nowrap", lambda r: r.registered_text),
    "frequency": _frequency,
    "win_spend": _plain("num mono", lambda r: r.win_spend),
    "total_spend": _plain("num mono", lambda r: r.total_spend),
    "orders": _plain("num", lambda r: r.order_count_text),
    "points": _plain("num mono", lambda r: r.points_text),
    "tier": _tier,
    "service": _service,
    "campaigns": _plain("", lambda r: r.campaigns_text),
    "owner": _plain("", lambda r: r.owner_text),
    "last_purchase": _plain("nowrap", lambda r: r.last_purchase_text),
    "city": _plain("", lambda r: r.city_text),
    "status": _status,
}


def row_cells(
    row: MemberRow, shown: Mapping[str, bool], labels: Mapping[str, str], more_title: str
) -> SafeString:
    """The row's cells in the table's column order, each followed by a line break."""
    parts = []
    for column in COLUMNS:
        key = column.key
        if not shown.get(key):
            parts.append("\n")
        elif key == "tags":
            parts.append(_tags(row, labels[key], more_title) + "\n")
        else:
            parts.append(CELLS[key](row, labels[key]) + "\n")
    return SafeString("".join(parts))
