"""Health probes, and sign-in back-off against password guessing."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from tests.conftest import PASSWORD
from tiercard.accounts import login_guard
from tiercard.audit.models import AuditEvent


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_probes_answer_without_login(client: Client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_reports_a_broken_database(client: Client, monkeypatch):
    from django.db import DatabaseError
    from django.db.migrations.executor import MigrationExecutor

    def broken(self, *args, **kwargs):
        raise DatabaseError("gone")

    monkeypatch.setattr(MigrationExecutor, "migration_plan", broken)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["database"] == "down"


def sign_in(password: str) -> int:
    return Client().post("/login/", {"username": "rep_east1", "password": password}).status_code


@pytest.mark.django_db
def test_an_account_is_backed_off_after_repeated_failures(users):
    for _ in range(login_guard.ACCOUNT_LIMIT):
        assert sign_in("wrong") == 200  # the form again, with an error
    # now even the right password is refused, and nobody is signed in
    response = Client().post("/login/", {"username": "rep_east1", "password": PASSWORD})
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert "15" in response.content.decode()  # "try again in 15 minutes"
    assert not AuditEvent.objects.filter(action="login").exists()


@pytest.mark.django_db
def test_a_success_before_the_limit_clears_the_count(users):
    for _ in range(login_guard.ACCOUNT_LIMIT - 1):
        sign_in("wrong")
    assert sign_in(PASSWORD) == 302
    for _ in range(login_guard.ACCOUNT_LIMIT - 1):
        sign_in("wrong")
    assert sign_in(PASSWORD) == 302


@pytest.mark.django_db
def test_back_off_ends_after_the_window(users, time_machine):
    time_machine.move_to("2026-01-01T00:00:00+00:00", tick=False)
    for _ in range(login_guard.ACCOUNT_LIMIT):
        sign_in("wrong")
    assert sign_in(PASSWORD) == 200
    time_machine.move_to("2026-01-01T00:15:02+00:00", tick=False)
    assert sign_in(PASSWORD) == 302


@pytest.mark.django_db
def test_signed_in_pages_are_never_cached(users, book):
    client = Client()
    client.force_login(users["rep_east1"])
    for url in ["/customers/", f"/customers/{book['east1'].pk}/"]:
        assert client.get(url)["Cache-Control"] == "private, no-store"
