"""API test helpers: a JSON client per role, authenticated with a real API token."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tiercard.accounts.models import User
from tiercard.accounts.services import api_token_create
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.sales.models import Purchase

BASE = "/api/v1"


class ApiClient:
    """Thin JSON wrapper over Django's test client; paths are relative to /api/v1."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.client = Client(headers=headers)

    def _send(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(BASE + path, **kwargs)

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(BASE + path, params or {}, headers=headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self._send("post", path, {} if body is None else body, **headers)

    def patch(self, path: str, body: Any, **headers: str) -> Any:
        return self._send("patch", path, body, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self._send("delete", path, **headers)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 costs seconds per test for the nine fixture users; these tests need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters live in the cache; user ids repeat across tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token_for(users: dict[str, User]) -> Callable[[str], str]:
    def make(username: str) -> str:
        user = users[username]
        return api_token_create(actor=user, user=user, name="tests")[1]

    return make


@pytest.fixture
def api(token_for: Callable[[str], str]) -> Callable[..., ApiClient]:
    """``api("rep_east1")`` → a client authenticated as that user; ``lang="en"`` for English."""

    def make(username: str, lang: str | None = None) -> ApiClient:
        headers = {"Authorization": f"Bearer {token_for(username)}"}
        if lang:
            headers["Accept-Language"] = lang
        return ApiClient(headers)

    return make


def snapshot(customer_id: int) -> dict[str, Any]:
    """Everything a write could change: the row, its tags and contacts, and the side tables."""
    customer = Customer.objects.get(pk=customer_id)
    return {
        "row": {f.attname: getattr(customer, f.attname) for f in Customer._meta.concrete_fields},
        "tags": sorted(customer.tags.values_list("name", flat=True)),
        "points": sorted(customer.contact_points.values_list("kind", "normalized")),
        "contacts": sorted(customer.contacts.values_list("id", "name")),
        "audit": AuditEvent.objects.count(),
        "purchases": Purchase.objects.count(),
        "interactions": Interaction.objects.count(),
    }


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
