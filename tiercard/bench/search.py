"""Time the customer search selector on a loaded database (no HTTP, no templates).

:func:`time_search` asks ``customers.search.customer_search`` ``n`` queries of the kinds people
type, drawn from the data itself: a one-character surname (王), a two-character name start
(王芳), full pinyin (wangfang), a pinyin prefix (wangf), initials (wf), the last four digits of a
phone (5678), and a Chinese character from inside a name (芳). It reports p50 / p95 / max in
milliseconds overall and per kind, for an administrator (the whole book) and, when the data
has one, a sales rep (a scoped book). ``tiercard bench web`` times the search page through the
whole stack; this is the selector's share of it.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from django.db.models import Max, Min

from tiercard.accounts.models import Role, User
from tiercard.customers.models import Customer, CustomerKind
from tiercard.customers.search import customer_search

KINDS = ("surname", "name start", "pinyin", "pinyin prefix", "initials", "phone tail", "inside")


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _figures(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 3),
        "p95": round(_percentile(ordered, 0.95), 3),
        "max": round(ordered[-1], 3),
    }


def sample_queries(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """``n`` (kind, query) pairs from random people of the loaded data."""
    span = Customer.objects.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = int(span["low"] or 0), int(span["high"] or 0)
    if not high:
        return []
    picks = [rng.randint(low, high) for _ in range(n)]
    rows = list(
        Customer.objects.filter(pk__in=picks, kind=CustomerKind.PERSON).values_list(
            "name", "name_pinyin", "name_initials", "phone_tail"
        )
    )
    queries: list[tuple[str, str]] = []
    for i, (name, pinyin, initials, tail) in enumerate(rows * (n // max(1, len(rows)) + 1)):
        kind = KINDS[i % len(KINDS)]
        query = {
            "surname": name[:1],
            "name start": name[:2],
            "pinyin": pinyin,
            "pinyin prefix": pinyin[: max(2, len(pinyin) - 2)],
            "initials": initials,
            "phone tail": tail,
            "inside": name[-1:],
        }[kind]
        if query:
            queries.append((kind, query))
        if len(queries) >= n:
            break
    return queries


def _time(viewer: User, queries: list[tuple[str, str]], limit: int) -> dict[str, Any]:
    by_kind: dict[str, list[float]] = {}
    every: list[float] = []
    empty = 0
    for kind, query in queries:
        mark = time.perf_counter()
        hits = customer_search(viewer, query, limit)
        ms = (time.perf_counter() - mark) * 1000
        empty += not hits
        every.append(ms)
        by_kind.setdefault(kind, []).append(ms)
    return {
        **_figures(every),
        "empty": empty,
        "kinds": {kind: _figures(times) for kind, times in by_kind.items()},
    }


def time_search(*, n: int = 200, seed: int = 1, limit: int = 20) -> dict[str, Any]:
    """Search timings (milliseconds) for an administrator and a sales rep; see the module."""
    rng = random.Random(seed)
    queries = sample_queries(rng, n)
    if not queries:
        return {}
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    rep = User.objects.filter(role=Role.SALES, is_active=True).order_by("pk").first()
    for _kind, query in queries[:5]:  # warm the page cache and the statement cache
        if admin:
            customer_search(admin, query, limit)
    result: dict[str, Any] = {"queries": len(queries), "limit": limit}
    if admin:
        result["admin"] = _time(admin, queries, limit)
    if rep:
        result["sales"] = _time(rep, queries, limit)
    return result
