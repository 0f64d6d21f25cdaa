"""Model shape checks gathered into a :class:`FieldErrors`, for services."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tiercard.core.errors import FieldErrors


def full_clean_into(
    instance: models.Model,
    errors: FieldErrors,
    *,
    exclude: Iterable[str] = (),
    prefix: str = "",
    only: Iterable[str] | None = None,
) -> None:
    """Run ``full_clean`` (lengths, choices, blanks) and add its messages to ``errors``.

    Also enforces ``max_length`` on TextFields, which Django leaves to forms and SQLite does
    not enforce at all: over-long text is refused, never stored or silently cut. Unique and
    constraint checks are left to the services and the database.

    ``only``, when given, names the fields to check (less ``exclude``): the same per-field
    checks as ``Model.clean_fields`` (blank values of blank fields pass, the cleaned value is
    set back) and the model's ``clean()``, without visiting every other field; the bulk
    service checks each new card's changed fields this way.
    """
    excluded = set(exclude)
    if only is None:
        try:
            instance.full_clean(exclude=excluded, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    errors.add(prefix + name, message)
        fields = [f for f in instance._meta.concrete_fields if f.name not in excluded]
    else:
        names = set(only) - excluded
        fields = [f for f in instance._meta.concrete_fields if f.name in names]
        _clean_fields(instance, fields, errors, prefix)
    for field in fields:
        if not isinstance(field, models.TextField):
            continue
        value = getattr(instance, field.attname)
        if field.max_length and isinstance(value, str) and len(value) > field.max_length:
            errors.add(
                prefix + field.name,
                _("Ensure this value has at most %(limit)d characters (it has %(count)d).")
                % {"limit": field.max_length, "count": len(value)},
            )


def _clean_fields(
    instance: models.Model, fields: list[models.Field], errors: FieldErrors, prefix: str
) -> None:
    """``Model.clean_fields`` and ``Model.clean`` for ``fields`` alone."""
    for field in fields:
        if field.generated:
            continue
        raw = getattr(instance, field.attname)
        if field.blank and raw in field.empty_values:
            continue
        try:
            setattr(instance, field.attname, field.clean(raw, instance))
        except ValidationError as exc:
            for message in exc.messages:
                errors.add(prefix + field.name, message)
    try:
        instance.clean()
    except ValidationError as exc:
        for name, messages in exc.update_error_dict({}).items():
            for message in ValidationError(messages).messages:
                errors.add(prefix + name, message)
