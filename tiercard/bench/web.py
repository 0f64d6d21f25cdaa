"""``tiercard bench web``: server time of the pages staff use all day, on the loaded data set.

Runs in the ``web`` phase's own process (``tiercard.bench.child``) on the scratch database the
``load`` phase filled. Each request goes through Django's whole stack (middleware, session,
login, view, template) via the test client, signed in as the demo's administrator and, for
the "sales" rows, as one sales rep; the time is taken around the request, so it is the
server's time without the network. Each page is asked ``requests`` times (after a few
untimed warm-up requests) and reported as p50 / p95 / max in milliseconds.

Pages:

* ``card``: ``/customers/<id>/`` for a different random customer each time;
* ``table``: the member table's first page, ``/customers/``;
* ``table filtered``: one tier and one city, ``/customers/?tier=…&city=…``;
* ``table next page``: the page after the first, by its keyset cursor;
* ``search``: the header search box's URL (``/search/?q=``) when this build has one, else the
  table's ``?q=``, cycling through surnames, two-character names, pinyin initials and phone
  tails taken from the data.

Target (issue 4): p95 under 50 ms for each, on SQLite.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections.abc import Callable, Iterator
from html import unescape
from itertools import cycle, islice
from typing import Any

from django.db.models import Max, Min
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tiercard.accounts.models import Role, User
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.loyalty.services.state import active_programme

REQUESTS = 200
WARM_UP = 5
TARGET_P95_MS = 50.0


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def time_requests(client: Client, urls: Iterator[str], requests: int) -> dict[str, Any]:
    """Ask ``requests`` URLs (after ``WARM_UP`` untimed ones); milliseconds per request."""
    times: list[float] = []
    statuses: set[int] = set()
    for n, url in enumerate(islice(urls, WARM_UP + requests)):
        mark = time.perf_counter()
        response = client.get(url)
        seconds = time.perf_counter() - mark
        statuses.add(response.status_code)
        if n >= WARM_UP:
            times.append(seconds * 1000)
    times.sort()
    return {
        "requests": len(times),
        "p50": statistics.median(times),
        "p95": _percentile(times, 0.95),
        "max": times[-1],
        "statuses": sorted(statuses),
        "example": url if times else "",
    }


def next_page_url(html: str) -> str:
    """The table's "next page" link (its keyset cursor) as the page renders it."""
    found = re.search(r'href="([^"]+)" rel="next"', html)
    if found is None:
        raise RuntimeError("the member table shows no next page: the data set is too small")
    return (
        unescape(found.group(1))
        if found.group(1).startswith("/")
        else (reverse("web:customer_list") + unescape(found.group(1)))
    )


def search_url() -> Callable[[str], str]:
    try:
        base = reverse("web:search")
    except NoReverseMatch:
        base = reverse("web:customer_list")
    return lambda term: f"{base}?q={term}"


def search_terms(rng: random.Random, ids: tuple[int, int], n: int = 60) -> list[str]:
    """Queries people type: a surname, a two-character name, pinyin initials, a phone tail."""
    sample = list(
        Customer.objects.filter(pk__in=[rng.randint(*ids) for _ in range(n)]).values_list(
            "name", "name_initials", "phone_tail"
        )
    )
    terms: list[str] = []
    for name, initials, tail in sample:
        terms += [name[:1], name[:2], initials[:2] or name[:1], tail or name[-1:]]
    rng.shuffle(terms)
    return [t for t in terms if t] or ["王"]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sales_rep(rng: random.Random, ids: tuple[int, int]) -> User | None:
    """The owner of a random customer, when that is a sales rep (a typical book)."""
    for _ in range(50):
        owner_id = (
            Customer.objects.filter(pk=rng.randint(*ids), owner__role=Role.SALES)
            .values_list("owner_id", flat=True)
            .first()
        )
        if owner_id:
            return User.objects.get(pk=owner_id)
    return None


def run_web(*, requests: int = REQUESTS, seed: int = 1) -> dict[str, Any]:
    """Every page's figures; see the module docstring."""
    rng = random.Random(seed)
    span = Customer.objects.aggregate(low=Min("pk"), high=Max("pk"))
    ids = (int(span["low"] or 1), int(span["high"] or 1))
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        raise RuntimeError("the data set has no administrator to sign in as")
    ladder = active_programme().programme.ladder
    tier = ladder.tiers[min(1, len(ladder.tiers) - 1)].code
    city = (
        Customer.objects.filter(pk=rng.randint(*ids))
        .exclude(city="")
        .values_list("city", flat=True)
        .first()
        or "上海"
    )
    terms = search_terms(rng, ids)
    find = search_url()
    table = reverse("web:customer_list")
    card_ids = [rng.randint(*ids) for _ in range(WARM_UP + requests)]
    client = _client(admin)
    next_url = next_page_url(client.get(table).content.decode())
    pages: dict[str, Iterator[str]] = {
        "card": iter([reverse("web:customer_detail", args=[pk]) for pk in card_ids]),
        "table": cycle([table]),
        "table filtered": cycle([f"{table}?tier={tier}&city={city}"]),
        "table next page": cycle([next_url]),
        "search": cycle([find(t) for t in terms]),
    }
    results = {name: time_requests(client, urls, requests) for name, urls in pages.items()}
    rep = _sales_rep(rng, ids)
    if rep is not None:
        sales = _client(rep)
        own = list(
            Customer.objects.filter(owner=rep)
            .exclude(status=CustomerStatus.ARCHIVED)
            .values_list("pk", flat=True)[:500]
        )
        sales_pages = {
            "card (sales)": cycle([reverse("web:customer_detail", args=[pk]) for pk in own]),
            "table (sales)": cycle([table]),
            "search (sales)": cycle([find(t) for t in terms]),
        }
        for name, urls in sales_pages.items():
            results[name] = time_requests(sales, urls, requests)
    return {
        "pages": results,
        "filtered": {"tier": tier, "city": city},
        "search_url": find(""),
        "sales_rep_customers": Customer.objects.filter(owner=rep).count() if rep else 0,
    }


def assess_web(raw: dict[str, Any]) -> dict[str, Any]:
    """Figures with the target judged: p95 under 50 ms, and every response a 200."""
    figures = []
    for name, page in raw["pages"].items():
        ok_status = page["statuses"] == [200]
        figures.append(
            {
                "name": name,
                "p50_ms": page["p50"],
                "p95_ms": page["p95"],
                "max_ms": page["max"],
                "requests": page["requests"],
                "statuses": page["statuses"],
                "target": f"p95 < {TARGET_P95_MS:.0f} ms",
                "pass": ok_status and page["p95"] < TARGET_P95_MS,
            }
        )
    return {**raw, "figures": figures, "pass": all(f["pass"] for f in figures)}


def render_web(result: dict[str, Any]) -> str:
    """The readable report: one table per backend."""
    head = (
        f"web benchmark: {result['customers']:,} customers, {result['purchases']:,} purchases, "
        f"{result['requests']} requests per page, {result['cpus']} CPUs"
    )
    lines = [head, ""]
    for backend, b in result["backends"].items():
        lines.append(f"{backend}:")
        rows = [("page", "p50", "p95", "max", "target", "")]
        for f in b["figures"]:
            verdict = "pass" if f["pass"] else "FAIL"
            if f["statuses"] != [200]:
                verdict += f" (HTTP {','.join(str(s) for s in f['statuses'])})"
            rows.append(
                (
                    f["name"],
                    f"{f['p50_ms']:.1f} ms",
                    f"{f['p95_ms']:.1f} ms",
                    f"{f['max_ms']:.1f} ms",
                    f["target"],
                    verdict,
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            cells = [r[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
            ]
            lines.append("  " + "  ".join(cells).rstrip())
        lines.append(f"  filtered page: tier {b['filtered']['tier']}, city {b['filtered']['city']}")
        lines.append(f"  search through: {b['search_url']}")
        lines.append("")
    lines.append("all targets met" if result["pass"] else "some targets not met")
    return "\n".join(lines)
