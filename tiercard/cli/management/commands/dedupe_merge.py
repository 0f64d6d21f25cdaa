"""``tiercard dedupe_merge SURVIVOR_ID MERGED_ID --user U [--take FIELD ...]``: merge two cards.

``--take name --take city`` keeps the merged card's value of those fields (else the survivor's,
or the merged card's where the survivor has none). Undo with ``tiercard dedupe_unmerge``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.cli.management.commands._tiers import failed, user_of
from tiercard.core.context import interface
from tiercard.core.errors import DomainError
from tiercard.dedupe.merge import customers_merge


class Command(BaseCommand):
    help = "Merge a duplicate customer card into the surviving one (undoable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("survivor_id", type=int)
        parser.add_argument("merged_id", type=int)
        parser.add_argument(
            "--user", "--as", dest="user", required=True, help="manager or administrator acting"
        )
        parser.add_argument("--take", action="append", default=[], help="field to take")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = user_of(options["user"])
        picks = dict.fromkeys(options["take"], "merged")
        try:
            with interface("cli"):
                record = customers_merge(
                    actor=actor,
                    survivor_id=options["survivor_id"],
                    merged_id=options["merged_id"],
                    picks=picks,
                )
        except DomainError as error:
            raise failed(error) from None
        moved = ", ".join(f"{k} {len(v)}" for k, v in record.moved.items() if isinstance(v, list))
        self.stdout.write(
            f"Merge {record.pk}: card {record.merged_id} merged into {record.survivor_id} "
            f"({moved})."
        )
