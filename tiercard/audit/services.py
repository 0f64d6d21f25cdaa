"""Writing audit rows. Called by other services inside their transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models

from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.core import rows
from tiercard.core.context import current_interface, current_remote_addr


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def field_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in after
        if _jsonable(before.get(key)) != _jsonable(after.get(key))
    }


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    customer_id: int | None = None,
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    """Append one audit row. The interface comes from the request's context."""
    event = AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=(actor.username if actor is not None and actor.pk else "system"),
        interface=current_interface(),
        remote_addr=current_remote_addr()[:64],
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=object_id or (str(obj.pk) if obj is not None else ""),
        customer_id=customer_id,
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
        note=note[:200],
    )
    return rows.insert(event)  # on the purchase hot path: SQL built once, not per call
