"""Real threads for the concurrency tests: each call on its own database connection."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections

WORKERS = 16


def in_threads(
    count: int, fn: Callable[[int], Any], *, workers: int = WORKERS
) -> tuple[list[Any], list[BaseException]]:
    """Run ``fn(0..count-1)`` on a pool of ``workers`` threads: (what returned, what raised).

    Pass ``workers=count`` to start every call at once. Each call closes its thread's
    connection after, so no connection outlives its thread.
    """

    def call(i: int) -> tuple[bool, Any]:
        try:
            return True, fn(i)
        except BaseException as exc:  # collected and asserted by the test
            return False, exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(call, range(count)))
    return [v for ok, v in outcomes if ok], [v for ok, v in outcomes if not ok]
