"""Query-string filters read into domain values, each bad one noted against its parameter."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from tiercard.core.errors import FieldErrors
from tiercard.core.money import parse_amount


def amount_filter(raw: str | None, name: str, errors: FieldErrors) -> Decimal | None:
    """An optional amount bound (``min_spend`` …); empty means no bound. Any finite number
    is accepted (``customers.validation.clean_money``'s limits are for stored amounts)."""
    if raw in (None, ""):
        return None
    try:
        return parse_amount(raw)
    except ValueError:
        errors.add(name, _("“%(value)s” is not an amount of money.") % {"value": raw})
        return None
