"""Helpers for the web tests: signing in as a role, and reading the rendered HTML."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.conftest import PASSWORD


@pytest.fixture
def login(client: Client, users: dict) -> Callable[[str], Client]:
    """``login("rep_east1")`` signs the test client in as that user and returns it."""

    def sign_in(username: str) -> Client:
        client.logout()
        assert client.login(username=username, password=PASSWORD)
        return client

    return sign_in


class _Block(HTMLParser):
    """Collects the text inside the first element carrying ``attr=value``."""

    VOID = frozenset({"input", "br", "img", "hr", "meta", "link", "area", "col", "wbr"})

    def __init__(self, attr: str, value: str) -> None:
        super().__init__()
        self.attr, self.value = attr, value
        self.depth = 0
        self.done = False
        self.parts: list[str] = []
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if self.depth:
            if tag not in self.VOID:
                self.depth += 1
            self.parts.append(" ".join(f"{k}={v}" for k, v in attrs if k in {"value", "name"}))
        elif (self.attr, self.value) in attrs:
            self.found = True
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and not self.done:
            self.depth -= 1
            if self.depth == 0:
                self.done = True

    def handle_data(self, data: str) -> None:
        if self.depth and not self.done:
            self.parts.append(data)


def block(html: str | bytes, attr: str, value: str) -> str | None:
    """Text (and input names/values) inside the element with ``attr="value"``, or None."""
    parser = _Block(attr, value)
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return " ".join(" ".join(parser.parts).split()) if parser.found else None


def field_block(html: str | bytes, name: str) -> str:
    """What the page shows around one form field: its label, input, help and errors."""
    found = block(html, "data-field", name)
    assert found is not None, f"no field {name!r} on the page"
    return found


def errors_of(html: str | bytes, name: str) -> str:
    """Only the error list of one field ("" when it has none)."""
    text = html.decode() if isinstance(html, bytes) else html
    return block(text, "id", f"id_{name}_error") or ""
