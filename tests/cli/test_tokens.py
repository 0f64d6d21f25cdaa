"""API tokens from the command line: issued once, usable, listed, revoked, audited as cli."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tiercard.accounts.models import ApiToken
from tiercard.audit.models import AuditEvent
from tiercard.core.context import interface

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_issue_use_list_and_revoke_a_token(users, book):
    with interface("cli"):  # what the tiercard console command sets around every command
        printed = run("token_create", "rep_east1", "--name", "收银同步", "--days", "30")
    secret = next(line for line in printed.splitlines() if line.startswith("tc_"))
    token = ApiToken.objects.get(user=users["rep_east1"])
    assert token.key_hash == ApiToken.hash_key(secret) and secret not in token.key_hash
    event = AuditEvent.objects.get(action="token", object_id=str(token.pk))
    assert event.interface == "cli"

    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/me").json()["username"] == "rep_east1"

    listed = run("token_list", "rep_east1")
    assert secret[:8] in listed and "active" in listed and secret not in listed

    run("token_revoke", str(token.pk))
    assert api.get("/api/v1/me").status_code == 401
    assert "revoked" in run("token_list", "rep_east1")


@pytest.mark.parametrize(
    "args",
    [
        ("token_create", "nobody", "--name", "x"),
        ("token_create", "rep_east1", "--name", ""),
        ("token_create", "rep_east1", "--name", "x", "--days", "0"),
        ("token_revoke", "999999"),
    ],
)
def test_bad_token_commands_fail_cleanly_and_write_nothing(users, args):
    with pytest.raises(CommandError):
        call_command(*args, stdout=StringIO())
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="token").exists()
