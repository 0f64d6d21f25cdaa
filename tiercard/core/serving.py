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

A long batch in any process (an import's check or commit, from the web, a task worker or the
CLI) gets the same treatment for its duration (:func:`batch_heap`): its chunks keep tens of
thousands of objects alive at a time, and the full passes kept walking the loaded application
(measured on the 100,000-customer commit: 4 s of full passes, 1 s after freezing).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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


_batches = 0
_batches_lock = threading.Lock()
_thresholds: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def batch_heap() -> Iterator[None]:
    """Around a long batch: the young generation collected every ``YOUNG_THRESHOLD``
    allocations and, the first time in a process that nothing is frozen yet (a CLI or a task
    worker; a served process froze its start-up heap in :func:`settle_heap`), what is alive
    frozen after a collection: the loaded application. Never again after that: a later
    freeze in a served process would take other requests' objects, whose cycles would then
    never be collected. The thresholds found when the first of several concurrent batches
    began are put back when the last one ends."""
    global _batches, _thresholds
    with _batches_lock:
        if _batches == 0:
            if gc.get_freeze_count() == 0:
                gc.collect()
                gc.freeze()
            _thresholds = gc.get_threshold()
            gc.set_threshold(max(YOUNG_THRESHOLD, _thresholds[0]), *_thresholds[1:])
        _batches += 1
    try:
        yield
    finally:
        with _batches_lock:
            _batches -= 1
            if _batches == 0:
                gc.set_threshold(*_thresholds)
