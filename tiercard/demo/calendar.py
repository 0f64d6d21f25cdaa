"""The demo's calendar: which days people buy on, and cheap timestamp formatting.

Days are weighted for a Chinese retail year: 双十一 (and its run-up), 618, 双十二, the weeks of
年货 shopping before 春节 and the quiet holiday week itself, mooncakes before 中秋, 国庆 and
weekends, with gentle growth over the years. Times of day follow shop hours or, online, the
evening peak. Timestamps are built from per-day and per-minute string tables because the
loader writes millions of them.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from itertools import accumulate
from random import Random
from zoneinfo import ZoneInfo

from lunardate import LunarDate

WINDOW_DAYS = 3 * 365 + 1  # purchases span three years up to yesterday
HISTORY_DAYS = 7 * 365  # registrations reach back seven years
_EPOCH = dt.date(1970, 1, 1)


def _festivals(year: int) -> tuple[dt.date, dt.date]:
    """(春节, 中秋) of a Gregorian year."""
    return (
        LunarDate(year, 1, 1).to_solar_date(),
        LunarDate(year, 8, 15).to_solar_date(),
    )


def day_factor(day: dt.date, spring: dt.date, autumn: dt.date) -> float:
    """How busy a day is relative to an ordinary weekday."""
    f = 1.25 if day.weekday() >= 5 else (1.1 if day.weekday() == 4 else 1.0)
    md = (day.month, day.day)
    if md == (11, 11):
        f *= 6.0
    elif day.month == 11 and day.day < 11:
        f *= 1.5
    elif md == (6, 18):
        f *= 3.0
    elif day.month == 6 and day.day < 18:
        f *= 1.3
    elif md == (12, 12):
        f *= 2.0
    elif day.month == 10 and day.day <= 7:
        f *= 1.3
    elif md in {(2, 14), (5, 20), (12, 24)}:
        f *= 1.4
    to_spring = (spring - day).days
    if 1 <= to_spring <= 21:
        f *= 1.8  # 年货
    elif -6 <= to_spring <= 0:
        f *= 0.4  # the holiday week: shops shut, people at home
    if 1 <= (autumn - day).days <= 14:
        f *= 1.6  # mooncakes and gifts
    return f


class Calendar:
    """Days of the demo period, their weights, and string tables for timestamps.

    Day indexes count business-local days from ``first_day`` (seven years before ``as_of``);
    the purchase window is the last three years before ``as_of`` (which itself is excluded, so
    that nothing lies in the future).
    """

    def __init__(self, as_of: dt.date, tz: ZoneInfo, dt_suffix: str = "") -> None:
        self.as_of = as_of
        self.first_day = as_of - dt.timedelta(days=HISTORY_DAYS)
        self.days = HISTORY_DAYS  # index of as_of; valid days are 0 .. days-1
        self.window_start = self.days - WINDOW_DAYS
        self.dt_suffix = dt_suffix
        festivals = {y: _festivals(y) for y in range(self.first_day.year, as_of.year + 2)}
        weights = []
        self.offsets: list[int] = []  # UTC offset of the business zone, per local day
        self.date_text: list[str] = []
        for i in range(self.days + 30):
            day = self.first_day + dt.timedelta(days=i)
            growth = 1.0 + 0.25 * i / self.days
            weights.append(day_factor(day, *festivals[day.year]) * growth)
            noon = dt.datetime.combine(day, dt.time(12), tzinfo=tz)
            offset = noon.utcoffset()
            self.offsets.append(int(offset.total_seconds()) if offset else 0)
            self.date_text.append(day.isoformat())
        self.cum = list(accumulate(weights[: self.days]))
        self.base_unix_day = (self.first_day - _EPOCH).days
        # UTC day strings cover one day either side of the local days.
        self.utc_dates = [
            (self.first_day + dt.timedelta(days=i - 1)).isoformat() for i in range(self.days + 32)
        ]
        self.hm = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
        self.ss = [f"{s:02d}" for s in range(60)]
        self.offline_minutes = _minute_table(_OFFLINE_HOURS)
        self.online_minutes = _minute_table(_ONLINE_HOURS)

    def day_of(self, day: dt.date) -> int:
        return (day - self.first_day).days

    def weighted_day(self, rng_value: float, lo_day: int, hi_day: int) -> int:
        """A day in [lo_day, hi_day] drawn by the seasonal weights (rng_value in [0, 1))."""
        cum = self.cum
        lo = cum[lo_day - 1] if lo_day > 0 else 0.0
        target = lo + rng_value * (cum[hi_day] - lo)
        return min(bisect_right(cum, target, lo_day, hi_day + 1), hi_day)

    def instant(self, day: int, second_of_day: int) -> int:
        """Seconds since the start of local day 0 in UTC terms (local time → UTC)."""
        return day * 86400 + second_of_day - self.offsets[day]

    def text(self, instant: int) -> str:
        """Database text of an instant (UTC), e.g. ``2024-05-01 02:13:07``."""
        d, rem = divmod(instant + 86400, 86400)
        return self.utc_dates[d] + " " + self.hm[rem // 60] + self.ss[rem % 60] + self.dt_suffix

    def minute(self, rng: Random, online: bool) -> int:
        """A business-local second of day for a purchase, by channel kind."""
        table = self.online_minutes if online else self.offline_minutes
        hour = bisect_right(table, rng.random() * table[-1])
        return hour * 3600 + int(rng.random() * 3600)


# Relative activity per local hour, 0–23.
_OFFLINE_HOURS = (0, 0, 0, 0, 0, 0, 0, 0, 1, 4, 7, 9, 9, 7, 7, 8, 8, 8, 9, 10, 9, 6, 2, 0)
_ONLINE_HOURS = (4, 2, 1, 1, 0.5, 0.5, 1, 2, 4, 6, 7, 8, 9, 8, 7, 7, 7, 7, 8, 10, 12, 13, 11, 7)


def _minute_table(hours: tuple[float, ...]) -> list[float]:
    return list(accumulate(hours))
