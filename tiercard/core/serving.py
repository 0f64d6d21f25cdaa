"""How a long-running server process holds its heap (WSGI, ASGI, and the web benchmark).

CPython's cyclic garbage collector runs a young-generation pass every 700 allocations and,
from time to time, a full pass over every tracked object. A Django process holds a few hundred
thousand long-lived objects after start-up (modules, models, URL patterns, templates,
translation catalogues); the full passes walk all of them again and again, and the pass that
lands inside a request shows up as that request's latency (the p95 of a page). So once the
application is loaded:

- ``gc.freeze()`` moves everything alive to a permanent generation the collector skips;
- the young generation is collected every 20,000 allocations instead of 700 (a page allocates
  a few hundred thousand objects, almost all freed by reference counting alone, so the
  frequent passes found next to nothing); the older generations keep their ratios.

Reference cycles are still collected, just less often; memory stays bounded by the thresholds.
"""

from __future__ import annotations

import gc

from django.urls import get_resolver

YOUNG_THRESHOLD = 20_000


def settle_heap() -> None:
    """Call once, after the application is loaded and before the first request (the URL
    configuration, and with it every view module, is imported here first)."""
    get_resolver().url_patterns  # noqa: B018 (imports the views now, not in the first request)
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
