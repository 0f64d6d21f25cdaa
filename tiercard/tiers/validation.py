"""Collecting rule errors with a stable code per field path, raised as one ``ValidationFailed``.

Field paths name the place in the submitted data, e.g. ``criteria.any[0].all[1].threshold`` or
``tiers[2].colour``, so a form or an API client can show the message next to the input.
The raised error's ``code`` is the code of the first problem found; every problem's code is in
``params["field_codes"]`` (path -> list of codes), next to the translated messages in
``fields``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.functional import Promise

from tiercard.core.errors import ValidationFailed


@dataclass
class RuleErrors:
    """Problems found so far; ``raise_if_any`` raises them all at once."""

    messages: dict[str, list[str | Promise]] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)

    def add(self, path: str, code: str, message: str | Promise) -> None:
        self.messages.setdefault(path, []).append(message)
        self.codes.setdefault(path, []).append(code)

    def __bool__(self) -> bool:
        return bool(self.codes)

    def raise_if_any(self) -> None:
        if not self.codes:
            return
        first = next(iter(self.codes.values()))[0]
        raise ValidationFailed(
            code=first, fields=self.messages, params={"field_codes": dict(self.codes)}
        )


def absorb(errors: RuleErrors, exc: ValidationFailed, prefix: str = "") -> None:
    """Copy the problems of a nested parse into ``errors``, their paths under ``prefix``."""
    codes: dict[str, list[str]] = exc.params.get("field_codes", {})
    for path, messages in exc.fields.items():
        for i, message in enumerate(messages):
            code = codes.get(path, [exc.code] * len(messages))[i]
            errors.add(join(prefix, path) if prefix else path, code, message)


def join(path: str, key: str) -> str:
    """``join("criteria", "all")`` -> ``criteria.all``; an empty path gives just the key."""
    return f"{path}.{key}" if path else key


def decimal_of(raw: object) -> Decimal | None:
    """A JSON number or numeric text as a finite ``Decimal``; None for anything else (booleans,
    floats, NaN, infinities, words), which the caller reports at its path."""
    if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal):
        return None
    try:
        number = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
