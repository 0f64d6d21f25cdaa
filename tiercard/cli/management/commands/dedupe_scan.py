"""``tiercard dedupe_scan [--full] [--json]``: find duplicate customer cards in the whole base.

Incremental by default (keys rebuilt for the cards changed since the last scan began), set-based
and safe to re-run: decisions (not a duplicate, merged) are kept. Prints the counts; ``--json``
prints one JSON object with every figure as the last line.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.core.context import interface
from tiercard.dedupe.scan import dedupe_scan


class Command(BaseCommand):
    help = "Scan the whole base for duplicate customer cards and update the review queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="rebuild every card's keys")
        parser.add_argument("--json", action="store_true", help="one JSON object, last line")

    def handle(self, *args: Any, **options: Any) -> None:
        with interface("cli"):
            report = dedupe_scan(full=options["full"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(
            f"Scan {report.scan_no} ({'full' if report.full else 'incremental'}) in "
            f"{report.seconds:.1f} s: {report.cards_rekeyed:,} cards re-keyed, "
            f"{report.keys_total:,} keys, {report.groups_skipped:,} over-shared values skipped."
        )
        self.stdout.write(
            f"Pairs: {report.pairs_found:,} found ({report.pairs_new:,} new, "
            f"{report.pairs_removed:,} gone); queue: {report.open:,} open, "
            f"{report.dismissed:,} not duplicates, {report.merged:,} merged."
        )
