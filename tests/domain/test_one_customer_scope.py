"""Reads of one customer's records check the scope on that customer only: the scope subquery
is narrowed to the customer's primary key, so a sales rep with a big book does not make the
database list every customer of it for each panel of a card (it cost ~30 ms a read at 1M)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiercard.accounts.models import User
from tiercard.cards.notes import note_list
from tiercard.customers.models import Customer
from tiercard.interactions.selectors import interaction_list
from tiercard.sales.selectors import purchase_list

pytestmark = pytest.mark.django_db

READS: list[Callable[..., Any]] = [interaction_list, purchase_list, note_list]


@pytest.mark.parametrize("read", READS)
def test_the_scope_subquery_is_one_primary_key(
    read: Callable[..., Any], users: dict[str, User], make_customer: Callable[..., Customer]
) -> None:
    mine = make_customer("rep_east1", name="自己的")
    theirs = make_customer("rep_east2", name="别人的")
    rep = users["rep_east1"]
    with CaptureQueriesContext(connection) as seen:
        assert list(read(viewer=rep, customer_id=mine.pk)) == []
        assert list(read(viewer=rep, customer_id=theirs.pk)) == []
    for query in seen.captured_queries:
        inner = query["sql"].split("IN (SELECT", 1)[1]
        assert re.search(rf'"id" = {mine.pk}\b|"id" = {theirs.pk}\b', inner), query["sql"]
