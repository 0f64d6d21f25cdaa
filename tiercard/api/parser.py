"""JSON in and out.

In: numbers with a fraction are parsed as ``Decimal`` (``12.30`` stays ``Decimal("12.30")``),
so money never passes through a binary float. Out: UTF-8 text, Chinese left readable.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, cast

from django.http import HttpRequest
from ninja.parser import Parser
from ninja.renderers import JSONRenderer


class DecimalJSONParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(request.body, parse_float=Decimal))


class UTF8JSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}
