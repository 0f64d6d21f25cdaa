"""The demo's bulk rows are searchable like cards written by the services."""

from __future__ import annotations

import pytest

from tiercard.accounts.models import Role, User
from tiercard.core.text import name_romanisations
from tiercard.customers.models import Customer, CustomerKind
from tiercard.customers.search import customer_search
from tiercard.customers.search_index import char_text
from tiercard.demo.load import LoadReport, load_demo

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def test_bulk_rows_carry_the_search_columns_the_services_would_write(demo: LoadReport) -> None:
    for c in Customer.objects.order_by("id")[:100]:
        assert c.name_chars == char_text(c.name)
        assert c.company_chars == char_text(c.company_name)
        roman = name_romanisations(c.name, person=c.kind == CustomerKind.PERSON)
        assert f" {roman.pinyin} " in c.search_text


def test_bulk_rows_are_found_by_every_kind_of_query(demo: LoadReport) -> None:
    admin = User.objects.get(username="admin")
    person = Customer.objects.filter(kind=CustomerKind.PERSON).exclude(phone_tail="").first()
    company = Customer.objects.filter(kind=CustomerKind.COMPANY).first()
    assert person is not None and company is not None
    for query in (
        person.name,
        person.name[-1],
        person.name_pinyin,
        person.name_initials,
        person.phone_tail,
        company.name[2:4],
    ):
        hits = customer_search(admin, query, 50, include_archived=True)
        assert any(h.customer.pk in (person.pk, company.pk) for h in hits), query


def test_a_second_load_after_reset_leaves_no_stale_index_rows(db: None) -> None:
    load_demo(customers=40, purchases=100, seed=3, as_of=AS_OF)
    first = set(Customer.objects.values_list("pk", flat=True))
    load_demo(customers=40, purchases=100, seed=4, as_of=AS_OF, reset=True)
    admin = User.objects.get(role=Role.ADMIN, username="admin")
    for c in Customer.objects.all()[:10]:
        hits = customer_search(admin, c.name, 50, include_archived=True)
        assert all(h.customer.pk not in first for h in hits)
        assert c.pk in {h.customer.pk for h in hits}
