"""Wire types shared by the schemas: money as strings, times with their offset, loose inputs.

Money never passes through a binary float: the JSON parser reads numbers with a fraction
as ``Decimal`` (see ``parser.py``), amounts may be sent as text (``"¥1,234.50"``) or numbers
and are handed to the services unchanged, and every amount goes out as a string with two
decimals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from tiercard.core.money import quantize
from tiercard.core.timeutils import business_tz

MAX_AMOUNT_TEXT = 40
MAX_LIST_ITEMS = 20
MAX_ITEM_TEXT = 254


def _amount_in(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise PydanticCustomError("amount_type", "Enter an amount as text or a number")
    if isinstance(value, str) and len(value) > MAX_AMOUNT_TEXT:
        raise PydanticCustomError(
            "string_too_long",
            "String should have at most {max_length} characters",
            {"max_length": MAX_AMOUNT_TEXT},
        )
    return value


AmountIn = Annotated[
    Any,
    PlainValidator(_amount_in),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": MAX_AMOUNT_TEXT},
                {"type": "number"},
            ],
            "description": 'An amount: text such as "1234.50" or "¥1,234.50", or a number.',
            "examples": ["128.50"],
        }
    ),
]


def _text_or_list(value: Any) -> Any:
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, list) and len(value) <= MAX_LIST_ITEMS:
        items = value
    else:
        raise PydanticCustomError("text_or_list_type", "Enter text or a list of texts")
    for item in items:
        if not isinstance(item, str):
            raise PydanticCustomError("text_or_list_type", "Enter text or a list of texts")
        if len(item) > MAX_ITEM_TEXT * 4:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": MAX_ITEM_TEXT * 4},
            )
    return value


TextOrList = Annotated[
    Any,
    PlainValidator(_text_or_list),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "array", "items": {"type": "string"}, "maxItems": MAX_LIST_ITEMS},
                {"type": "string"},
            ],
            "description": "A list, or one text with values separated by commas or new lines.",
        }
    ),
]


def _money_out(value: Decimal) -> str:
    return f"{quantize(Decimal(value)):.2f}"


Money = Annotated[
    Decimal,
    PlainSerializer(_money_out, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["1234.50"]}),
]


def _quantity_out(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


Quantity = Annotated[
    Decimal,
    PlainSerializer(_quantity_out, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d{1,3})?$", "examples": ["2", "1.5"]}),
]


def _local(value: dt.datetime) -> dt.datetime:
    """Aware times go out in the business time zone, with their offset (+08:00)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(business_tz())


LocalDateTime = Annotated[dt.datetime, AfterValidator(_local)]
