"""The member table's body cells, written once per row (``MemberRow.cells``).

A page prints 25 to 100 rows of up to 16 cells; through the template engine each cell cost a
column switch, a label and two or three variable lookups (some 40 per row), half of the
table's rendering. Each cell here is one f-string writing the markup the template wrote, every
value escaped as the template escaped it (:func:`_e`): a hidden column leaves an empty line,
each cell is followed by a line break. The labels shown on phones (``data-label``) are the
columns' own names, translated once per page (:func:`cell_labels`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString

from tiercard.listviews.table import COLUMNS

if TYPE_CHECKING:
    from tiercard.web.member_table import MemberRow

DASH = '<span class="muted">—</span>'


def _e(value: object) -> str:
    """``conditional_escape`` without its lazy-text wrapper (a few µs per call, some 40 per
    row): safe HTML as it is, anything else as text, escaped as Django escapes."""
    html = getattr(value, "__html__", None)
    return html() if html is not None else escape(str(value))


def cell_labels() -> dict[str, str]:
    """Each column's name in the page's language, escaped for an attribute."""
    return {c.key: _e(c.label) for c in COLUMNS}


def _name(row: MemberRow, label: str) -> str:
    subtitle = f'<span class="rowlink__sub">{_e(row.subtitle)}</span>' if row.subtitle else ""
    return (
        f'<td data-label="{label}" class="cell-name">\n'
        f'  <a href="{_e(row.href)}" class="rowlink" title="{_e(row.pinyin)}">\n'
        f'    <span class="avatar avatar--sm avatar--{_e(row.kind)}" aria-hidden="true">'
        f"{_e(row.monogram)}</span>\n"
        "    <span>\n"
        f'      <span class="rowlink__name">{_e(row.name)}</span>\n'
        f"      {subtitle}\n"
        "    </span>\n"
        "  </a>\n"
        "</td>"
    )


def _plain(css: str, value: Callable[[MemberRow], object]) -> Callable[[MemberRow, str], str]:
    """A cell holding one text; ``css`` its class attribute ("" for none)."""
    attribute = f' class="{css}"' if css else ""
    return lambda row, label: f'<td data-label="{label}"{attribute}>{_e(value(row))}</td>'


def _frequency(row: MemberRow, label: str) -> str:
    return (
        f'<td data-label="{label}" class="num nowrap">{_e(row.orders_text)}'
        f'<span class="sub">{_e(row.per_month_text)}</span></td>'
    )


def _tier(row: MemberRow, label: str) -> str:
    tier = row.tier
    return (
        f'<td data-label="{label}"><span class="tierbadge tierbadge--sm"'
        f' style="--tier: {_e(tier.colour)}" data-tier="{_e(tier.code)}">'
        f"{_e(tier.name)}</span></td>"
    )


def _service(row: MemberRow, label: str) -> str:
    inside = (
        f'{_e(row.service_text)}<span class="sub">{_e(row.last_contact_text)}</span>'
        if row.service_text
        else DASH
    )
    return f'<td data-label="{label}" class="nowrap">{inside}</td>'


def _status(row: MemberRow, label: str) -> str:
    return (
        f'<td data-label="{label}"><span class="badge badge--{_e(row.status)}">'
        f"{_e(row.status_label)}</span></td>"
    )


def _tags(row: MemberRow, label: str, more_title: str) -> str:
    links = "".join(
        f'<a class="tag" href="{_e(href)}">{_e(name)}</a>' for name, href in row.tag_links
    )
    more = (
        f'<span class="muted" title="{_e(more_title)}">+{row.more_tags}</span>'
        if row.more_tags
        else ""
    )
    return f'<td data-label="{label}">{links or DASH}{more}</td>'


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
    """The row's cells in the table's column order, each followed by a line break; every
    value escaped (``labels``: escaped already, see :func:`cell_labels`)."""
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
