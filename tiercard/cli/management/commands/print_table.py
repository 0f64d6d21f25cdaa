"""``tiercard print_table --as USERNAME -o FILE [--view ID] [--tier vip --city 上海 ...]``.

The member table (会员客户分级管理表) of a saved view, with any filters given here replacing
the view's, as an A4 landscape PDF; refused above the printable row limit (export xlsx).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from tiercard.accounts.models import User
from tiercard.cli.management.commands._printing import PrintCommand
from tiercard.cli.management.commands._table_view import add_view_arguments, view_of
from tiercard.printing.services import PrintedFile, member_table_print


class Command(PrintCommand):
    help = "Print the member table of a view (A4 landscape PDF)."

    def add_subject_arguments(self, parser: CommandParser) -> None:
        add_view_arguments(parser)

    def printed(self, actor: User, options: dict[str, Any]) -> PrintedFile:
        return member_table_print(actor=actor, view=view_of(actor, options))
