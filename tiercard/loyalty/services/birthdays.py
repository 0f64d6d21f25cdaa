"""Birthday gifts: on a customer's birthday, one message naming their tier's gift.

Rules:

* Only tiers whose benefits name a ``birthday_gift`` give one; the tier is the one held that
  night (a card without a membership row holds the lowest tier).
* The birthday is the solar date, or for a lunar birthday this year's solar date of that lunar
  month and day (a 30th in a 29-day month is kept on the 29th; a birthday in a leap month is
  kept in the ordinary month of that number). A 29 February birthday is kept on 28 February in
  other years.
* Once per customer and year — the solar year of a solar birthday, the lunar year of a lunar
  one: the outbox key ``birthday_gift:<customer>:<year>`` is unique.
  The job looks back ``LOOKBACK_DAYS`` so that nights it did not run are caught up; a birthday
  is never announced before the day.
* Archived and merged cards get nothing; consent and the address are the sender's to check,
  as for every message (``notify``).

Set-based: one statement selects the customers whose birthday falls on any day of the
look-back and writes their messages (``INSERT ... SELECT``). It reads every card with a birthday
(no index serves "month and day of a date"), with the database's own date function.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Case, Exists, F, Func, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone
from lunardate import LunarDate

from tiercard.customers.models import BirthdayCalendar, Customer, CustomerStatus
from tiercard.loyalty.services.announce import customer_key, messages_insert
from tiercard.loyalty.services.state import active_programme
from tiercard.outbox.models import MessageKind, OutboxMessage

LOOKBACK_DAYS = 3


def birthday_gifts_queue(today: dt.date) -> int:
    """Queue the birthday messages due by ``today``; returns how many were written."""
    programme = active_programme().programme
    gifts = {
        tier.code: programme.benefits_of(tier.code).birthday_gift
        for tier in programme.ladder.tiers
        if programme.benefits_of(tier.code).birthday_gift
    }
    if not gifts:
        return 0
    days = [today - dt.timedelta(days=n) for n in range(LOOKBACK_DAYS, -1, -1)]
    on_day = [(day, solar_birthday_q(day), lunar_birthday_q(day)) for day in days]
    match = Q(pk__in=[])
    for _day, solar, lunar in on_day:
        match |= solar | lunar
    celebrated = Case(
        *[When(solar | lunar, then=Value(day.isoformat())) for day, solar, lunar in on_day],
        output_field=models.CharField(),
    )
    # Once a year: the solar year for a solar birthday, the lunar year for a lunar one (lunar
    # 12/01 fell on 2024-01-11 and again on 2024-12-31, and not at all in 2025).
    year = Case(
        *[When(lunar, then=Value(str(_lunar(day).year))) for day, _solar, lunar in on_day],
        *[When(solar, then=Value(str(day.year))) for day, solar, _lunar_q in on_day],
        output_field=models.CharField(),
    )
    held = Coalesce(F("membership__tier"), Value(programme.ladder.lowest.code))
    gift = Case(
        *[When(held_tier=code, then=Value(text)) for code, text in gifts.items()],
        output_field=models.CharField(),
    )
    # The year of the birthday kept, not of tonight: on 2 January the look-back still holds
    # 31 December, whose message (if queued then) carries the old year.
    key = customer_key(MessageKind.BIRTHDAY_GIFT, "pk", year)
    due = (
        Customer.objects.annotate(born_md=MonthDay("birthday"))
        .filter(match, merged_into__isnull=True)
        .exclude(status=CustomerStatus.ARCHIVED)
        .annotate(held_tier=held)
        .filter(held_tier__in=list(gifts))
        .annotate(gift_key=key, celebrated=celebrated)
        .filter(~Exists(OutboxMessage.objects.filter(key=OuterRef("gift_key"))))
    )
    return messages_insert(
        due,
        key=F("gift_key"),
        kind=MessageKind.BIRTHDAY_GIFT,
        customer=F("pk"),
        payload=JSONObject(tier=F("held_tier"), gift=gift, birthday=F("celebrated")),
        now=timezone.now(),
    )


def solar_birthday_q(day: dt.date) -> Q:
    """Customers with a solar birthday kept on ``day`` (29 February on the 28th in other
    years)."""
    days = [f"{day:%m-%d}"]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        days.append("02-29")
    return Q(born_md__in=days) & ~Q(birthday_calendar=BirthdayCalendar.LUNAR)


def lunar_birthday_q(day: dt.date) -> Q:
    """Customers with a lunar birthday kept on ``day``: its lunar month and day; the 30th on the
    29th of a 29-day month. A day in a leap month keeps none (the ordinary month did)."""
    lunar = _lunar(day)
    if lunar.is_leap_month:
        return Q(pk__in=[])
    lunar_days = [lunar.day]
    if lunar.day == 29 and _lunar(day + dt.timedelta(days=1)).day == 1:
        lunar_days.append(30)
    return Q(
        birthday_calendar=BirthdayCalendar.LUNAR,
        lunar_birth_month=lunar.month,
        lunar_birth_day__in=lunar_days,
    )


def _lunar(day: dt.date) -> LunarDate:
    return LunarDate.from_solar_date(day.year, day.month, day.day)


class MonthDay(Func):
    """A date column as ``MM-DD`` text, by the database's own date function: Django's month
    and day lookups call a Python function per row on SQLite, and this runs over every card
    with a birthday each night."""

    output_field = models.CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler, connection, template="strftime('%%%%m-%%%%d', %(expressions)s)"
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(compiler, connection, template="to_char(%(expressions)s, 'MM-DD')")
