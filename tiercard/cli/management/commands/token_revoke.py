"""``tiercard token revoke TOKEN_ID``: revoke an API token at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.accounts.models import ApiToken
from tiercard.accounts.services import api_token_revoke


class Command(BaseCommand):
    help = "Revoke an API token; requests with it are refused from now on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        token = ApiToken.objects.select_related("user").filter(pk=options["token_id"]).first()
        if token is None:
            raise CommandError(f"No token with id {options['token_id']}.")
        api_token_revoke(actor=token.user, token_id=token.pk)
        self.stdout.write(f"Token {token.pk} ({token.name}) of {token.user.username} revoked.")
