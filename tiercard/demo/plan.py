"""What a demo load will write: sizes, seed, id ranges and the staff the rows point at.

The plan is small and picklable; generator processes receive it once. Customers are generated
in chunks whose size depends only on the requested sizes, each chunk from its own random
stream (seed, chunk number), so the rows do not depend on how many processes generate them or
in which order they finish.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

CHUNK_CUSTOMERS = 2000  # customers per chunk at the usual ten purchases each
CHUNK_PURCHASES = 20000  # fewer customers per chunk when each buys much more
CONTACT_ID_STRIDE = 4  # contact person ids: customer ordinal × stride + j (at most 3 each)


@dataclass(frozen=True)
class Staff:
    """User ids the demo rows refer to, by team code ("east", "south", "north")."""

    reps: dict[str, tuple[int, ...]]
    managers: dict[str, int]
    team_ids: dict[str, int]
    user_team: dict[int, int | None]  # each user's team id (customers follow their owner)
    service: tuple[int, ...]
    marketing: tuple[int, ...]


@dataclass(frozen=True)
class Plan:
    seed: int
    customers: int
    purchases: int
    as_of: dt.date
    time_zone: str
    backend: str  # "sqlite" or "postgresql"
    staff: Staff
    tag_ids: dict[str, int] = field(default_factory=dict)
    customer_id_base: int = 1
    purchase_id_base: int = 1
    contact_id_base: int = 1

    @property
    def chunk_size(self) -> int:
        """Customers per chunk: about 20,000 purchases, so memory stays flat at any ratio."""
        if self.purchases <= 0:
            return CHUNK_CUSTOMERS
        return max(10, min(CHUNK_CUSTOMERS, CHUNK_PURCHASES * self.customers // self.purchases))

    @property
    def chunk_count(self) -> int:
        return -(-self.customers // self.chunk_size)

    def chunk_customers(self, chunk: int) -> tuple[int, int]:
        """[start, stop) customer ordinals of a chunk."""
        start = chunk * self.chunk_size
        return start, min(start + self.chunk_size, self.customers)

    def chunk_purchases(self, chunk: int) -> tuple[int, int]:
        """[start, stop) purchase ordinals of a chunk: the total split in proportion."""
        start, stop = self.chunk_customers(chunk)
        if self.customers == 0:
            return 0, 0
        return (
            self.purchases * start // self.customers,
            self.purchases * stop // self.customers,
        )

    def contact_id(self, ordinal: int, j: int) -> int:
        """Id of the j-th contact person (j < CONTACT_ID_STRIDE) of a customer ordinal."""
        return self.contact_id_base + ordinal * CONTACT_ID_STRIDE + j

    @property
    def dt_suffix(self) -> str:
        """Suffix of timestamp text: PostgreSQL's COPY gets an explicit UTC offset."""
        return "+00" if self.backend == "postgresql" else ""
