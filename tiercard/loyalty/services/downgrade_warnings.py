"""Queueing downgrade warnings: one outbox message per customer and planned date.

Shared by the review (customers already below their tier, ``grading._Review.warn``) and the
forecast (customers who will fall below soon, ``forecast``). Invariants: a customer is warned
at most once per planned date — the message key ``downgrade_warning:<customer>:<date>`` is
unique and ``warned_for`` holds the date warned about; a changed plan (a later date) is a new
warning. Rows already holding a message under their key are only marked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import models
from django.db.models import Case, Exists, Expression, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import JSONObject

from tiercard.loyalty.models import Membership
from tiercard.loyalty.services.announce import customer_key, messages_insert
from tiercard.loyalty.services.tier_sql import const, ids_in
from tiercard.outbox.models import MessageKind, OutboxMessage


def warnings_queue(
    rows: QuerySet[Membership],
    plan: Sequence[tuple[Q, dt.date]],
    *,
    to_tier: Expression,
    version: int,
    now: dt.datetime,
) -> int:
    """Warn each of ``rows`` about its planned downgrade; returns the messages written.

    A row's planned date is the first ``day`` of ``plan`` (ascending) whose ``Q`` it meets;
    rows meeting none are left alone. ``to_tier`` is the tier the downgrade lands on.
    """
    if not plan:
        return 0
    planned = Case(
        *[When(q, then=Value(day)) for q, day in plan],
        default=None,
        output_field=models.DateField(),
    )
    planned_text = Case(
        *[When(q, then=Value(day.isoformat())) for q, day in plan],
        default=None,
        output_field=models.CharField(),
    )
    key = customer_key(MessageKind.DOWNGRADE_WARNING, "customer_id", planned_text)
    unwarned = (
        rows.annotate(planned=planned, warn_key=key)
        .filter(planned__isnull=False)
        .filter(Q(warned_for__isnull=True) | ~Q(warned_for=F("planned")))
    )
    due = unwarned.filter(~Exists(OutboxMessage.objects.filter(key=OuterRef("warn_key"))))
    written = messages_insert(
        due,
        key=F("warn_key"),
        kind=MessageKind.DOWNGRADE_WARNING,
        customer=F("customer_id"),
        payload=JSONObject(
            tier=F("tier"),
            to_tier=to_tier,
            planned_on=planned_text,
            ladder_version=const(version, models.IntegerField()),
        ),
        now=now,
    )
    marked = list(unwarned.values_list("pk", flat=True))
    if marked:
        Membership.objects.filter(ids_in(Membership, marked)).update(warned_for=planned)
    return written
