"""Demo names romanise exactly as the customer service would romanise them."""

from __future__ import annotations

import copy
import random

import pytest

from tiercard.core.text import name_romanisations
from tiercard.customers import services
from tiercard.customers.models import Customer
from tiercard.demo.load import LoadReport
from tiercard.demo.names import GivenName, Romaniser, Surname
from tiercard.demo.pools.build import build_pools


@pytest.fixture(scope="module")
def pools():  # type: ignore[no-untyped-def]
    return build_pools()


def test_loaded_rows_carry_the_services_pinyin_initials_and_search_text(demo: LoadReport) -> None:
    checked = 0
    for stored in Customer.objects.all():
        # what customer_create/customer_update would derive from the same card
        expected = copy.copy(stored)
        words = services._sync_contact_summary(expected, {})
        services._refresh_derived(expected, words)
        assert (stored.name_pinyin, stored.name_initials) == (
            expected.name_pinyin,
            expected.name_initials,
        ), stored.name
        assert stored.search_text == expected.search_text, stored.name
        assert stored.phone_tail == stored.primary_phone[-4:]
        checked += 1
    assert checked == 300


def test_every_surname_with_sampled_given_names_matches(pools) -> None:  # type: ignore[no-untyped-def]
    romaniser = Romaniser()
    rng = random.Random(5)
    given = pools.given["male"] + pools.given["female"]
    for surname in pools.surnames:
        for name in rng.sample(given, 12):
            assert_same(romaniser, surname, name)


def test_random_names_match(pools) -> None:  # type: ignore[no-untyped-def]
    romaniser = Romaniser()
    rng = random.Random(11)
    given = pools.given["male"] + pools.given["female"]
    for _ in range(4000):
        assert_same(romaniser, rng.choice(pools.surnames), rng.choice(given))


@pytest.mark.parametrize(
    ("surname", "given", "pinyin"),
    [
        ("单", "伟", "shanwei"),
        ("曾", "经理", "zengjingli"),
        ("解", "放", "xiefang"),
        ("区", "志强", "ouzhiqiang"),
        ("欧阳", "娜", "ouyangna"),
        ("尉迟", "明", "yuchiming"),
        ("单", "于明", "chanyuming"),  # 单于 is read as the compound surname
    ],
)
def test_polyphonic_and_compound_surnames(surname: str, given: str, pinyin: str) -> None:
    from tiercard.core.text import SURNAME_READINGS, _syllables

    romaniser = Romaniser()
    s = Surname(
        surname,
        tuple(SURNAME_READINGS.get(surname) or _syllables(surname)),
        tuple(_syllables(surname)),
        1.0,
    )
    g = GivenName(given, tuple(_syllables(given)), "male")
    result = romaniser.person(s, g)
    assert result.pinyin == pinyin
    assert result == name_romanisations(surname + given)


@pytest.mark.parametrize(
    "name",
    ["重庆恒远建材有限公司", "长沙市鑫源电子科技股份有限公司", "单县华瑞商贸有限公司", "佛山中行"],
)
def test_company_names_match(name: str) -> None:
    assert Romaniser().organisation(name) == name_romanisations(name, person=False)


def test_personal_names_outside_the_pools_match() -> None:
    for name in ("曾经理", "单于明", "欧阳娜娜", "长孙无忌"):
        assert Romaniser().name(name) == name_romanisations(name)


def test_company_names_of_a_load_match(demo: LoadReport) -> None:
    companies = Customer.objects.filter(kind="company")
    assert companies.count() > 20
    for customer in companies:
        roman = name_romanisations(customer.name, person=False)
        assert customer.name_pinyin == roman.pinyin
        assert customer.name_initials == roman.initials


def assert_same(romaniser: Romaniser, surname: Surname, given: GivenName) -> None:
    full = surname.text + given.text
    assert romaniser.person(surname, given) == name_romanisations(full), full
