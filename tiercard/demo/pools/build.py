"""Pools with everything derived once per entry: weights, readings, catalogue by category."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate
from random import Random

from tiercard.core.text import SURNAME_READINGS, _syllables
from tiercard.demo.names import GivenName, Romaniser, Surname
from tiercard.demo.pools import business, people, places


@dataclass(frozen=True)
class Brand:
    text: str
    pinyin: str


Item = tuple[str, str, int, str, bool, bool]  # sku, name, cents, price text, gift?, tea?


def money_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass(frozen=True)
class Basket:
    """What one kind of customer buys: catalogue items, ready for the purchase loop."""

    products: tuple[business.Product, ...]
    items: tuple[Item, ...]


@dataclass
class Pools:
    surnames: list[Surname]
    surname_cum: list[float]
    given: dict[str, list[GivenName]]  # by gender
    cities: list[places.City]
    city_cum: list[int]
    city_pinyin: dict[str, str]
    brands: list[Brand]
    products: dict[str, list[business.Product]]  # by category
    all_products: list[business.Product]
    romaniser: Romaniser
    _baskets: dict[tuple[str, ...], Basket] = field(default_factory=dict)

    def basket(self, categories: tuple[str, ...]) -> Basket:
        """The items of these categories (one shared object per combination)."""
        found = self._baskets.get(categories)
        if found is None:
            products = tuple(p for c in categories for p in self.products[c])
            found = self._baskets[categories] = Basket(products, items_of(products))
        return found

    @property
    def everything(self) -> Basket:
        return self.basket(tuple(sorted(self.products)))


def items_of(products: tuple[business.Product, ...]) -> tuple[Item, ...]:
    return tuple(
        (
            p.sku,
            p.name,
            p.price_cents,
            money_text(p.price_cents),
            p.category == "gift",
            p.category == "tea",
        )
        for p in products
    )


GENERATED_GIVEN_NAMES = 700  # two-character given names per gender, beyond Faker's list


def _given_names() -> dict[str, list[GivenName]]:
    rng = Random("tiercard-demo-given-names")  # a fixed pool, whatever the demo seed
    out: dict[str, list[GivenName]] = {}
    for gender, chars, singles, doubles in (
        ("male", people.MALE_CHARS, people.MALE_GIVEN_SINGLE, people.MALE_GIVEN_DOUBLE),
        ("female", people.FEMALE_CHARS, people.FEMALE_GIVEN_SINGLE, people.FEMALE_GIVEN_DOUBLE),
    ):
        alphabet = list(dict.fromkeys(chars))
        names = dict.fromkeys([*singles, *doubles])
        while len(names) < len(singles) + len(doubles) + GENERATED_GIVEN_NAMES:
            a, b = rng.sample(alphabet, 2)
            names.setdefault(a + b)
        out[gender] = [GivenName(n, tuple(_syllables(n)), gender) for n in names]
    return out


def build_pools() -> Pools:
    romaniser = Romaniser()
    weights = people.surname_weights()
    surnames = [
        Surname(
            name, tuple(SURNAME_READINGS.get(name) or _syllables(name)), tuple(_syllables(name)), w
        )
        for name, w in weights.items()
    ]
    products: dict[str, list[business.Product]] = defaultdict(list)
    for product in business.CATALOGUE:
        products[product.category].append(product)
    chars = list(dict.fromkeys(business.BRAND_CHARS))
    brands = [
        Brand(a + b, "".join(romaniser.syllables(a + b))) for a in chars for b in chars if a != b
    ]
    return Pools(
        surnames=surnames,
        surname_cum=list(accumulate(s.weight for s in surnames)),
        given=_given_names(),
        cities=list(places.CITIES),
        city_cum=list(accumulate(c.weight for c in places.CITIES)),
        city_pinyin={c.name: "".join(romaniser.syllables(c.name)) for c in places.CITIES},
        brands=brands,
        products=dict(products),
        all_products=list(business.CATALOGUE),
        romaniser=romaniser,
    )
