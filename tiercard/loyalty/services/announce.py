"""Outbox messages written set-based: one INSERT ... SELECT per batch of messages.

``messages_insert`` is the one writer of such batches (tier changes, downgrade warnings,
birthday gifts). The review (upgrades, downgrades) and a rule change announce the changes they
wrote in the same transaction. Each message's key is unique in the outbox (for a tier change
``<kind>:<tier change id>``), so a change is announced at most once; delivery checks consent
and address later.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Cast, Concat, JSONObject

from tiercard.loyalty.models import TierChange
from tiercard.loyalty.services.tier_sql import const, insert_select
from tiercard.outbox.models import OutboxMessage


def customer_key(kind: str, customer: str, part: Any) -> Concat:
    """``<kind>:<customer id>:<part>`` as SQL: the key of a message sent once per customer and
    ``part`` (a planned date, a year)."""
    return Concat(
        Value(f"{kind}:"),
        Cast(customer, models.CharField()),
        Value(":"),
        part,
        output_field=models.CharField(),
    )


def messages_insert(
    source: QuerySet[Any],
    *,
    key: Any,
    kind: str,
    customer: Any,
    payload: JSONObject,
    now: dt.datetime,
    skip_conflicts: bool = False,
) -> int:
    """One pending ``kind`` message per row of ``source``; returns how many were written.

    ``key``, ``customer`` and ``payload`` are expressions over ``source``'s rows. The caller
    leaves out rows whose key is already taken (the key is unique), or passes
    ``skip_conflicts`` to have the database leave them out.
    """
    return insert_select(
        OutboxMessage,
        source,
        {
            "key": key,
            "kind": const(kind, models.CharField()),
            "customer_id": customer,
            "payload": payload,
            "status": const("pending", models.CharField()),
            "attempts": const(0, models.IntegerField()),
            "last_error": const("", models.CharField()),
            "created_at": const(now, models.DateTimeField()),
        },
        skip_conflicts=skip_conflicts,
    )


def announce_changes(changes: QuerySet[TierChange], kind: str, now: dt.datetime) -> int:
    """Queue one ``kind`` message per change in ``changes``; returns how many."""
    return messages_insert(
        changes,
        key=Concat(Value(f"{kind}:"), Cast("id", models.CharField())),
        kind=kind,
        customer=F("customer_id"),
        payload=JSONObject(
            change=F("id"),
            from_tier=F("from_tier"),
            to_tier=F("to_tier"),
            effective_on=Cast("effective_on", models.CharField()),
            ladder_version=F("ladder_version"),
        ),
        now=now,
    )
