"""Formatting for pages: money, dates, lunar dates, lists. No queries, no business rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from lunardate import LunarDate

from tiercard.core.money import format_money
from tiercard.customers.models import Customer
from tiercard.customers.validation import split_values

EMPTY = "—"
CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "¥"}

# The traditional names are the calendar's own, not a translation of the English text.
LUNAR_MONTHS: tuple[str, ...] = ("正月", "二月", "三月", "四月", "五月", "六月", "七月", "八月")
LUNAR_MONTHS += ("九月", "十月", "冬月", "腊月")
_DIGITS = "一二三四五六七八九十"


def lunar_day_name(day: int) -> str:
    if day <= 10:
        return "初" + _DIGITS[day - 1]
    if day < 20:
        return "十" + _DIGITS[day - 11]
    if day == 20:
        return "二十"
    if day < 30:
        return "廿" + _DIGITS[day - 21]
    return "三十"


def chinese_ui() -> bool:
    return (get_language() or "").startswith("zh")


def lunar_month_choices() -> list[tuple[int, str]]:
    if chinese_ui():
        return [(m, LUNAR_MONTHS[m - 1]) for m in range(1, 13)]
    return [(m, str(m)) for m in range(1, 13)]


def lunar_day_choices() -> list[tuple[int, str]]:
    if chinese_ui():
        return [(d, lunar_day_name(d)) for d in range(1, 31)]
    return [(d, str(d)) for d in range(1, 31)]


def lunar_date(month: int, day: int, leap: bool) -> str:
    """``农历闰四月初八`` in Chinese, ``lunar leap month 4, day 8`` in English."""
    if chinese_ui():
        return "农历" + ("闰" if leap else "") + LUNAR_MONTHS[month - 1] + lunar_day_name(day)
    if leap:
        return _("lunar leap month %(month)d, day %(day)d") % {"month": month, "day": day}
    return _("lunar month %(month)d, day %(day)d") % {"month": month, "day": day}


def lunar_year_of(solar: dt.date | None) -> int | None:
    """The lunar year a solar birthday falls in (for pre-filling the edit form)."""
    if solar is None:
        return None
    try:
        return int(LunarDate.from_solar_date(solar.year, solar.month, solar.day).year)
    except ValueError:
        return None


def currency_symbol() -> str:
    code = str(getattr(settings, "TIERCARD_CURRENCY", "CNY")).upper()
    return CURRENCY_SYMBOLS.get(code, code + " ")


def money(value: Decimal | None) -> str:
    if value is None:
        return EMPTY
    return format_money(value, currency_symbol())


def count(value: int | None) -> str:
    """A whole number grouped by thousands (``1,745,426``) in every language, as money is:
    Django's ``intcomma`` prints no separator at all in Chinese."""
    if value is None:
        return EMPTY
    return f"{int(value):,}"


def date(value: dt.date | None) -> str:
    if value is None:
        return EMPTY
    return formats.date_format(value, "DATE_FORMAT")


def datetime(value: dt.datetime | None) -> str:
    if value is None:
        return EMPTY
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def monogram(name: str) -> str:
    """The first character of a name, for the avatar circle."""
    return (name or "?").strip()[:1].upper()


def ymd(value: dt.date | dt.datetime | None) -> str:
    """``2025-05-01`` (a time in the business time zone), or "" (the template ``date:"Y-m-d"``)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def split_list(value: object) -> list[str]:
    return split_values(value or "")


def quantity(value: Decimal) -> str:
    """``2`` rather than ``2.000``; ``1.5`` stays."""
    text = format(value.normalize(), "f")
    return text


def customer_field(name: str) -> models.Field[Any, Any]:
    """A concrete field of the customer model, for its label, length and choices."""
    found = Customer._meta.get_field(name)
    if not isinstance(found, models.Field):
        raise FieldDoesNotExist(name)
    return found
