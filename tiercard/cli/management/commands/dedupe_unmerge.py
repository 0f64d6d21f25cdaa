"""``tiercard dedupe_unmerge MERGE_ID --user U``: undo a merge (refused when unsafe)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.cli.management.commands._tiers import failed, user_of
from tiercard.core.context import interface
from tiercard.core.errors import DomainError
from tiercard.dedupe.unmerge import customers_unmerge


class Command(BaseCommand):
    help = "Undo a merge of customer cards: what moved goes back."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("merge_id", type=int)
        parser.add_argument(
            "--user", "--as", dest="user", required=True, help="manager or administrator acting"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = user_of(options["user"])
        try:
            with interface("cli"):
                record = customers_unmerge(actor=actor, merge_id=options["merge_id"])
        except DomainError as error:
            raise failed(error) from None
        self.stdout.write(
            f"Merge {record.pk} undone: card {record.merged_id} is separate from "
            f"{record.survivor_id} again."
        )
