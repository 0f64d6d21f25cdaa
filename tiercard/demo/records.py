"""Per-customer working state shared by the customer and purchase makers of one chunk."""

from __future__ import annotations

from dataclasses import dataclass, field

from tiercard.core.text import Romanisation
from tiercard.demo.pools.build import Basket
from tiercard.demo.pools.business import Industry
from tiercard.demo.pools.places import City

Row = tuple[object, ...]


@dataclass(slots=True)
class Profile:
    ordinal: int
    id: int
    is_company: bool
    name: str
    roman: Romanisation
    gender: str
    city: City
    district: str
    owner_id: int | None
    team_id: int | None
    team: str
    reg_day: int  # business-local day index
    reg_instant: int
    activity: float
    channels: tuple[str, ...]  # preferred first
    basket: Basket  # what this customer tends to buy
    qty_scale: float
    industry: Industry | None = None
    size: str = ""
    email_domain: str = ""
    surname_pinyin: str = ""
    brand_pinyin: str = ""


@dataclass(slots=True)
class Stats:
    """What the purchases and interactions of one customer added up to."""

    orders: int = 0
    total_cents: int = 0
    first: int | None = None  # instants
    last: int | None = None
    online: int = 0
    store: int = 0
    gifts: int = 0
    tea: int = 0
    last_interaction: int | None = None
    complained: bool = False
    contact_ids: list[int] = field(default_factory=list)


@dataclass
class ChunkRows:
    """The rows of one chunk, per table, in the column order of :mod:`tiercard.demo.tables`."""

    chunk: int
    customers: list[Row] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    contact_points: list[Row] = field(default_factory=list)
    customer_tags: list[Row] = field(default_factory=list)
    purchases: list[Row] = field(default_factory=list)
    lines: list[Row] = field(default_factory=list)
    interactions: list[Row] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {key: len(getattr(self, key)) for key in TABLE_KEYS}


TABLE_KEYS = (
    "customers",
    "contacts",
    "contact_points",
    "customer_tags",
    "purchases",
    "lines",
    "interactions",
)
