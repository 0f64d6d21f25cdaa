"""``tiercard bench tiers [--customers N] [--purchases M] [--json]``: the tiers benchmark.

Loads the data set into scratch databases (never the configured one), times the re-grade, the
daily review and one purchase against a DuckDB reference, and prints every figure; with
``--json`` the last line is one JSON object holding them all. Exits non-zero when our tier
counts disagree with the reference.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.bench.report import render
from tiercard.bench.run import BenchFailed, bench_tiers
from tiercard.core.timeutils import business_today


class Command(BaseCommand):
    help = "Benchmark tier grading, the daily review and one purchase against DuckDB."
    requires_system_checks: list[str] = []  # serves nothing; the data lives in scratch databases

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--purchases", type=int, default=10_000_000)
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument(
            "--purchase-calls", type=int, default=1000, help="purchases timed one by one"
        )
        parser.add_argument("--json", action="store_true", help="end with one JSON line")
        parser.add_argument(
            "--sqlite-only",
            action="store_true",
            help="skip PostgreSQL even when DATABASE_URL is set",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = None if options["sqlite_only"] else settings.DATABASE_URL or None
        try:
            result = bench_tiers(
                customers=options["customers"],
                purchases=options["purchases"],
                seed=options["seed"],
                purchase_calls=options["purchase_calls"],
                today=business_today(),
                database_url=url,
                log=lambda text: print(text, file=sys.stderr, flush=True),
            )
        except (BenchFailed, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(render(result))
        if options["json"]:
            self.stdout.write(json.dumps(result, separators=(",", ":")))
        if not result["agree"]:
            differ = sorted(
                {
                    name
                    for backend in result["backends"].values()
                    for name, same in backend["agreement"].items()
                    if not same
                }
            )
            raise CommandError(f"ours and the DuckDB reference differ in: {', '.join(differ)}")
