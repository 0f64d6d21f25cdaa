"""``tiercard bench web [--customers N] [--purchases M] [--requests R] [--json]``.

Loads the data set into scratch databases (never the configured one) through the same bulk
path as ``bench tiers``, then times the customer card, the member table's first, filtered and
next pages and the search, server-side through the whole middleware stack, as an
administrator and as a sales rep: p50 and p95 over ``--requests`` requests each. With
``--json`` the last line is one JSON object holding every figure. ``--keep DIR`` builds the
SQLite data set in DIR once and reuses it on later runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.bench.run import BenchFailed, bench_web
from tiercard.bench.web import render_web
from tiercard.core.timeutils import business_today


class Command(BaseCommand):
    help = "Benchmark the card page, the member table and the search at scale."
    requires_system_checks: list[str] = []  # serves nothing; the data lives in scratch databases

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--purchases", type=int, default=10_000_000)
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
        parser.add_argument("--json", action="store_true", help="end with one JSON line")
        parser.add_argument(
            "--sqlite-only",
            action="store_true",
            help="skip PostgreSQL even when DATABASE_URL is set",
        )
        parser.add_argument(
            "--keep",
            type=Path,
            default=None,
            help="SQLite only: build the data set in this folder once and reuse it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = None if options["sqlite_only"] or options["keep"] else settings.DATABASE_URL
        try:
            result = bench_web(
                customers=options["customers"],
                purchases=options["purchases"],
                seed=options["seed"],
                requests=options["requests"],
                today=business_today(),
                database_url=url or None,
                keep=options["keep"],
                log=lambda text: print(text, file=sys.stderr, flush=True),
            )
        except (BenchFailed, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(render_web(result))
        if options["json"]:
            self.stdout.write(json.dumps(result, separators=(",", ":")))
