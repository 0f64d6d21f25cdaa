"""Birthday gifts: one message per customer and year, on the day (solar or lunar), for the tiers
that give one; nights missed are caught up, nothing is announced early or twice."""

from __future__ import annotations

import datetime as dt

import pytest
from lunardate import LunarDate

from tests.loyalty.tiers_support import customers, member
from tiercard.customers.models import BirthdayCalendar, Customer, CustomerStatus
from tiercard.loyalty.services.birthdays import birthday_gifts_queue
from tiercard.loyalty.services.notify import compose
from tiercard.outbox.models import MessageKind, OutboxMessage

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 4)  # lunar 2026-10-26


def born(customer: Customer, day: dt.date | None = None, *, lunar: tuple[int, int] | None = None):
    if lunar is not None:
        Customer.objects.filter(pk=customer.pk).update(
            birthday_calendar=BirthdayCalendar.LUNAR,
            birthday=dt.date(1990, 1, 1),  # the solar date of birth: not the day kept
            lunar_birth_month=lunar[0],
            lunar_birth_day=lunar[1],
        )
    else:
        Customer.objects.filter(pk=customer.pk).update(birthday=day)


def gifts() -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    for message in OutboxMessage.objects.filter(kind=MessageKind.BIRTHDAY_GIFT).order_by("pk"):
        found.setdefault(message.customer_id, []).append(message.payload)
    return found


@pytest.fixture
def people(users) -> list[Customer]:
    return customers(users["rep_east1"], 6)


def test_on_the_day_the_tiers_gift_is_announced_once(people):
    vip, basic, early, standard = people[:4]
    member(vip, "vip")
    member(standard, "standard")
    born(vip, dt.date(1985, 12, 4))
    born(basic, dt.date(1990, 12, 4))  # no membership row: 基础级, which gives no gift
    born(early, dt.date(1990, 12, 5))  # tomorrow: not before the day
    member(early, "vip")
    born(standard, dt.date(1970, 12, 2))  # two days ago, a night the job did not run

    assert birthday_gifts_queue(TODAY) == 2

    assert gifts() == {
        vip.pk: [{"tier": "vip", "gift": "定制生日礼品", "birthday": "2026-12-04"}],
        standard.pk: [{"tier": "standard", "gift": "生日优惠券 ¥50", "birthday": "2026-12-02"}],
    }
    key = OutboxMessage.objects.get(customer_id=vip.pk).key
    assert key == f"birthday_gift:{vip.pk}:2026"
    assert birthday_gifts_queue(TODAY) == 0
    assert birthday_gifts_queue(TODAY + dt.timedelta(days=1)) == 1  # the early one, on its day


def test_nights_further_back_than_the_look_back_are_not_caught_up(people):
    member(people[0], "vip")
    born(people[0], dt.date(1980, 11, 30))  # four days ago
    assert birthday_gifts_queue(TODAY) == 0


def test_the_year_of_the_birthday_keys_the_message_across_new_year(people):
    member(people[0], "vip")
    born(people[0], dt.date(1980, 12, 31))
    assert birthday_gifts_queue(dt.date(2026, 12, 31)) == 1
    assert birthday_gifts_queue(dt.date(2027, 1, 2)) == 0  # 31 December is still looked back on
    assert birthday_gifts_queue(dt.date(2027, 12, 31)) == 1
    assert [p["birthday"] for p in gifts()[people[0].pk]] == ["2026-12-31", "2027-12-31"]


def test_29_february_is_kept_on_28_february_in_other_years(people):
    member(people[0], "vip")
    born(people[0], dt.date(1988, 2, 29))
    assert birthday_gifts_queue(dt.date(2027, 2, 27)) == 0
    assert birthday_gifts_queue(dt.date(2027, 2, 28)) == 1
    assert birthday_gifts_queue(dt.date(2028, 2, 29)) == 1  # a leap year: on the day itself


def test_lunar_birthdays_are_kept_on_this_years_solar_date(people):
    lunar, thirtieth, solar_twin = people[:3]
    for person in people[:3]:
        member(person, "vip")
    born(lunar, lunar=(10, 26))  # lunar 10/26 is 2026-12-04
    born(solar_twin, dt.date(1990, 10, 26))  # a solar 26 October: not today
    # The 30th of a lunar month: kept on the 29th in a year when that month has 29 days.
    short = next(
        day
        for day in (dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(365))
        if LunarDate.from_solar_date(day.year, day.month, day.day).day == 29
        and LunarDate.from_solar_date(*_ymd(day + dt.timedelta(days=1))).day == 1
    )
    month = LunarDate.from_solar_date(short.year, short.month, short.day).month
    born(thirtieth, lunar=(month, 30))

    assert birthday_gifts_queue(TODAY) == 1
    assert list(gifts()) == [lunar.pk]
    assert birthday_gifts_queue(short) == 1
    assert gifts()[thirtieth.pk][0]["birthday"] == short.isoformat()


def test_archived_cards_get_nothing_and_the_message_reads_in_chinese(people):
    kept, archived = people[:2]
    for person in (kept, archived):
        member(person, "vip")
        born(person, TODAY)
    Customer.objects.filter(pk=archived.pk).update(status=CustomerStatus.ARCHIVED)

    assert birthday_gifts_queue(TODAY) == 1

    message = OutboxMessage.objects.get(kind=MessageKind.BIRTHDAY_GIFT)
    assert message.customer_id == kept.pk
    subject, body = compose(message.kind, message.payload)
    assert subject == "生日快乐"
    assert body == "祝您生日快乐！作为VIP级会员，您的生日礼遇是：定制生日礼品。"


def _ymd(day: dt.date) -> tuple[int, int, int]:
    return day.year, day.month, day.day


def test_a_lunar_birthday_twice_in_one_solar_year_is_kept_both_times(people):
    """Lunar 12/01 fell on 2024-01-11 (lunar year 2023) and on 2024-12-31 (lunar year 2024)."""
    member(people[0], "vip")
    born(people[0], lunar=(12, 1))
    first = LunarDate(2023, 12, 1).to_solar_date()
    second = LunarDate(2024, 12, 1).to_solar_date()
    assert (first, second) == (dt.date(2024, 1, 11), dt.date(2024, 12, 31))

    assert birthday_gifts_queue(first) == 1
    assert birthday_gifts_queue(second) == 1
    assert birthday_gifts_queue(second + dt.timedelta(days=2)) == 0  # looked back on: no again

    keys = sorted(OutboxMessage.objects.values_list("key", flat=True))
    assert keys == [f"birthday_gift:{people[0].pk}:2023", f"birthday_gift:{people[0].pk}:2024"]
