"""Findings about rows, kept in every language so they read in the viewer's language later.

A :class:`RowProblem` is what the row reader and the appliers report; ``store_problems``
writes them as ``ImportProblem`` rows in bulk. Messages are usually lazy translations (or a
service's field messages); each is rendered once per configured language when stored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise

from tiercard.imports.models import ImportBatch, ImportProblem, ProblemSeverity


@dataclass(frozen=True)
class RowProblem:
    row: int
    code: str
    message: str | Promise
    column: str = ""
    field: str = ""
    severity: str = ProblemSeverity.ERROR
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.severity == ProblemSeverity.ERROR


def _render(message: str | Promise, params: dict[str, Any]) -> str:
    text = str(message)
    if params:
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            return text
    return text


def in_every_language(
    message: str | Promise, params: dict[str, Any] | None = None
) -> dict[str, str]:
    """``{language: text}`` for each configured language (one text when already rendered);
    ``params`` fill the message's ``%(name)s`` placeholders."""
    if not isinstance(message, Promise):
        return {settings.LANGUAGE_CODE.lower(): _render(message, params or {})}
    texts: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code.lower()] = _render(message, params or {})
    return texts


def store_problems(batch: ImportBatch, problems: Iterable[RowProblem]) -> int:
    """Write ``problems`` for ``batch`` (bulk, in pieces); how many were written."""
    written = 0
    pending: list[ImportProblem] = []
    for p in problems:
        pending.append(
            ImportProblem(
                batch=batch,
                row_number=p.row,
                column=p.column[:200],
                field=p.field[:60],
                code=p.code[:40],
                severity=p.severity,
                messages=in_every_language(p.message, p.params),
                params=p.params,
            )
        )
        if len(pending) >= 500:
            ImportProblem.objects.bulk_create(pending)
            written += len(pending)
            pending = []
    if pending:
        ImportProblem.objects.bulk_create(pending)
        written += len(pending)
    return written
