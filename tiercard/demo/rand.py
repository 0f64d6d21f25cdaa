"""A seeded random source with cheap choice/randint.

``random.Random.choice`` and ``randint`` draw exact integers bit by bit, which costs about
half a microsecond each; the generator makes tens of millions of such draws. Scaling one
``random()`` float is exact enough for demo data and keeps the stream deterministic.
"""

from __future__ import annotations

import random
from typing import Any


class DemoRandom(random.Random):
    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def below(self, n: int) -> int:
        """An integer in [0, n)."""
        return int(self.random() * n)
