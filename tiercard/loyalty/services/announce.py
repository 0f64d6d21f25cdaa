"""Outbox messages for tier changes just written, set-based: one INSERT ... SELECT.

The review (upgrades, downgrades) and a rule change announce the changes they wrote in the
same transaction. Each message's key is ``<kind>:<tier change id>``, unique in the outbox, so
a change is announced at most once; delivery checks consent and address later.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Cast, Concat, JSONObject

from tiercard.loyalty.models import TierChange
from tiercard.loyalty.services.tier_sql import const, insert_select
from tiercard.outbox.models import OutboxMessage


def announce_changes(changes: QuerySet[TierChange], kind: str, now: dt.datetime) -> int:
    """Queue one ``kind`` message per change in ``changes``; returns how many."""
    return insert_select(
        OutboxMessage,
        changes,
        {
            "key": Concat(Value(f"{kind}:"), Cast("id", models.CharField())),
            "kind": const(kind, models.CharField()),
            "customer_id": F("customer_id"),
            "payload": JSONObject(
                change=F("id"),
                from_tier=F("from_tier"),
                to_tier=F("to_tier"),
                effective_on=Cast("effective_on", models.CharField()),
                ladder_version=F("ladder_version"),
            ),
            "status": const("pending", models.CharField()),
            "attempts": const(0, models.IntegerField()),
            "last_error": const("", models.CharField()),
            "created_at": const(now, models.DateTimeField()),
        },
    )
