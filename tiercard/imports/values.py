"""Cell text → typed values, reading what offices actually type. Pure: no database.

Every parser takes the cell text (already :func:`clean_cell`-ed or not) and returns a value or
raises :class:`ValueProblem` with a stable ``code`` and its ``params``. The message renders in
the active language when read (``problem.message`` or :func:`problem_message`), so a problem
stored as (code, params) can be shown later in the viewer's language.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from tiercard.core import money
from tiercard.core.contacts import normalize_credit_code, normalize_email, normalize_phone
from tiercard.core.timeutils import business_tz
from tiercard.imports.cells import clean_cell

MESSAGES: dict[str, Promise] = {
    "bad_date": _("Not a valid date: use a form like 2024-05-01 or 2024年5月1日."),
    "bad_datetime": _("Not a valid date and time: use a form like 2024-05-01 14:30."),
    "bad_amount": _("Not a valid amount: use a form like 1234.50 or ¥1,234.50."),
    "negative_amount": _("The amount must not be negative."),
    "amount_too_large": _("The amount is too large."),
    "bad_number": _("Not a whole number."),
    "bad_quantity": _("The quantity must be a number greater than zero."),
    "bad_bool": _("Not a yes/no value: use 是/否, Y/N, yes/no or 1/0."),
    "bad_phone": _("Not a valid phone number."),
    "bad_email": _("Not a valid email address."),
    "bad_credit_code": _("Not a valid unified social credit code (18 characters)."),
    "bad_choice": _("Not one of the allowed values: %(allowed)s."),
    "unknown_tier": _("No tier of that name: the tiers are %(allowed)s."),
    "ambiguous_tier": _("The tier name matches several tiers: %(allowed)s."),
    "required": _("This value is required."),
}


def problem_message(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The message of a stored problem, in the active language."""
    template = MESSAGES.get(code)
    if template is None:
        return code
    text = str(template)
    return text % dict(params) if params and "%(" in text else text


_lazy_message = lazy(problem_message, str)


class ValueProblem(Exception):
    """A cell that cannot be read as the field's type. ``message`` is lazy (user language)."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        self.message = _lazy_message(code, params)
        super().__init__(code)


# --- dates -------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)
# Excel serial day numbers: five digits only (10000 = 1927-05-18 … 99999 = 2173), so a lone
# year such as "2024" or a day such as "15" is never read as a serial.
_SERIAL = re.compile(r"^([1-9]\d{4})(?:\.(\d+))?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CN_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
_SEP_DATE = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$")
_TIME = re.compile(
    r"^(\d{1,2})\s*[:：时点]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?\s*分?$"
)
MIN_YEAR, MAX_YEAR = 1900, 2199


def _make_date(year: str, month: str, day: str, code: str) -> dt.date:
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueProblem(code) from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueProblem(code)
    return value


def _serial_date(whole: str, code: str) -> dt.date:
    # Day 0 is 1899-12-30 for every serial after Excel's phantom 1900-02-29 (serial 60).
    return _EXCEL_EPOCH + dt.timedelta(days=int(whole))


def _date_part(text: str, code: str) -> dt.date:
    for pattern in (_CN_DATE, _SEP_DATE, _COMPACT):
        match = pattern.match(text)
        if match:
            year, month, day = match.groups()
            return _make_date(year, month, day, code)
    match = _SERIAL.match(text)
    if match:
        return _serial_date(match.group(1), code)
    raise ValueProblem(code)


def _split_date_time(text: str) -> tuple[str, str]:
    """``2024-05-01 14:30`` / ``2024-05-01T14:30:00`` / ``2024年5月1日 14时30分`` → parts."""
    cn = re.match(r"^(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号]?)\s*(.*)$", text)
    if cn:
        return cn.group(1), cn.group(2)
    head, sep, tail = text.replace("T", " ", 1).partition(" ")
    return head, tail.strip() if sep else ""


def parse_date(text: str) -> dt.date:
    """2024年5月1日, 2024/5/1, 2024-05-01, 2024.5.1, 20240501, Excel serials (45413).
    A trailing time (a datetime cell read into a date field) is ignored."""
    text = clean_cell(text)
    if not text:
        raise ValueProblem("required")
    match = _SERIAL.match(text)
    if match:
        return _serial_date(match.group(1), "bad_date")
    head, tail = _split_date_time(text)
    if tail:
        try:
            _make_time(tail)
        except ValueProblem:
            raise ValueProblem("bad_date") from None
    return _date_part(head, "bad_date")


def _make_time(text: str) -> dt.time:
    if not text:
        return dt.time(0)
    match = _TIME.match(text)
    if not match:
        raise ValueProblem("bad_datetime")
    hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        raise ValueProblem("bad_datetime") from None


def parse_datetime(text: str) -> dt.datetime:
    """A date with an optional time, aware. Naive values are business time; an explicit
    offset (``2024-05-01T14:30:00+08:00``) is kept. Excel serials may carry a day fraction."""
    text = clean_cell(text)
    if not text:
        raise ValueProblem("required")
    tz = business_tz()
    match = _SERIAL.match(text)
    if match:
        day = _serial_date(match.group(1), "bad_datetime")
        fraction = Decimal("0." + (match.group(2) or "0"))
        seconds = int((fraction * 86400).to_integral_value())
        return dt.datetime.combine(day, dt.time(0), tzinfo=tz) + dt.timedelta(seconds=seconds)
    if re.search(r"(Z|[+-]\d{2}:?\d{2})$", text) and "-" in text[:8]:
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueProblem("bad_datetime") from None
        if value.tzinfo is None:  # pragma: no cover — the pattern requires an offset
            value = value.replace(tzinfo=tz)
        return value
    head, tail = _split_date_time(text)
    day = _date_part(head, "bad_datetime")
    return dt.datetime.combine(day, _make_time(tail), tzinfo=tz)


# --- numbers -----------------------------------------------------------------------------

_ACCOUNTING = re.compile(r"^[(（](.*)[)）]$")
_WAN = re.compile(r"万\s*(元)?$")


def parse_amount(text: str, *, allow_negative: bool = False) -> Decimal:
    """¥1,234.50, 1234.5元, RMB 12, ￥１２３, 1.5万, (123) for −123; rounded half up to cents."""
    text = clean_cell(text)
    if not text:
        raise ValueProblem("required")
    negative = False
    match = _ACCOUNTING.match(text)
    if match:
        negative, text = True, match.group(1).strip()
    multiplier = Decimal(1)
    if _WAN.search(text):
        multiplier, text = Decimal(10000), _WAN.sub("", text)
    try:
        value = money.parse_amount(text) * multiplier
    except (ValueError, InvalidOperation):
        raise ValueProblem("bad_amount") from None
    if negative:
        value = -abs(value)
    if value < 0 and not allow_negative:
        raise ValueProblem("negative_amount")
    value = money.quantize(value)
    if abs(value) > money.MAX_AMOUNT:
        raise ValueProblem("amount_too_large")
    return value


def _decimal(text: str, code: str) -> Decimal:
    cleaned = clean_cell(text).replace(",", "").replace("，", "")
    if not cleaned:
        raise ValueProblem("required")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueProblem(code) from None
    if not value.is_finite():
        raise ValueProblem(code)
    return value


def parse_int(text: str) -> int:
    """1,200 or 1200 or 1200.0 (how a spreadsheet number may arrive); not 12.5."""
    value = _decimal(text, "bad_number")
    if value != value.to_integral_value() or abs(value) > 10**15:
        raise ValueProblem("bad_number")
    return int(value)


def parse_quantity(text: str) -> Decimal:
    value = _decimal(text, "bad_quantity")
    if value <= 0 or value > Decimal("1000000000"):
        raise ValueProblem("bad_quantity")
    return value


_TRUE = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "✔", "对", "有", "t"})
_FALSE = frozenset({"否", "n", "no", "false", "0", "×", "✗", "✘", "x", "不", "不是", "无", "f"})


def parse_bool(text: str) -> bool:
    folded = clean_cell(text).casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueProblem("bad_bool")


# --- contacts ----------------------------------------------------------------------------


def _contact(text: str, normalizer: Callable[[str], str], code: str) -> str:
    cleaned = clean_cell(text)
    if not cleaned:
        raise ValueProblem("required")
    try:
        return normalizer(cleaned)
    except ValueError:
        raise ValueProblem(code) from None


def parse_phone(text: str) -> str:
    """+86 138 1234 5678, 138-1234-5678, １３８１２３４５６７８, 8613812345678 → E.164."""
    return _contact(text, normalize_phone, "bad_phone")


def parse_email(text: str) -> str:
    return _contact(text, normalize_email, "bad_email")


def parse_credit_code(text: str) -> str:
    return _contact(text, normalize_credit_code, "bad_credit_code")


# --- choices and tiers -------------------------------------------------------------------


def _fold(text: str) -> str:
    return clean_cell(str(text)).replace(" ", "").casefold()


def _label_forms(label: Any) -> set[str]:
    """A (lazy) label as written in Chinese and in English."""
    forms = {_fold(label)}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            forms.add(_fold(str(label)))
    return forms


def parse_choice(text: str, choices: Mapping[str, Any]) -> str:
    """The code whose code or label (zh or en, folded, case-insensitive) equals the text."""
    folded = _fold(text)
    if not folded:
        raise ValueProblem("required")
    for code, label in choices.items():
        if folded == _fold(code) or folded in _label_forms(label):
            return code
    raise ValueProblem("bad_choice", allowed=_listing(str(label) for label in choices.values()))


def _listing(names: Iterable[str]) -> str:
    return ", ".join(names)


_TIER_SUFFIXES = ("会员卡", "会员", "客户", "等级", "级别", "级", "卡", "member", "tier", "level")


def _tier_core(text: str) -> str:
    core = _fold(text)
    changed = True
    while changed and core:
        changed = False
        for suffix in _TIER_SUFFIXES:
            if core.endswith(suffix) and len(core) > len(suffix):
                core, changed = core[: -len(suffix)], True
    return core


def parse_tier(text: str, tiers: Sequence[tuple[str, str, str]]) -> str:
    """(code, zh name, en name) → code. Exact (folded) names first; then loose forms such as
    'vip级', 'VIP会员', '金卡会员' by their core name, only when exactly one tier matches."""
    folded = _fold(text)
    if not folded:
        raise ValueProblem("required")
    allowed = _listing(zh for _code, zh, _en in tiers)
    for code, zh, en in tiers:
        if folded in {_fold(code), _fold(zh), _fold(en)}:
            return code
    core = _tier_core(text)
    loose = {
        code for code, zh, en in tiers if core in {_tier_core(code), _tier_core(zh), _tier_core(en)}
    }
    if len(loose) == 1:
        return loose.pop()
    if len(loose) > 1:
        raise ValueProblem("ambiguous_tier", allowed=allowed)
    raise ValueProblem("unknown_tier", allowed=allowed)
