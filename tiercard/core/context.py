"""Which interface a request came through, for the audit log.

Interfaces set it once at their edge (web middleware, API router, CLI command); services read
it when they write audit rows, so no service signature has to carry it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_interface: ContextVar[str] = ContextVar("tiercard_interface", default="system")
_remote_addr: ContextVar[str] = ContextVar("tiercard_remote_addr", default="")


def current_interface() -> str:
    return _interface.get()


def current_remote_addr() -> str:
    return _remote_addr.get()


@contextlib.contextmanager
def interface(name: str, remote_addr: str = "") -> Iterator[None]:
    token = _interface.set(name)
    addr_token = _remote_addr.set(remote_addr)
    try:
        yield
    finally:
        _interface.reset(token)
        _remote_addr.reset(addr_token)
