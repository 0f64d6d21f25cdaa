"""Drawing a :class:`~tiercard.printing.card.CardSheet` as an A4 portrait PDF.

Top to bottom: a band in the tier's colour; who the customer is, with the tier badge; contact
and account facts; the ladder with the held tier marked, the progress to the next tier and what
keeps this one; the key figures (points, expiring points, spend, orders); the service tickets,
if any (the card page shows them beside every template); then the template's sections and
panels in its order; values outside the template last. Pure drawing: every value
arrives formatted and masked.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from fpdf.enums import Align, XPos, YPos

from tiercard.cards import display
from tiercard.core.timeutils import business_tz
from tiercard.printing.card import Block, CardSheet
from tiercard.printing.document import (
    FONT,
    INK,
    MUTED,
    RULE,
    Column,
    PrintedDocument,
    rgb,
    text_on,
    tint,
)


def _local_day(value: dt.datetime) -> str:
    return display.date(value.astimezone(business_tz()).date())


NOTE_LINES = 5  # ruled lines left for notes written by hand, at most
RULED = 7.0  # their spacing in mm


def render_card(sheet: CardSheet, *, printed_by: str, business: str = "") -> bytes:
    colour = rgb(sheet.tier.colour)
    pdf = PrintedDocument(
        title=f"{_('Customer card')} · {sheet.name}",
        printed_by=printed_by,
    )
    pdf.add_page()
    _band(pdf, sheet, colour, business)
    _identity(pdf, sheet, colour)
    _facts(pdf, sheet)
    _tier(pdf, sheet, colour)
    _figures(pdf, sheet, colour)
    if sheet.tickets:
        _tickets(pdf, sheet, colour)
    last_fields = max((n for n, b in enumerate(sheet.blocks) if b.rows), default=-1)
    for n, block in enumerate(sheet.blocks):
        _block(pdf, sheet, block, colour)
        if n == last_fields:
            _extra(pdf, sheet, colour)
    if last_fields < 0:
        _extra(pdf, sheet, colour)
    return pdf.pdf_bytes()


def _extra(pdf: PrintedDocument, sheet: CardSheet, colour: tuple[int, int, int]) -> None:
    """Values filled in that this tier's template does not ask for, after its own fields."""
    if sheet.extra:
        pdf.section_title(_("Other information"), colour)
        pdf.grid([(str(r.label), r.value) for r in sheet.extra])


# --- Head -------------------------------------------------------------------------------------


def _band(
    pdf: PrintedDocument, sheet: CardSheet, colour: tuple[int, int, int], business: str
) -> None:
    """The coloured band across the top: the document's name and the card number."""
    pdf.set_fill_color(*colour)
    pdf.rect(0, 0, pdf.w, 15, style="F")
    pdf.set_fill_color(*tint(colour, 0.55))
    pdf.rect(0, 15, pdf.w, 1.2, style="F")
    ink = text_on(colour)
    pdf.set_text_color(*ink)
    pdf.set_xy(pdf.l_margin, 3.5)
    pdf.set_font(FONT, "B", size=13)
    title = _("Customer card")
    pdf.cell(pdf.get_string_width(title) + 3, 8, title)
    pdf.set_font(FONT, size=8.5)
    if business:
        pdf.cell(pdf.width / 2, 8, business)
    pdf.set_xy(pdf.l_margin, 3.5)
    number = _("Card no. %(number)s") % {"number": f"{sheet.customer_id:06d}"}
    pdf.cell(pdf.width, 8, number, align=Align.R)
    pdf.set_text_color(*INK)
    pdf.set_xy(pdf.l_margin, 21)


def _identity(pdf: PrintedDocument, sheet: CardSheet, colour: tuple[int, int, int]) -> None:
    """Name, tier badge, kind and status; registered / tier since on the right (or under the
    badges when a long name leaves no room beside them)."""
    y = pdf.get_y()
    pdf.set_font(FONT, size=8)
    right = [_("Registered %(date)s") % {"date": sheet.registered}]
    if sheet.tier.since:
        right.append(_("Tier since %(date)s") % {"date": _local_day(sheet.tier.since)})
    right_width = max(pdf.get_string_width(text) for text in right) + 4
    size = 20.0
    pdf.set_font(FONT, "B", size=size)
    while size > 14 and pdf.get_string_width(sheet.name) > pdf.width * 0.55:
        size -= 1  # a long company name is set smaller before it is ever cut
        pdf.set_font(FONT, "B", size=size)
    name = pdf.fit(sheet.name, pdf.width * 0.55)
    pdf.set_xy(pdf.l_margin, y)
    pdf.cell(pdf.get_string_width(name) + 3, 10, name)
    x = pdf.get_x() + 1
    if sheet.name_en:
        pdf.set_font(FONT, size=10)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(x, y + 1.5)
        alt = pdf.fit(sheet.name_en, 36)
        pdf.cell(pdf.get_string_width(alt) + 3, 8, alt)
        pdf.set_text_color(*INK)
        x = pdf.get_x() + 1
    x += pdf.badge(x, y + 2, sheet.tier.name, colour, size=11) + 2
    grey = (233, 236, 239)
    x += pdf.badge(x, y + 3, sheet.kind, grey, size=8) + 1.5
    status_fill = (248, 215, 218) if sheet.archived else grey
    x += pdf.badge(x, y + 3, sheet.status, status_fill, size=8)
    beside = x + right_width <= pdf.w - pdf.r_margin
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*MUTED)
    if beside:
        for n, text in enumerate(right):
            pdf.set_xy(pdf.l_margin, y + n * 4.2)
            pdf.cell(pdf.width, 4.2, text, align=Align.R)
    else:
        pdf.set_xy(pdf.l_margin, y + 11)
        pdf.cell(pdf.width, 4.2, "  ·  ".join(right))
    pdf.set_text_color(*INK)
    pdf.set_xy(pdf.l_margin, y + (13 if beside else 16))


def _facts(pdf: PrintedDocument, sheet: CardSheet) -> None:
    """Contact values (masked for the printer's role), the account manager, tags, follow-up."""
    rows: list[tuple[str, str]] = []
    for value in sheet.contacts:
        rows.append((value.kind_label, value.value))
    owner = sheet.owner or _("Not assigned")
    rows.append((_("Account manager"), f"{owner} · {sheet.team}" if sheet.team else owner))
    if sheet.external_id:
        rows.append((_("External id"), sheet.external_id))
    rows.append((_("Tags"), "、".join(name for name, _colour in sheet.tags)))
    rows.append((_("Next follow-up"), sheet.follow_up))
    pdf.grid(rows)
    if sheet.masked and sheet.contacts:
        pdf.set_font(FONT, size=7)
        pdf.set_text_color(*MUTED)
        pdf.cell(
            0,
            4.5,
            _("Contact data is masked for your role."),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(*INK)


# --- Tier -------------------------------------------------------------------------------------


def _ladder(pdf: PrintedDocument, sheet: CardSheet) -> None:
    """Each tier of the ladder as a step, the held one filled in its colour."""
    steps = sheet.ladder
    gap = 1.5
    width = (pdf.width - gap * (len(steps) - 1)) / max(len(steps), 1)
    y = pdf.get_y()
    for n, step in enumerate(steps):
        x = pdf.l_margin + n * (width + gap)
        fill = rgb(step.colour)
        if step.held:
            pdf.set_fill_color(*fill)
            pdf.set_text_color(*text_on(fill))
            pdf.set_font(FONT, "B", size=9.5)
        else:
            pdf.set_fill_color(*tint(fill, 0.82))
            pdf.set_text_color(*MUTED)
            pdf.set_font(FONT, size=9)
        pdf.rect(x, y, width, 7.5, style="F", round_corners=True, corner_radius=1.2)
        pdf.set_xy(x, y)
        label = ("● " if step.held else "") + step.name
        pdf.cell(width, 7.5, pdf.fit(label, width - 2), align=Align.C)
    pdf.set_text_color(*INK)
    pdf.set_xy(pdf.l_margin, y + 10)


def _tier(pdf: PrintedDocument, sheet: CardSheet, colour: tuple[int, int, int]) -> None:
    tier = sheet.tier
    pdf.section_title(_("Tier"), colour)
    _ladder(pdf, sheet)
    if tier.progress is not None:
        target = rgb(tier.progress.target_colour)
        pdf.set_font(FONT, "B", size=9.5)
        pdf.cell(
            0,
            5.5,
            _("On the way to %(name)s") % {"name": tier.progress.target},
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        for bar in tier.progress.bars:
            _bar(pdf, bar.label, f"{bar.actual} / {bar.needed}", bar.gap, bar.percent, target)
    elif tier.top:
        pdf.set_font(FONT, "B", size=9.5)
        pdf.cell(0, 5.5, _("This is the highest tier."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for condition in tier.why:
            mark = "✓" if condition.met else "×"
            pdf.paragraph(
                f"{mark} {condition.text}  " + _("actual %(value)s") % {"value": condition.actual},
                size=8.5,
            )
    if tier.keep:
        pdf.ln(1)
        pdf.set_text_color(*MUTED)
        pdf.paragraph(tier.keep, size=8.5)
        pdf.set_text_color(*INK)
    for line in tier.override + tier.notes:
        pdf.paragraph(line, size=8.5)


def _bar(
    pdf: PrintedDocument,
    label: str,
    figures: str,
    gap: str,
    percent: int,
    colour: tuple[int, int, int],
) -> None:
    pdf.room(8)
    y = pdf.get_y()
    pdf.set_font(FONT, size=8.5)
    label_width = pdf.width * 0.30
    track_width = pdf.width * 0.38
    pdf.set_xy(pdf.l_margin, y)
    pdf.cell(label_width, 5.5, pdf.fit(label, label_width - 2))
    track_x = pdf.l_margin + label_width
    pdf.set_fill_color(*tint(colour, 0.85))
    pdf.rect(track_x, y + 1.6, track_width, 2.6, style="F", round_corners=True, corner_radius=1.3)
    if percent:
        pdf.set_fill_color(*colour)
        filled = max(track_width * percent / 100, 2.6)
        pdf.rect(track_x, y + 1.6, filled, 2.6, style="F", round_corners=True, corner_radius=1.3)
    pdf.set_xy(track_x + track_width + 2, y)
    pdf.set_font(FONT, size=8)
    rest = pdf.width - label_width - track_width - 2
    pdf.cell(rest * 0.55, 5.5, pdf.fit(figures, rest * 0.55 - 1))
    pdf.set_text_color(*MUTED)
    pdf.cell(rest * 0.45, 5.5, pdf.fit(gap, rest * 0.45), align=Align.R)
    pdf.set_text_color(*INK)
    pdf.set_xy(pdf.l_margin, y + 6)


# --- Figures ----------------------------------------------------------------------------------


def _figures(pdf: PrintedDocument, sheet: CardSheet, colour: tuple[int, int, int]) -> None:
    """Four boxes: points balance, points expiring within 30 days, total spend, orders."""
    points = sheet.points
    soon = points.horizons[0] if points.horizons else None
    boxes = [
        (_("Points balance"), points.balance),
        (
            _("Expiring within %(n)d days") % {"n": soon.days} if soon else _("Expiring"),
            soon.points if soon else "0",
        ),
        (_("Total spend"), sheet.totals.total_spend),
        (_("Orders"), f"{sheet.totals.order_count:,}"),
    ]
    pdf.room(22)
    pdf.ln(2)
    gap = 3.0
    width = (pdf.width - gap * 3) / 4
    y = pdf.get_y()
    for n, (label, value) in enumerate(boxes):
        x = pdf.l_margin + n * (width + gap)
        pdf.set_fill_color(*tint(colour, 0.9))
        pdf.rect(x, y, width, 13.5, style="F", round_corners=True, corner_radius=1.5)
        pdf.set_fill_color(*colour)
        pdf.rect(x, y, 1.2, 13.5, style="F")
        pdf.set_xy(x + 3, y + 1.5)
        pdf.set_font(FONT, size=7.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(width - 4, 4, pdf.fit(label, width - 5))
        pdf.set_xy(x + 3, y + 5.3)
        pdf.set_font(FONT, "B", size=13)
        pdf.set_text_color(*INK)
        pdf.cell(width - 4, 7, pdf.fit(value, width - 5))
    pdf.set_xy(pdf.l_margin, y + 15)
    notes = []
    if points.next_expiry:
        notes.append(
            _("Next expiry: %(points)s points on %(date)s")
            % {"points": points.next_expiry_points, "date": display.date(points.next_expiry)}
        )
    if points.has_owed:
        notes.append(_("Owed from returns: %(points)s points") % {"points": points.owed})
    if sheet.totals.last_purchase_at:
        notes.append(
            _("Last purchase %(date)s") % {"date": _local_day(sheet.totals.last_purchase_at)}
        )
    notes.append(_("Card %(percent)d%% complete") % {"percent": sheet.completeness})
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(pdf.width, 4.2, "  ·  ".join(notes), wrapmode=pdf.wrap, align=Align.L)
    pdf.set_text_color(*INK)


# --- Template blocks --------------------------------------------------------------------------


def _block(
    pdf: PrintedDocument, sheet: CardSheet, block: Block, colour: tuple[int, int, int]
) -> None:
    if block.rows:
        pdf.section_title(block.title, colour)
        pdf.grid([(str(r.label), r.value) for r in block.rows])
    elif block.key == "contacts":
        _persons(pdf, sheet, block.title, colour)
    elif block.key == "purchases":
        _purchases(pdf, sheet, block.title, colour)
    elif block.key == "loyalty":
        _loyalty(pdf, sheet, block.title, colour)
    elif block.key == "timeline":
        _interactions(pdf, sheet, block.title, colour)
    elif block.key == "notes":
        _notes(pdf, sheet, block.title, colour)


def _none(pdf: PrintedDocument, text: str) -> None:
    pdf.set_text_color(*MUTED)
    pdf.paragraph(text, size=8.5)
    pdf.set_text_color(*INK)


def _recent(sheet: CardSheet) -> str:
    return _("last %(days)d days") % {"days": sheet.recent_days}


def _persons(
    pdf: PrintedDocument, sheet: CardSheet, title: str, colour: tuple[int, int, int]
) -> None:
    pdf.section_title(title, colour)
    if not sheet.persons:
        _none(pdf, _("No contact persons yet."))
        return
    columns = [
        Column(pgettext("person", "Name"), 16),
        Column(_("Position"), 18),
        Column(_("Mobile"), 18),
        Column(_("Email"), 26),
        Column(_("Decision maker"), 12, "C"),
    ]
    rows = [
        [
            p.name + (" ★" if p.is_primary else ""),
            " · ".join(v for v in (p.title, p.department) if v),
            p.mobile or p.phone,
            p.email,
            "✓" if p.is_decision_maker else "",
        ]
        for p in sheet.persons
    ]
    pdf.rows_table(columns, rows, head_fill=tint(colour, 0.15))


def _purchases(
    pdf: PrintedDocument, sheet: CardSheet, title: str, colour: tuple[int, int, int]
) -> None:
    pdf.section_title(title, colour, note=_recent(sheet))
    if not sheet.purchases:
        _none(pdf, _("No purchases in this period."))
        return
    columns = [
        Column(_("Date"), 16),
        Column(_("Items"), 46),
        Column(_("Amount"), 18, "R"),
        Column(_("Returned"), 16, "R"),
    ]
    rows = [[p.day, p.items, p.total, p.returned] for p in sheet.purchases]
    pdf.rows_table(columns, rows, head_fill=tint(colour, 0.15))


def _loyalty(
    pdf: PrintedDocument, sheet: CardSheet, title: str, colour: tuple[int, int, int]
) -> None:
    """Benefits of the held tier, quotas left, points expiring, and recent tier changes."""
    pdf.section_title(title, colour)
    benefits = sheet.benefits
    pdf.subheading(_("Benefits"))
    if benefits.facts:
        pdf.paragraph("  ·  ".join(benefits.facts), size=8.5)
    elif not benefits.quotas:
        _none(pdf, _("This tier has no benefits."))
    for quota in benefits.quotas:
        pdf.paragraph(
            _("%(name)s: %(left)d of %(limit)d left, %(period)s")
            % {
                "name": quota.name,
                "left": quota.left,
                "limit": quota.limit,
                "period": quota.period,
            },
            size=8.5,
        )
    points = sheet.points
    pdf.ln(1.5)
    pdf.subheading(_("Points"))
    horizons = "  ·  ".join(
        _("within %(n)d days: %(points)s") % {"n": h.days, "points": h.points}
        for h in points.horizons
    )
    pdf.paragraph(
        _("Usable now %(usable)s; expiring %(horizons)s")
        % {"usable": points.usable, "horizons": horizons},
        size=8.5,
    )
    if sheet.history:
        pdf.ln(1.5)
        pdf.subheading(_("Recent tier changes"))
        for line in sheet.history:
            pdf.paragraph(f"{line.day}  {line.text}", size=8.5)


def _interactions(
    pdf: PrintedDocument, sheet: CardSheet, title: str, colour: tuple[int, int, int]
) -> None:
    pdf.section_title(title, colour, note=_recent(sheet))
    if not sheet.interactions:
        _none(pdf, _("No interactions in this period."))
        return
    columns = [
        Column(_("Date"), 14),
        Column(_("Type"), 10),
        Column(_("By"), 12),
        Column(_("Outcome"), 10),
        Column(_("Summary and next step"), 54),
    ]
    rows = []
    for i in sheet.interactions:
        text = i.summary
        if i.next_step:
            text += "  → " + i.next_step
        rows.append([i.day, i.kind, i.by, i.outcome, text])
    pdf.rows_table(columns, rows, head_fill=tint(colour, 0.15), wrap_last=True)


def _tickets(pdf: PrintedDocument, sheet: CardSheet, colour: tuple[int, int, int]) -> None:
    """Those still being worked first, then those resolved in the period."""
    more = _("%(n)s more not listed") % {"n": sheet.tickets_more} if sheet.tickets_more else ""
    pdf.section_title(_("Service tickets"), colour, note=more)
    columns = [
        Column(_("Date"), 14),
        Column(_("Type"), 11),
        Column(_("Status"), 26),
        Column(_("Subject and resolution"), 49),
    ]
    rows = [[t.day, t.kind, t.status, t.text] for t in sheet.tickets]
    pdf.rows_table(columns, rows, head_fill=tint(colour, 0.15), wrap_last=True)


def _notes(
    pdf: PrintedDocument, sheet: CardSheet, title: str, colour: tuple[int, int, int]
) -> None:
    pdf.room(12 + 2 * RULED)  # the heading and at least two lines to write on stay together
    pdf.section_title(title, colour)
    for note in sheet.notes:
        pdf.room(10)
        pdf.set_font(FONT, size=7.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 4.2, f"{note.day} · {note.author}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        pdf.paragraph(note.body, size=9)
        pdf.ln(1)
    # Ruled lines to write on (a printed card goes to meetings and comes back annotated): as
    # many as fit on this page, up to NOTE_LINES; never a page of its own for them.
    fit = int((pdf.page_break_trigger - pdf.get_y() - 1) // RULED)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    for _n in range(min(NOTE_LINES, fit)):
        pdf.ln(RULED)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
