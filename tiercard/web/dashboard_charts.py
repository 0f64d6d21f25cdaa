"""What the dashboard shows: each figure as one table that feeds its chart, table and CSV.

A ``Chart`` holds raw values (ints, Decimals) in rows; the template formats them for the
table view, the CSV writes them plain, and ``chart_data`` hands them to the page's script as
JSON (money as decimal strings, never floats on the way). Labels — tier names, months, series
names — are in the page's language; the series colours of tiers are the programme's own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from tiercard.analytics.dashboard import Figures
from tiercard.analytics.periods import Month
from tiercard.loyalty.selectors.points import HORIZONS
from tiercard.tiers.ladder import Ladder
from tiercard.web import display
from tiercard.web.loyalty_presenters import tier_name

GOOD = "#12b76a"
BAD = "#f04438"
NEUTRAL = "#1f4fd1"
MUTED = "#98a2b3"
AMBER = "#f79009"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "int"  # "text", "int", "money", "percent"


@dataclass(frozen=True)
class Series:
    name: str
    column: int  # index into the row
    colour: str
    stack: str = ""
    kind: str = ""  # overrides the chart's kind for this series ("line" over bars)


@dataclass
class Chart:
    slug: str
    title: str
    kind: str  # "pie", "bar", "line"
    columns: list[Column]
    rows: list[list[Any]]
    series: list[Series]
    note: str = ""
    empty: str = ""  # shown instead of the chart when there is nothing to draw
    totals: list[Any] = field(default_factory=list)  # a last row, for the table and the CSV
    colours: list[str] = field(default_factory=list)  # per row, for a pie
    wide: bool = False  # spans the page's two columns

    @property
    def money(self) -> bool:
        return any(c.kind == "money" for c in self.columns[1:])

    def table(self) -> list[list[str]]:
        """The rows as the table view prints them (money with ¥, grouped numbers)."""
        return [self._formatted(row) for row in self.rows]

    def table_totals(self) -> list[str]:
        return self._formatted(self.totals) if self.totals else []

    def _formatted(self, row: list[Any]) -> list[str]:
        return [cell_text(v, c.kind) for v, c in zip(row, self.columns, strict=True)]


def cell_text(value: Any, kind: str) -> str:
    if kind == "money":
        return display.money(value)
    if kind == "percent":
        return f"{value}%"
    if kind == "int":
        return f"{value:,}"
    return str(value)


def month_label(month: Month) -> str:
    """``2026年5月`` / ``May 2026``."""
    return formats.date_format(month.start, "YEAR_MONTH_FORMAT")


def _tier_names(ladder: Ladder, codes: list[str]) -> list[tuple[str, str, str]]:
    """(code, name, colour) for the ladder's tiers, then any older code still held."""
    known = {t.code: t for t in ladder.tiers}
    found = [(t.code, tier_name(t), t.colour) for t in ladder.tiers]
    found += [(c, c, MUTED) for c in codes if c not in known]
    return found


def tier_chart(figures: Figures, ladder: Ladder) -> Chart:
    counts = figures.tier_counts
    total = sum(counts.values())
    tiers = _tier_names(ladder, list(counts))
    rows = [
        [name, counts.get(code, 0), _share(counts.get(code, 0), total)]
        for code, name, _colour in tiers
    ]
    return Chart(
        slug="tiers",
        title=_("Customers per tier"),
        kind="pie",
        columns=[Column(_("Tier"), "text"), Column(_("Customers")), Column(_("Share"), "percent")],
        rows=rows,
        series=[Series(_("Customers"), 1, NEUTRAL)],
        note=_("The tier each customer holds today."),
        empty=_("No customers yet — create a customer card first.") if not total else "",
        totals=[_("Total"), total, Decimal(100) if total else Decimal(0)],
        colours=[colour for _code, _name, colour in tiers],
    )


def _share(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _by_tier_chart(
    figures: Figures,
    ladder: Ladder,
    *,
    slug: str,
    title: str,
    values: dict[str, list[Any]],
    kind: str,
    column_kind: str,
) -> Chart:
    tiers = _tier_names(ladder, list(values))
    zero: Any = Decimal("0.00") if column_kind == "money" else 0
    rows = []
    for i, month in enumerate(figures.months):
        cells = [values.get(code, [zero] * len(figures.months))[i] for code, _n, _c in tiers]
        rows.append([month_label(month), *cells, sum(cells, zero)])
    columns = [Column(_("Month"), "text")]
    columns += [Column(name, column_kind) for _code, name, _colour in tiers]
    columns.append(Column(_("Total"), column_kind))
    sums = [sum((row[j] for row in rows), zero) for j in range(1, len(columns))]
    stack = "tiers" if kind == "bar" else ""
    return Chart(
        slug=slug,
        title=title,
        kind=kind,
        columns=columns,
        rows=rows,
        series=[
            Series(name, j, colour, stack=stack)
            for j, (_code, name, colour) in enumerate(tiers, start=1)
        ],
        note=_("By the tier each customer holds today, not the tier held at the time."),
        empty="" if figures.has_purchases else _no_purchases(),
        totals=[_("12 months"), *sums],
    )


def _no_purchases() -> str:
    return _("No purchases in the last 12 months yet — record one from a customer card.")


def revenue_chart(figures: Figures, ladder: Ladder) -> Chart:
    chart = _by_tier_chart(
        figures,
        ladder,
        slug="revenue",
        title=_("Revenue by tier"),
        values=dict(figures.by_tier.revenue),
        kind="bar",
        column_kind="money",
    )
    chart.note = _("Net of returns, by month of purchase. ") + chart.note
    chart.wide = True
    return chart


def buyers_chart(figures: Figures, ladder: Ladder) -> Chart:
    chart = _by_tier_chart(
        figures,
        ladder,
        slug="buyers",
        title=_("Buying customers by tier"),
        values=dict(figures.by_tier.buyers),
        kind="line",
        column_kind="int",
    )
    # A customer buying in several months counts once per month: no 12-month total.
    chart.totals = []
    chart.note = _("Customers with at least one purchase in the month. ") + chart.note
    return chart


def migrations_chart(figures: Figures) -> Chart:
    m = figures.migrations
    rows = [
        [month_label(month), m.upgrades[i], m.downgrades[i], m.upgrades[i] - m.downgrades[i]]
        for i, month in enumerate(figures.months)
    ]
    up, down = sum(m.upgrades), sum(m.downgrades)
    return Chart(
        slug="migrations",
        title=_("Tier migrations"),
        kind="bar",
        columns=[
            Column(_("Month"), "text"),
            Column(_("Upgrades")),
            Column(_("Downgrades")),
            Column(_("Net")),
        ],
        rows=rows,
        series=[Series(_("Upgrades"), 1, GOOD), Series(_("Downgrades"), 2, BAD)],
        note=_("Moves up and down the ladder, by the day they took effect."),
        empty="" if up or down else _("No tier changes in the last 12 months."),
        totals=[_("12 months"), up, down, up - down],
    )


def customers_chart(figures: Figures) -> Chart:
    c = figures.customers
    rows = [[month_label(month), c.new[i], c.lapsed[i]] for i, month in enumerate(figures.months)]
    return Chart(
        slug="customers",
        title=_("New and lapsed customers"),
        kind="bar",
        columns=[Column(_("Month"), "text"), Column(_("New")), Column(_("Lapsed"))],
        rows=rows,
        series=[Series(_("New"), 1, NEUTRAL), Series(_("Lapsed"), 2, AMBER)],
        note=_(
            "Lapsed: no purchase for %(days)s days, counted in the month it happened, "
            "unless the customer has bought again since."
        )
        % {"days": c.lapsed_days},
        empty=_no_customers() if figures.is_empty else "",
        totals=[_("12 months"), sum(c.new), sum(c.lapsed)],
    )


def _no_customers() -> str:
    return _("No customers yet — create a customer card first.")


def points_chart(figures: Figures) -> Chart:
    p = figures.points
    rows = [
        [month_label(month), p.issued[i], p.redeemed[i], p.expired[i]]
        for i, month in enumerate(figures.months)
    ]
    moved = any(p.issued) or any(p.redeemed) or any(p.expired)
    return Chart(
        slug="points",
        title=_("Points issued, redeemed and expired"),
        kind="bar",
        columns=[
            Column(_("Month"), "text"),
            Column(_("Issued")),
            Column(_("Redeemed")),
            Column(_("Expired")),
        ],
        rows=rows,
        series=[
            Series(_("Issued"), 1, NEUTRAL),
            Series(_("Redeemed"), 2, GOOD),
            Series(_("Expired"), 3, MUTED),
        ],
        note=_("Issued: earned by purchases. Redeemed: net of cancelled redemptions."),
        empty="" if moved else _("No points moved in the last 12 months."),
        totals=[_("12 months"), sum(p.issued), sum(p.redeemed), sum(p.expired)],
    )


def expiring_chart(figures: Figures) -> Chart:
    e = figures.expiring
    rows = [
        [_("Within %(days)s days") % {"days": days}, e.points[days], e.customers[days]]
        for days in HORIZONS
    ]
    return Chart(
        slug="expiring",
        title=_("Points expiring soon"),
        kind="bar",
        columns=[Column(_("Within"), "text"), Column(_("Points")), Column(_("Customers"))],
        rows=rows,
        series=[Series(_("Points"), 1, AMBER)],
        note=_(
            "Each figure includes the shorter ones: the 60-day figure counts the 30-day one too."
        ),
        empty="" if e.points[max(HORIZONS)] else _("No points expire in the next 90 days."),
    )


def charts(figures: Figures, ladder: Ladder) -> list[Chart]:
    """In page order: half-width charts pair up around the one wide chart (revenue)."""
    return [
        tier_chart(figures, ladder),
        migrations_chart(figures),
        revenue_chart(figures, ladder),
        buyers_chart(figures, ladder),
        customers_chart(figures),
        points_chart(figures),
        expiring_chart(figures),
    ]


def _json_value(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def chart_data(items: list[Chart]) -> dict[str, Any]:
    """The page script's input: per chart its kind, categories and series (no markup)."""
    return {
        "currency": display.currency_symbol(),
        "charts": {
            c.slug: {
                "kind": c.kind,
                "money": c.money,
                "categories": [row[0] for row in c.rows],
                "colours": c.colours,
                "series": [
                    {
                        "name": s.name,
                        "colour": s.colour,
                        "stack": s.stack,
                        "kind": s.kind or c.kind,
                        "data": [_json_value(row[s.column]) for row in c.rows],
                    }
                    for s in c.series
                ],
            }
            for c in items
            if not c.empty
        },
    }


@dataclass(frozen=True)
class Headline:
    label: str
    value: str
    href: str = ""


def headlines(figures: Figures, due_today: int) -> list[Headline]:
    """The figures at the top of the page."""
    revenue = sum((sum(v, Decimal(0)) for v in figures.by_tier.revenue.values()), Decimal(0))
    return [
        Headline(_("Customers"), f"{sum(figures.tier_counts.values()):,}"),
        Headline(_("Revenue, 12 months"), display.money(revenue)),
        Headline(
            _("Lapsed (%(days)s days)") % {"days": figures.customers.lapsed_days},
            f"{figures.customers.lapsed_now:,}",
        ),
        Headline(_("Points expiring in 30 days"), f"{figures.expiring.points[30]:,}"),
        Headline(_("Follow-ups due today"), f"{due_today:,}", "#follow-ups"),
    ]


def as_of(figures: Figures) -> str:
    return display.datetime(figures.computed_at)


def due_label(due: dt.date, today: dt.date) -> str:
    if due == today:
        return _("Today")
    days = (today - due).days
    return _("%(days)s days overdue") % {"days": days} if days > 1 else _("1 day overdue")
