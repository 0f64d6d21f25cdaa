"""``tiercard bench web [--customers N] [--purchases M] [--requests R] [--json]``.

Loads the data set into scratch databases (never the configured one) through the same bulk
path as ``bench tiers``, then times the customer card, the member table's first, filtered and
next pages and the search, server-side through the whole middleware stack, as an
administrator and as a sales rep: p50 and p95 over ``--requests`` requests each. With
``--json`` the last line is one JSON object holding every figure. ``--keep DIR`` builds the
SQLite data set in DIR once and reuses it on later runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.bench.run import BenchFailed, bench_web
from tiercard.bench.web import render_web
from tiercard.cli.management.commands._bench import (
    add_output_arguments,
    add_size_arguments,
    run_bench,
)


class Command(BaseCommand):
    help = "Benchmark the card page, the member table and the search at scale."
    requires_system_checks: list[str] = []  # serves nothing; the data lives in scratch databases

    def add_arguments(self, parser: CommandParser) -> None:
        add_size_arguments(
            parser, customers=1_000_000, purchases=10_000_000, seed_help="same seed, same data"
        )
        parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
        add_output_arguments(parser)
        parser.add_argument(
            "--keep",
            type=Path,
            default=None,
            help="SQLite only: build the data set in this folder once and reuse it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run_bench(
            self,
            options,
            bench_web,
            render=render_web,
            failed=BenchFailed,
            sqlite_only=options["keep"] is not None,
            requests=options["requests"],
            keep=options["keep"],
        )
