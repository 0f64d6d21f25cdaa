"""``tiercard bench import [--customers N] [--purchases M] [--json]``.

Writes a customer workbook and a purchase CSV into a scratch folder, imports them into
scratch databases (never the configured one: SQLite, and PostgreSQL when ``DATABASE_URL`` is
set) and prints the time of the check and of the commit and the peak memory of each import;
with ``--json`` the last line is one JSON object holding every figure.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.bench.imports import BenchFailed, bench_import, render
from tiercard.core.timeutils import business_today


class Command(BaseCommand):
    help = "Benchmark importing a big customer workbook and a big purchase CSV."
    requires_system_checks: list[str] = []  # the data lives in scratch databases

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--purchases", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=1, help="same seed, same files")
        parser.add_argument("--json", action="store_true", help="end with one JSON line")
        parser.add_argument(
            "--sqlite-only",
            action="store_true",
            help="skip PostgreSQL even when DATABASE_URL is set",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = None if options["sqlite_only"] else settings.DATABASE_URL or None
        try:
            result = bench_import(
                customers=options["customers"],
                purchases=options["purchases"],
                seed=options["seed"],
                today=business_today(),
                database_url=url,
                log=lambda text: print(text, file=sys.stderr, flush=True),
            )
        except (BenchFailed, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(render(result))
        if options["json"]:
            self.stdout.write(json.dumps(result, separators=(",", ":")))
