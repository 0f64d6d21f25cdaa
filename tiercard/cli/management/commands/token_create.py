"""``tiercard token create USERNAME --name NAME [--days N]``: issue an API token.

The secret is printed once and only its hash is stored. Running the command is a server
operator's act; the audit row records it as the user's own issue through the ``cli``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.accounts.models import User
from tiercard.accounts.services import api_token_create
from tiercard.core.errors import DomainError


class Command(BaseCommand):
    help = "Issue a REST API token for a user and print its secret (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. POS sync")
        parser.add_argument("--days", type=int, default=None, help="expire after N days")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {options['username']!r}.")
        if options["days"] is not None and options["days"] <= 0:
            raise CommandError("--days must be a positive number of days.")
        try:
            token, secret = api_token_create(
                actor=user, user=user, name=options["name"], expires_in_days=options["days"]
            )
        except DomainError as error:
            raise CommandError(error.as_dict()) from error
        self.stdout.write(f"Token {token.pk} ({token.name}) for {user.username}:")
        self.stdout.write(secret)
        self.stdout.write("Send it as: Authorization: Bearer <token>. It is not shown again.")
