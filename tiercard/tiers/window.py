"""The window tier figures are counted over: a rolling number of months or a calendar period.

``Window.start(today)`` is the first business day that counts; the window always ends today.

* rolling N months: the N months up to and including today, i.e. the day after the same date
  N months ago (2026-11-23, 12 months -> 2025-11-24). Month ends clamp: 2026-02-28 -> the day
  after 2025-02-28.
* calendar month / quarter / year: from the first day of the current period. On the first day
  of a period the figures start again from zero; the ladder's downgrade policy (grace months)
  is what keeps customers from dropping at midnight.

Invariant: ``start(today) <= today`` and ``start`` never decreases as ``today`` advances, so the
nightly roll only ever removes whole days from the front of the window.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from tiercard.tiers.validation import RuleErrors

MAX_WINDOW_MONTHS = 60


class WindowKind(StrEnum):
    ROLLING = "rolling"
    CALENDAR = "calendar"


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    def start(self, day: date) -> date:
        """First day of the period holding ``day``."""
        if self is Period.MONTH:
            return day.replace(day=1)
        if self is Period.QUARTER:
            return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return date(day.year, 1, 1)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Window:
    kind: WindowKind = WindowKind.ROLLING
    months: int = 12
    period: Period = Period.YEAR

    def __post_init__(self) -> None:
        errors = RuleErrors()
        if not isinstance(self.kind, WindowKind):
            errors.add("window.kind", "unknown_window", _("Use rolling or calendar."))
        if isinstance(self.months, bool) or not isinstance(self.months, int):
            errors.add("window.months", "not_integer", _("Enter a whole number."))
        elif not 1 <= self.months <= MAX_WINDOW_MONTHS:
            errors.add("window.months", "out_of_range", _("Enter a number of months from 1 to 60."))
        if not isinstance(self.period, Period):
            errors.add("window.period", "unknown_period", _("Use month, quarter or year."))
        errors.raise_if_any()

    def start(self, today: date) -> date:
        if self.kind is WindowKind.CALENDAR:
            return self.period.start(today)
        return add_months(today, -self.months) + timedelta(days=1)


def parse_window(data: Mapping[str, Any]) -> Window:
    """From ``{"kind": "rolling", "months": 12}`` or ``{"kind": "calendar", "period": "year"}``."""
    kind: Any = data.get("kind", WindowKind.ROLLING.value)
    period: Any = data.get("period", Period.YEAR.value)
    kind = WindowKind(kind) if kind in {k.value for k in WindowKind} else kind
    period = Period(period) if period in {p.value for p in Period} else period
    return Window(kind, data.get("months", 12), period)


def dump_window(window: Window) -> dict[str, Any]:
    if window.kind is WindowKind.CALENDAR:
        return {"kind": window.kind.value, "period": window.period.value}
    return {"kind": window.kind.value, "months": window.months}
