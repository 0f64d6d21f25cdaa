"""Brute-force protection for sign-in: back off per account and per address.

After ``ACCOUNT_LIMIT`` failures for one username, or ``ADDRESS_LIMIT`` from one address,
within ``WINDOW`` seconds, further attempts are refused until the window has passed, even
with the right password. A success clears the account's counter. Counters live in Django's
cache: with several web processes, configure a shared cache (database or Redis) so they
count together.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = 15 * 60


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"tiercard:login:{kind}:{digest}"


def _blocked_for(key: str, limit: int, now: float) -> int:
    failures: list[float] = [t for t in cache.get(key, []) if now - t < WINDOW]
    if len(failures) < limit:
        return 0
    return int(WINDOW - (now - failures[-limit])) + 1


def seconds_blocked(username: str, address: str) -> int:
    """0 when a sign-in may be tried now, else how many seconds to wait."""
    now = time.time()
    return max(
        _blocked_for(_key("user", username), ACCOUNT_LIMIT, now),
        _blocked_for(_key("addr", address), ADDRESS_LIMIT, now) if address else 0,
    )


def record_failure(username: str, address: str) -> None:
    now = time.time()
    keys = [_key("user", username)] + ([_key("addr", address)] if address else [])
    for key in keys:
        recent = [t for t in cache.get(key, []) if now - t < WINDOW][-ADDRESS_LIMIT:]
        cache.set(key, [*recent, now], WINDOW)


def record_success(username: str) -> None:
    cache.delete(_key("user", username))
