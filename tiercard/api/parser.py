"""JSON in and out.

In: numbers with a fraction are parsed as ``Decimal`` (``12.30`` stays ``Decimal("12.30")``),
so money never passes through a binary float; text holding the NUL character is refused (422
naming the field) in the body and the query — PostgreSQL cannot store it, and it has no
business in a name or a note. Out: UTF-8 text, Chinese left readable.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, cast

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.types import DictStrAny

from tiercard.core.errors import FieldErrors

NUL = "\x00"


def _nul_paths(value: Any, path: str) -> list[str]:
    """Where in a parsed JSON value text holds NUL: ``lines.0.item_name``."""
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nul_paths(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nul_paths(v, f"{path}.{i}")]
    return []


def refuse_nul(paths: list[str]) -> None:
    errors = FieldErrors()
    for path in paths:
        errors.add(path or "body", _("Text may not contain the NUL character."))
    errors.raise_if_any()


class DecimalJSONParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        body = json.loads(request.body, parse_float=Decimal)
        refuse_nul(_nul_paths(body, ""))
        return cast(dict[str, Any], body)

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        refuse_nul(sorted({k for k, values in data.lists() for v in values if NUL in str(v)}))
        return super().parse_querydict(data, list_fields, request)


class UTF8JSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}
