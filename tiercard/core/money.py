"""Money: ``Decimal`` only, one rounding rule (half up to cents)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # what DecimalField(max_digits=12, decimal_places=2) holds

_STRIP = re.compile(r"[\s,，¥￥元]|RMB|CNY", re.IGNORECASE)


def quantize(value: Decimal) -> Decimal:
    """Round to cents, half up. The only rounding helper in the code base."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(raw: object) -> Decimal:
    """Parse ``¥1,234.50``, ``1234.5元``, ``１２３４`` or a number into a Decimal.

    Floats are refused on purpose: money never passes through binary floating point.
    Raises ``ValueError`` for anything that is not a finite decimal number.
    """
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = Decimal(raw)
    elif isinstance(raw, str):
        from tiercard.core.text import fold_width

        text = _STRIP.sub("", fold_width(raw))
        if not text:
            raise ValueError("empty amount")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {raw!r}") from exc
    else:
        raise ValueError(f"unsupported amount type: {type(raw).__name__}")
    if not value.is_finite():
        raise ValueError("amount must be finite")
    return value


def format_money(value: Decimal | None, symbol: str = "¥") -> str:
    if value is None:
        return ""
    return f"{symbol}{quantize(value):,}"
