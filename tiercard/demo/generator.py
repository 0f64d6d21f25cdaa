"""Generate one chunk of demo rows: customers with their contacts, purchases and interactions.

Pure Python, no database access: a chunk is a function of (plan, chunk number), so it can run
in another process. Values come out ready for the database (text timestamps, money as text,
booleans as 0/1) in the column order of :mod:`tiercard.demo.tables`.

Realism, in short: people and companies (统一社会信用代码 with valid check characters), cities
weighted by business activity and covered by the team of that region, Pareto-distributed
buying (few customers buy a lot), seasonal days (双十一, 618, 春节 …), 1–3 lines per order from
a catalogue, channel-dependent payment methods, and customer aggregates computed from exactly
the purchases written.
"""

from __future__ import annotations

import datetime as dt
import gc
from zoneinfo import ZoneInfo

from tiercard.demo import customers as cust
from tiercard.demo.calendar import Calendar
from tiercard.demo.plan import Plan
from tiercard.demo.pools.build import Pools, build_pools
from tiercard.demo.purchases import PurchaseMaker
from tiercard.demo.rand import DemoRandom
from tiercard.demo.records import ChunkRows


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainders)."""
    weight_sum = sum(weights)
    if total <= 0 or not weights:
        return [0] * len(weights)
    if weight_sum <= 0:
        weights = [1.0] * len(weights)
        weight_sum = float(len(weights))
    exact = [total * w / weight_sum for w in weights]
    parts = [int(x) for x in exact]
    short = total - sum(parts)
    if short:
        by_remainder = sorted(range(len(weights)), key=lambda i: parts[i] - exact[i])
        for i in by_remainder[:short]:
            parts[i] += 1
    return parts


class Generator:
    """Builds the pools once; then produces chunks on demand."""

    def __init__(self, plan: Plan, pools: Pools | None = None) -> None:
        self.plan = plan
        self.pools = pools or build_pools()
        self.calendar = Calendar(plan.as_of, ZoneInfo(plan.time_zone), plan.dt_suffix)
        self.people = cust.CustomerMaker(plan, self.pools, self.calendar)
        self.purchases = PurchaseMaker(plan, self.pools, self.calendar)

    def chunk(self, index: int) -> ChunkRows:
        # The rows hold no reference cycles: reference counting frees everything, and the
        # cyclic collector would only rescan millions of fresh tuples (about 7 % of the time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._chunk(index)
        finally:
            if collecting:
                gc.enable()

    def _chunk(self, index: int) -> ChunkRows:
        plan = self.plan
        rng = DemoRandom(f"tiercard-demo:{plan.seed}:{index}")
        start, stop = plan.chunk_customers(index)
        p_start, p_stop = plan.chunk_purchases(index)
        out = ChunkRows(index)
        profiles = [self.people.profile(rng, ordinal) for ordinal in range(start, stop)]
        counts = allocate(p_stop - p_start, [p.activity for p in profiles])
        purchase_id = plan.purchase_id_base + p_start
        for profile, n in zip(profiles, counts, strict=True):
            contacts = self.people.contacts(rng, profile, out.contacts)
            stats = self.purchases.orders(rng, profile, n, purchase_id, out)
            purchase_id += n
            self.purchases.interactions(rng, profile, stats, contacts, out)
            self.people.finish(rng, profile, stats, out)
        return out


def today_in(time_zone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(time_zone)).date()
