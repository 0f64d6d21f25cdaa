"""The printed page: A4, the Chinese font embedded as a subset, and a footer on every page
(printed at, printed by, a confidentiality line, page N of M).

Drawing helpers shared by the card and the member table live here: section titles, label /
value grids, badges and tables whose header row repeats on each page. Text that would not
fit a table cell is cut with an ellipsis rather than overflowing into its neighbour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos

from tiercard.cards import display
from tiercard.core.timeutils import business_tz
from tiercard.printing.fonts import PrintFonts, print_fonts

FONT = "cjk"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
ZEBRA = (246, 247, 249)
DARK_TEXT = (26, 26, 26)
WHITE = (255, 255, 255)
MARGIN = 14.0
FOOTER_SPACE = 16.0


def rgb(colour: str) -> tuple[int, int, int]:
    """``#D4AF37`` → (212, 175, 55); anything malformed prints grey."""
    text = colour.lstrip("#")
    if len(text) != 6:
        return (158, 158, 158)
    try:
        return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))
    except ValueError:
        return (158, 158, 158)


def text_on(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """Dark text on a light fill (gold, silver), white on a dark one (relative luminance)."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in colour)
    return DARK_TEXT if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.35 else WHITE


def tint(colour: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    """``colour`` mixed with white (``amount`` 0 = colour, 1 = white)."""
    r, g, b = (round(c + (255 - c) * amount) for c in colour)
    return (r, g, b)


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # a weight: the table spreads the page width by these
    align: str = "L"


class PrintedDocument(FPDF):
    """An A4 document in the active language, with the footer every printed export carries."""

    def __init__(
        self,
        *,
        title: str,
        printed_by: str,
        landscape: bool = False,
        printed_at: dt.datetime | None = None,
        fonts: PrintFonts | None = None,
    ) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        fonts = fonts or print_fonts()
        self.add_font(FONT, "", fonts.regular.path, collection_font_number=fonts.regular.index)
        self.add_font(FONT, "B", fonts.bold.path, collection_font_number=fonts.bold.index)
        for font in self.fonts.values():
            # The subset keeps the whole font's bounding box (still true of a subset) instead
            # of measuring every glyph outline again: that took most of a card's time.
            parsed = getattr(font, "ttfont", None)
            if parsed is not None:
                parsed.recalcBBoxes = False
        self.chinese = (get_language() or "").startswith("zh")
        self.printed_by = printed_by
        self.printed_at = printed_at or timezone.now()
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=FOOTER_SPACE)
        self.set_title(title)
        self.set_author(printed_by)
        self.set_creator("tiercard")
        self.set_lang("zh-CN" if self.chinese else "en")
        self.set_creation_date(self.printed_at)
        self.set_text_color(*INK)
        self.set_font(FONT, size=9)

    # --- Page furniture -----------------------------------------------------------------------

    def footer(self) -> None:
        self.set_y(-11)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y() - 1.5, self.w - self.r_margin, self.get_y() - 1.5)
        self.set_font(FONT, size=7)
        self.set_text_color(*MUTED)
        # In the business's time zone: the paper is read where the business is.
        local = self.printed_at.astimezone(business_tz())
        stamp = formats.date_format(local, "DATETIME_FORMAT")
        left = _("Printed %(at)s by %(who)s · Contains personal data: keep it safe.") % {
            "at": stamp,
            "who": self.printed_by,
        }
        width = self.w - self.l_margin - self.r_margin
        self.cell(width * 0.75, 5, left, align=Align.L)
        page = _("Page %(page)s of %(pages)s") % {
            "page": self.page_no(),
            "pages": self.str_alias_nb_pages,
        }
        self.cell(width * 0.25, 5, page, align=Align.R)
        self.set_text_color(*INK)

    @property
    def width(self) -> float:
        """The printable width between the margins."""
        return self.w - self.l_margin - self.r_margin

    @property
    def wrap(self) -> WrapMode:
        # Chinese runs have no spaces to break at; English words should not be split.
        return WrapMode.CHAR if self.chinese else WrapMode.WORD

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` more millimetres fit on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    # --- Text ---------------------------------------------------------------------------------

    def fit(self, text: str, width: float) -> str:
        """``text`` cut with an ellipsis to fit ``width`` at the current font."""
        text = " ".join(text.split())
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text + "…"

    def lines_height(
        self, width: float, text: str, line: float, wrap: WrapMode | None = None
    ) -> float:
        """The height ``text`` takes wrapped into ``width`` (nothing drawn)."""
        lines = self.multi_cell(
            width, line, text, dry_run=True, output="LINES", wrapmode=wrap or self.wrap
        )
        assert isinstance(lines, list)
        return max(1, len(lines)) * line

    def paragraph(self, text: str, *, size: float = 9, line: float = 4.6) -> None:
        self.set_font(FONT, size=size)
        self.set_x(self.l_margin)
        self.multi_cell(
            self.width, line, text, wrapmode=self.wrap, align=Align.L, new_x=XPos.LMARGIN
        )

    def subheading(self, text: str) -> None:
        """A bold line naming a part of a section (no bar, no rule)."""
        self.set_font(FONT, "B", size=9)
        self.cell(0, 5.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def section_title(self, title: str, accent: tuple[int, int, int], note: str = "") -> None:
        """A heading with an accent bar in the tier's colour; kept with what follows."""
        self.room(15)
        self.ln(1.6)
        y = self.get_y()
        self.set_fill_color(*accent)
        self.rect(self.l_margin, y + 0.7, 1.4, 4.4, style="F")
        self.set_xy(self.l_margin + 3, y)
        self.set_font(FONT, "B", size=11)
        self.cell(0, 5.8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if note:
            self.set_font(FONT, size=7.5)
            self.set_text_color(*MUTED)
            self.set_xy(self.l_margin + 3 + self.get_string_width(title) * 11 / 7.5 + 3, y + 0.6)
            self.cell(0, 5.5, note)
            self.set_text_color(*INK)
            self.set_xy(self.l_margin, y + 5.8)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y() + 0.4, self.w - self.r_margin, self.get_y() + 0.4)
        self.ln(1.4)

    def badge(
        self, x: float, y: float, text: str, colour: tuple[int, int, int], *, size: float = 9
    ) -> float:
        """A filled, rounded label; returns its width."""
        self.set_font(FONT, "B", size=size)
        height = size * 0.55
        width = self.get_string_width(text) + height * 1.1
        self.set_fill_color(*colour)
        self.rect(x, y, width, height, style="F", round_corners=True, corner_radius=height / 2)
        self.set_text_color(*text_on(colour))
        self.set_xy(x, y)
        self.cell(width, height, text, align=Align.C)
        self.set_text_color(*INK)
        return width

    def grid(
        self, rows: Sequence[tuple[str, str]], *, columns: int = 2, label_share: float = 0.34
    ) -> None:
        """Label / value pairs in ``columns`` columns; long values wrap within their cell and
        the row is as tall as its tallest cell. Empty values print a dash."""
        gap = 4.0
        cell_width = (self.width - gap * (columns - 1)) / columns
        label_width = cell_width * label_share
        value_width = cell_width - label_width
        line = 4.5
        # A value longer than a few paragraphs would not fit one cell of one page.
        rows = [(label, value if len(value) <= 900 else value[:899] + "…") for label, value in rows]
        for start in range(0, len(rows), columns):
            chunk = rows[start : start + columns]
            self.set_font(FONT, size=9)
            heights = [
                max(
                    self.lines_height(value_width - 1, value or display.EMPTY, line),
                    self.lines_height(label_width - 1, label, line),
                )
                for label, value in chunk
            ]
            height = max(heights) + 1.2
            self.room(height)
            y = self.get_y()
            for n, (label, value) in enumerate(chunk):
                x = self.l_margin + n * (cell_width + gap)
                self.set_xy(x, y + 0.6)
                self.set_font(FONT, size=8)
                self.set_text_color(*MUTED)
                self.multi_cell(label_width - 1, line, label, wrapmode=self.wrap, align=Align.L)
                self.set_xy(x + label_width, y + 0.6)
                self.set_font(FONT, size=9)
                self.set_text_color(*INK)
                self.multi_cell(
                    value_width - 1, line, value or display.EMPTY, wrapmode=self.wrap, align=Align.L
                )
            self.set_draw_color(*tint(RULE, 0.4))
            self.line(self.l_margin, y + height, self.w - self.r_margin, y + height)
            self.set_xy(self.l_margin, y + height)

    # --- Tables -------------------------------------------------------------------------------

    def rows_table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[str]],
        *,
        size: float = 8.5,
        row_height: float = 6.0,
        head_fill: tuple[int, int, int] = (52, 58, 64),
        wrap_last: bool = False,
        dot_column: int | None = None,
        dots: Sequence[tuple[int, int, int] | None] = (),
    ) -> None:
        """A table filling the page width; the header row repeats after every page break.

        Cells are one line, cut to fit; with ``wrap_last`` the last column wraps instead (a
        summary or note), and the row grows to hold it. ``dots`` puts a dot of each row's
        colour before the text of ``dot_column`` (the tier's colour in the member table).
        """
        total = sum(c.width for c in columns)
        widths = [self.width * c.width / total for c in columns]

        line = row_height * 0.78
        head_sizes = [
            self._header_size(c.header, w - 2, size) for c, w in zip(columns, widths, strict=True)
        ]
        self.set_font(FONT, "B", size=size)
        # Headers wrap at spaces (an English header keeps its words whole; a Chinese one
        # without spaces still breaks between characters when it must).
        tallest = 0.0
        for column, width, head_size in zip(columns, widths, head_sizes, strict=True):
            self.set_font(FONT, "B", size=head_size)
            tallest = max(tallest, self.lines_height(width - 2, column.header, line, WrapMode.WORD))
        head_height = max(row_height, tallest + 1.6)

        def head() -> None:
            """The header row; a long header wraps onto a second line rather than being cut."""
            self.set_font(FONT, "B", size=size)
            self.set_fill_color(*head_fill)
            self.set_text_color(*text_on(head_fill))
            y = self.get_y()
            self.rect(self.l_margin, y, self.width, head_height, style="F")
            x = self.l_margin
            for column, width, head_size in zip(columns, widths, head_sizes, strict=True):
                self.set_font(FONT, "B", size=head_size)
                used = self.lines_height(width - 2, column.header, line, WrapMode.WORD)
                self.set_xy(x + 1, y + (head_height - used) / 2)
                self.multi_cell(
                    width - 2, line, column.header, align=column.align, wrapmode=WrapMode.WORD
                )
                x += width
            self.set_xy(self.l_margin, y + head_height)
            self.set_text_color(*INK)

        self.room(head_height + row_height)
        head()
        for n, row in enumerate(rows):
            self.set_font(FONT, size=size)
            height = row_height
            if wrap_last:
                needed = self.lines_height(widths[-1] - 2, row[-1] or "", line) + 1.4
                height = max(row_height, needed)
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
                head()
                self.set_font(FONT, size=size)
            y = self.get_y()
            if n % 2:
                self.set_fill_color(*ZEBRA)
                self.rect(self.l_margin, y, self.width, height, style="F")
            x = self.l_margin
            last = len(columns) - 1
            for i, (column, width) in enumerate(zip(columns, widths, strict=True)):
                text = row[i] or ""
                self.set_xy(x + 1, y)
                if wrap_last and i == last:
                    self.set_xy(x + 1, y + 0.7)
                    self.multi_cell(width - 2, line, text, wrapmode=self.wrap, align=Align.L)
                elif i == dot_column and n < len(dots) and dots[n] is not None:
                    dot = dots[n]
                    assert dot is not None
                    self.set_fill_color(*dot)
                    radius = 1.2
                    self.ellipse(x + 1, y + row_height / 2 - radius, radius * 2, radius * 2, "F")
                    self.set_xy(x + 1 + radius * 2 + 1, y)
                    inner = width - 2 - radius * 2 - 1
                    self.cell(inner, row_height, self.fit(text, inner), align=column.align)
                else:
                    self.cell(width - 2, row_height, self.fit(text, width - 2), align=column.align)
                x += width
            self.set_draw_color(*tint(RULE, 0.3))
            self.set_line_width(0.15)
            self.line(self.l_margin, y + height, self.w - self.r_margin, y + height)
            self.set_xy(self.l_margin, y + height)

    def _header_size(self, text: str, width: float, size: float) -> float:
        """The font size at which each Latin word of a header fits its column (never below
        6). Chinese needs no shrinking: it wraps between any two characters."""
        words = [w for w in text.split() if not any("\u3000" <= ch <= "\u9fff" for ch in w)]
        room = width - 2 * self.c_margin - 0.2  # multi_cell keeps a margin on either side
        while size > 6 and words:
            self.set_font(FONT, "B", size=size)
            if all(self.get_string_width(word) <= room for word in words):
                break
            size -= 0.5
        return size

    def pdf_bytes(self) -> bytes:
        return bytes(self.output())
