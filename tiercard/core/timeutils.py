"""Time in the business time zone. Stored times are aware UTC; days are business-local."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def business_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIERCARD_TIME_ZONE)


def business_today(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(business_tz()).date()


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a business day as aware datetimes."""
    tz = business_tz()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def age_on(birthday: dt.date, day: dt.date) -> int:
    """Whole years completed on ``day``; a 29 February birthday counts on 1 March."""
    years = day.year - birthday.year
    if (day.month, day.day) < (birthday.month, birthday.day):
        years -= 1
    return years
