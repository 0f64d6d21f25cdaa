"""Domain errors with stable codes.

Every business rule a service enforces is raised as a :class:`DomainError`. The ``code`` is a
stable, machine-readable string (API clients switch on it); ``message`` is a lazily translated
string, so it renders in the language of the request that catches it. Field errors carry a
mapping of field name to messages so forms can show them next to the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every error a service raises on purpose. ``http_status`` guides interfaces."""

    code = "domain_error"
    http_status = 400
    default_message: str | Promise = _("The request could not be completed.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        fields: Mapping[str, list[str | Promise]] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.fields: dict[str, list[str | Promise]] = {
            k: list(v) for k, v in (fields or {}).items()
        }
        self.params = dict(params or {})
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        """The wire shape shared by the API and htmx responses: ``{code, message, fields}``."""
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = {k: [str(m) for m in v] for k, v in self.fields.items()}
        return body


class ValidationFailed(DomainError):
    code = "validation_error"
    http_status = 422
    default_message = _("Some fields are invalid.")


class NotFound(DomainError):
    """Also raised for records outside the viewer's scope, so their existence is not revealed."""

    code = "not_found"
    http_status = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
    default_message = _("The record was changed by someone else. Reload and try again.")


class FieldErrors:
    """Collects field errors during validation, then raises them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str | Promise]] = {}

    def add(self, field: str, message: str | Promise) -> None:
        self.errors.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self, message: str | Promise | None = None) -> None:
        if self.errors:
            raise ValidationFailed(message, fields=self.errors)
