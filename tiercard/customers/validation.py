"""Value checks for customer input: pure functions that map raw values to clean ones.

Each ``clean_*`` returns the normalised value or records a translated, field-named error in
the given :class:`FieldErrors`. Shape (types, lengths, choices) is checked by ``full_clean`` in
the service; these are the rules a form cannot know.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from lunardate import LunarDate

from tiercard.core import contacts
from tiercard.core.errors import FieldErrors
from tiercard.core.money import MAX_AMOUNT, parse_amount, quantize
from tiercard.core.text import clean_text, fold_width
from tiercard.core.timeutils import business_tz

SPLIT_LIST = re.compile(r"[,，;；/、\n]+")
EARLIEST_BIRTHDAY = dt.date(1900, 1, 1)
# Clocks of tills and phones drift; a few minutes ahead is not "in the future".
FUTURE_TOLERANCE = dt.timedelta(minutes=10)


def split_values(raw: object) -> list[str]:
    """Accept a list, or a string of values separated by commas, semicolons or new lines."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else SPLIT_LIST.split(str(raw))
    return [clean_text(str(item)) for item in items if str(item).strip()]


def clean_phones(raw: object, errors: FieldErrors, field: str = "phones") -> list[str]:
    result: list[str] = []
    for value in split_values(raw):
        try:
            normalized = contacts.normalize_phone(value)
        except ValueError:
            errors.add(field, _("“%(value)s” is not a valid phone number.") % {"value": value})
            continue
        if normalized not in result:
            result.append(normalized)
    return result


def clean_emails(raw: object, errors: FieldErrors, field: str = "emails") -> list[str]:
    result: list[str] = []
    for value in split_values(raw):
        try:
            normalized = contacts.normalize_email(value)
        except ValueError:
            errors.add(field, _("“%(value)s” is not a valid email address.") % {"value": value})
            continue
        if normalized.lower() not in {r.lower() for r in result}:
            result.append(normalized)
    return result


def clean_wechat(raw: object, errors: FieldErrors, field: str = "wechat") -> str:
    value = clean_text(str(raw or ""))
    if not value:
        return ""
    try:
        return contacts.normalize_wechat(value)
    except ValueError:
        errors.add(
            field,
            _(
                "A WeChat id has 6–20 letters, digits, _ or -, starting with a "
                "letter, or is a phone number."
            ),
        )
        return ""


def clean_credit_code(raw: object, errors: FieldErrors) -> str:
    value = clean_text(str(raw or ""))
    if not value:
        return ""
    try:
        return contacts.normalize_credit_code(value)
    except ValueError:
        errors.add(
            "credit_code",
            _("A unified social credit code has 18 characters and a valid check digit."),
        )
        return ""


def parse_date(raw: object) -> dt.date:
    """``2024-05-01``, ``2024/5/1``, ``2024.5.1``, ``2024年5月1日``, or a date. ValueError else."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = fold_width(str(raw)).strip()
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not match:
        raise ValueError("invalid_date")
    year, month, day = (int(g) for g in match.groups())
    return dt.date(year, month, day)


def clean_date(raw: object, errors: FieldErrors, field: str) -> dt.date | None:
    if raw in (None, ""):
        return None
    try:
        return parse_date(raw)
    except ValueError:
        errors.add(field, _("“%(value)s” is not a valid date (e.g. 2024-05-01).") % {"value": raw})
        return None


def clean_birthday(raw: object, errors: FieldErrors, today: dt.date) -> dt.date | None:
    value = clean_date(raw, errors, "birthday")
    if value is None:
        return None
    if value > today:
        errors.add("birthday", _("The birthday cannot be in the future."))
        return None
    if value < EARLIEST_BIRTHDAY:
        errors.add("birthday", _("The birthday cannot be before 1900."))
        return None
    return value


def lunar_to_solar(year: int, month: int, day: int, leap: bool) -> dt.date:
    """Solar date of a lunar date; ValueError when the lunar date does not exist."""
    return LunarDate(year, month, day, leap).to_solar_date()


def clean_lunar_birthday(
    year: object, month: object, day: object, leap: bool, errors: FieldErrors, today: dt.date
) -> tuple[dt.date | None, int | None, int | None]:
    """(solar birthday or None when the year is unknown, lunar month, lunar day)."""
    try:
        m = int(str(month))
        d = int(str(day))
    except (TypeError, ValueError):
        errors.add("lunar_birth_month", _("Enter the lunar month (1–12) and day (1–30)."))
        return None, None, None
    if not (1 <= m <= 12 and 1 <= d <= 30):
        errors.add("lunar_birth_month", _("Enter the lunar month (1–12) and day (1–30)."))
        return None, None, None
    if year in (None, ""):
        return None, m, d
    try:
        y = int(str(year))
        solar = lunar_to_solar(y, m, d, leap)
    except (TypeError, ValueError):
        errors.add("lunar_birth_year", _("That lunar date does not exist."))
        return None, None, None
    if solar > today or solar < EARLIEST_BIRTHDAY:
        errors.add("lunar_birth_year", _("The birthday must be between 1900 and today."))
        return None, None, None
    return solar, m, d


def clean_money(
    raw: object,
    errors: FieldErrors,
    field: str,
    *,
    allow_empty: bool = True,
    allow_zero: bool = True,
) -> Decimal | None:
    if raw in (None, ""):
        if not allow_empty:
            errors.add(field, _("This field is required."))
        return None
    try:
        value = parse_amount(raw)
    except ValueError:
        errors.add(field, _("“%(value)s” is not an amount of money.") % {"value": raw})
        return None
    if value < 0:
        errors.add(field, _("The amount cannot be negative."))
        return None
    if value == 0 and not allow_zero:
        errors.add(field, _("The amount must be greater than zero."))
        return None
    if value > MAX_AMOUNT:
        errors.add(field, _("The amount is too large."))
        return None
    if value != quantize(value):
        errors.add(field, _("Amounts have at most two decimal places."))
        return None
    return value


STORABLE_YEARS = (1900, 9998)
"""Date-times outside these years are refused as invalid: every database stores them, and no
record of this product is dated before 1900."""


def parse_datetime_local(raw: object) -> dt.datetime:
    """An aware datetime from ISO text or ``2024年5月1日 14:30``; naive means business time."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime.combine(raw, dt.time(12, 0))
    else:
        text = fold_width(str(raw)).strip()
        text = re.sub(r"(\d{4})年(\d{1,2})月(\d{1,2})日", r"\1-\2-\3", text)
        match = re.fullmatch(
            r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
            r"(Z|[+-]\d{2}:?\d{2})?",
            text,
        )
        if not match:
            raise ValueError("invalid_datetime")
        y, mo, d, h, mi, s, tz = match.groups()
        zone: dt.tzinfo = business_tz()
        if tz == "Z":
            zone = dt.UTC
        elif tz:
            sign = 1 if tz[0] == "+" else -1
            hours, minutes = int(tz[1:3]), int(tz[-2:])
            zone = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        value = dt.datetime(
            int(y),
            int(mo),
            int(d),
            int(h) if h is not None else 12,
            int(mi or 0),
            int(s or 0),
            tzinfo=zone,
        )
    if timezone.is_naive(value):
        value = value.replace(tzinfo=business_tz())
    if not STORABLE_YEARS[0] <= value.year <= STORABLE_YEARS[1]:  # UTC is within a day
        # Year 1 in UTC+8 is year 0 in UTC: no database stores it (an OverflowError, a 500).
        raise ValueError("out_of_range")
    return value


def clean_past_time(
    raw: object,
    errors: FieldErrors,
    field: str,
    *,
    now: dt.datetime,
    future_message: str | Promise,
    earliest: dt.datetime | None = None,
    earliest_message: str | Promise = "",
) -> dt.datetime:
    """When something happened: ``now`` when left empty, else a parsed local date-time that is
    not in the future (``FUTURE_TOLERANCE`` allows for clock skew) nor before ``earliest``.

    Problems go to ``errors`` under ``field``; ``now`` stands in for a refused value.
    """
    if raw in (None, ""):
        return now
    try:
        value = parse_datetime_local(raw)
    except ValueError:
        errors.add(field, _("“%(value)s” is not a valid date and time.") % {"value": raw})
        return now
    if value > now + FUTURE_TOLERANCE:
        errors.add(field, future_message)
    elif earliest is not None and value < earliest:
        errors.add(field, earliest_message)
    return value
