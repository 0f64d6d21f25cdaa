"""Calendar months in the business time zone, and SQL that puts a row into its month.

A month is ``[start, end)`` in business days. Rows are bucketed with a plain ``CASE`` over
precomputed boundaries rather than a database date function: comparisons run the same on
SQLite and PostgreSQL, use the index on the compared column, and cost no per-row function
call (Django's SQLite date truncation is a Python function called once per row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Value, When

from tiercard.core.timeutils import local_day_bounds

MONTHS = 12


@dataclass(frozen=True)
class Month:
    start: dt.date  # first day
    end: dt.date  # first day of the next month (exclusive)

    @property
    def key(self) -> str:
        """``2026-05``: stable across languages, used in CSV files and chart data."""
        return f"{self.start:%Y-%m}"


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def last_months(today: dt.date, count: int = MONTHS) -> list[Month]:
    """The ``count`` calendar months ending with the month of ``today``, oldest first."""
    start = today.replace(day=1)
    starts = [start]
    for _ in range(count - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
        starts.append(start)
    return [Month(s, _next_month(s)) for s in reversed(starts)]


def instant(day: dt.date) -> dt.datetime:
    """Midnight at the start of a business day, as an aware datetime."""
    return local_day_bounds(day)[0]


def date_bucket(field: str, months: list[Month], shift: int = 0) -> Case:
    """Index of the month a date column falls in (``shift`` days earlier boundaries).

    Rows must already be filtered to ``date_range``; the last month is the ``ELSE``.
    """
    delta = dt.timedelta(days=shift)
    whens = [
        When(**{f"{field}__lt": m.end - delta}, then=Value(i)) for i, m in enumerate(months[:-1])
    ]
    return Case(*whens, default=Value(len(months) - 1), output_field=IntegerField())


def instant_bucket(field: str, months: list[Month], shift: int = 0) -> Case:
    """Index of the month a datetime column falls in, months taken in the business zone."""
    delta = dt.timedelta(days=shift)
    whens = [
        When(**{f"{field}__lt": instant(m.end - delta)}, then=Value(i))
        for i, m in enumerate(months[:-1])
    ]
    return Case(*whens, default=Value(len(months) - 1), output_field=IntegerField())


def date_range(field: str, months: list[Month], shift: int = 0) -> dict[str, dt.date]:
    delta = dt.timedelta(days=shift)
    return {f"{field}__gte": months[0].start - delta, f"{field}__lt": months[-1].end - delta}


def instant_range(field: str, months: list[Month], shift: int = 0) -> dict[str, dt.datetime]:
    delta = dt.timedelta(days=shift)
    return {
        f"{field}__gte": instant(months[0].start - delta),
        f"{field}__lt": instant(months[-1].end - delta),
    }
