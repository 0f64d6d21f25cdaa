"""Model shape checks gathered into a :class:`FieldErrors`, for services."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tiercard.core.errors import FieldErrors


def full_clean_into(
    instance: models.Model, errors: FieldErrors, *, exclude: Iterable[str] = (), prefix: str = ""
) -> None:
    """Run ``full_clean`` (lengths, choices, blanks) and add its messages to ``errors``.

    Also enforces ``max_length`` on TextFields, which Django leaves to forms and SQLite does
    not enforce at all: over-long text is refused, never stored or silently cut. Unique and
    constraint checks are left to the services and the database.
    """
    excluded = set(exclude)
    try:
        instance.full_clean(exclude=excluded, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                errors.add(prefix + name, message)
    for field in instance._meta.concrete_fields:
        if not isinstance(field, models.TextField) or field.name in excluded:
            continue
        value = getattr(instance, field.attname)
        if field.max_length and isinstance(value, str) and len(value) > field.max_length:
            errors.add(
                prefix + field.name,
                _("Ensure this value has at most %(limit)d characters (it has %(count)d).")
                % {"limit": field.max_length, "count": len(value)},
            )
