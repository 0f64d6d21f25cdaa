"""Shared fixtures: one user per role, two teams, and customers owned across them.

Team 华东 (east): manager ``mgr_east``, sales ``rep_east1`` and ``rep_east2``.
Team 华南 (south): manager ``mgr_south``, sales ``rep_south``.
Plus ``admin``, ``service`` (masked), ``service_reveal`` (masked, may reveal), ``marketing``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from tiercard.accounts.models import Role, Team, User
from tiercard.customers.models import Customer
from tiercard.customers.services import customer_create

PASSWORD = "correct-horse-battery-staple"


def pytest_configure(config: pytest.Config) -> None:
    """Tests hash passwords with a fast hasher: Argon2 costs ~0.5 s per user by design."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Every test starts in the product's default language (简体中文), whatever the test before
    it activated in this worker: messages are worded when they are raised, so a leaked
    language would make a test's outcome depend on the order the tests ran in."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def teams(db: None) -> dict[str, Team]:
    return {
        "east": Team.objects.create(name="华东"),
        "south": Team.objects.create(name="华南"),
    }


@pytest.fixture
def users(teams: dict[str, Team]) -> dict[str, User]:
    spec: list[tuple[str, str, str | None, bool]] = [
        ("admin", Role.ADMIN, None, False),
        ("mgr_east", Role.MANAGER, "east", False),
        ("mgr_south", Role.MANAGER, "south", False),
        ("rep_east1", Role.SALES, "east", False),
        ("rep_east2", Role.SALES, "east", False),
        ("rep_south", Role.SALES, "south", False),
        ("service", Role.SERVICE, None, False),
        ("service_reveal", Role.SERVICE, None, True),
        ("marketing", Role.MARKETING, None, False),
    ]
    made = {}
    for username, role, team, reveal in spec:
        made[username] = User.objects.create_user(
            username,
            password=PASSWORD,
            role=role,
            team=teams[team] if team else None,
            can_reveal_pii=reveal,
        )
    return made


@pytest.fixture
def make_customer(users: dict[str, User]) -> Callable[..., Customer]:
    """Create a customer through the service, owned by ``owner`` (a username)."""

    def make(owner: str = "rep_east1", **data: Any) -> Customer:
        data.setdefault("name", "张三")
        return customer_create(actor=users[owner], data=data)

    return make


@pytest.fixture
def book(make_customer: Callable[..., Customer]) -> dict[str, Customer]:
    """One customer per sales rep, with phones, so every scope has something to see."""
    return {
        "east1": make_customer("rep_east1", name="张三", phones="13812345678"),
        "east2": make_customer("rep_east2", name="李四", phones="13912345679"),
        "south": make_customer(
            "rep_south", name="王五", phones="13712345670", emails="wangwu@example.com"
        ),
    }


# Property tests explore new examples on developers' machines but replay a fixed search in CI,
# so a submission's CI never fails on an example unrelated to its change.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")
