"""Rate limits. Revealing personal data is capped per user (PIPL: access is logged and limited).

Counts live in Django's cache; with several web processes configure a shared cache (Redis or
the database cache) so the limit holds across processes.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

REVEAL_RATE = "60/h"


class RevealThrottle(SimpleRateThrottle):
    """At most ``REVEAL_RATE`` reveals per user, whatever token or session they use."""

    scope = "reveal"

    def __init__(self, rate: str = REVEAL_RATE) -> None:
        super().__init__(rate)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "auth", None)
        if user is None or getattr(user, "pk", None) is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


reveal_throttle = RevealThrottle()
