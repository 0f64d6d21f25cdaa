"""``tiercard token list USERNAME``: a user's API tokens (prefix, dates, state)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.accounts.models import User
from tiercard.accounts.selectors import api_tokens_of


class Command(BaseCommand):
    help = "List a user's API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        for token in api_tokens_of(user):
            state = "revoked" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            expires = f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "never"
            self.stdout.write(
                f"{token.pk}\t{token.key_prefix}…\t{state}\t{token.name}\t"
                f"last used {used}\texpires {expires}"
            )
