"""The card's next follow-up (``cards.followups.next_follow_up``): one query, and the same
answer as its rules read over all of the customer's interactions."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from tiercard.cards.followups import next_follow_up
from tiercard.core.timeutils import business_today, business_tz
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.interactions.services import interaction_log

pytestmark = pytest.mark.django_db


def by_the_rules(customer: Customer, today: dt.date) -> Interaction | None:
    """The module's rules, applied to every interaction in Python."""
    rows = list(Interaction.objects.filter(customer=customer))
    upcoming = [i for i in rows if i.next_step_due is not None and i.next_step_due >= today]
    if upcoming:
        return min(upcoming, key=lambda i: (i.next_step_due, i.pk))
    planned = [i for i in rows if i.next_step_due is not None or i.next_step != ""]
    if not planned:
        return None
    latest = max(planned, key=lambda i: (i.occurred_at, i.pk))
    contacted = customer.last_interaction_at
    if contacted is not None and contacted > latest.occurred_at:
        contacted_on = contacted.astimezone(business_tz()).date()
        if latest.next_step_due is None or contacted_on >= latest.next_step_due:
            return None
    return latest


def _log(customer: Customer, actor: Any, **values: Any) -> Interaction:
    found = interaction_log(
        actor=actor, customer_id=customer.pk, data={"kind": "call", "summary": "电话"}
    )
    Interaction.objects.filter(pk=found.pk).update(**values)  # past plans, same instants
    return Interaction.objects.get(pk=found.pk)


def test_one_query_and_the_rules_answer_over_random_histories(
    users: dict, make_customer: Callable[..., Customer], django_assert_num_queries: Callable
) -> None:
    rng = random.Random(4)
    customer = make_customer("rep_east1", name="跟进")
    today = business_today()
    now = timezone.now()
    steps = ["", "", "寄样品", "送报价单"]
    for _scenario in range(40):
        Interaction.objects.filter(customer=customer).delete()
        for _n in range(rng.randint(0, 6)):
            _log(
                customer,
                users["rep_east1"],
                occurred_at=now - dt.timedelta(days=rng.choice([0, 1, 1, 5, 30])),
                next_step=rng.choice(steps),
                next_step_due=rng.choice(
                    [None, None, today, today + dt.timedelta(days=rng.randint(-20, 20))]
                ),
            )
        customer.last_interaction_at = rng.choice(
            [None, now, now - dt.timedelta(days=rng.randint(0, 40))]
        )
        expected = by_the_rules(customer, today)
        with django_assert_num_queries(1):
            found = next_follow_up(viewer=users["rep_east1"], customer=customer, today=today)
        assert (found.pk if found else None) == (expected.pk if expected else None)


def test_the_earliest_due_step_wins_over_a_later_planned_one(
    users: dict, make_customer: Callable[..., Customer]
) -> None:
    customer = make_customer("rep_east1", name="跟进")
    today = business_today()
    now = timezone.now()
    soon = _log(
        customer,
        users["rep_east1"],
        occurred_at=now - dt.timedelta(days=3),
        next_step="回访",
        next_step_due=today + dt.timedelta(days=2),
    )
    _log(
        customer,
        users["rep_east1"],
        occurred_at=now,
        next_step="签合同",
        next_step_due=today + dt.timedelta(days=9),
    )
    assert next_follow_up(viewer=users["rep_east1"], customer=customer, today=today) == soon
