"""``tiercard bench tiers [--customers N] [--purchases M] [--json]``: the tiers benchmark.

Loads the data set into scratch databases (never the configured one), times the re-grade, the
daily review and one purchase against a DuckDB reference, and prints every figure; with
``--json`` the last line is one JSON object holding them all. Exits non-zero when our tier
counts disagree with the reference.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.bench.report import render
from tiercard.bench.run import BenchFailed, bench_tiers
from tiercard.cli.management.commands._bench import (
    add_output_arguments,
    add_size_arguments,
    run_bench,
)


class Command(BaseCommand):
    help = "Benchmark tier grading, the daily review and one purchase against DuckDB."
    requires_system_checks: list[str] = []  # serves nothing; the data lives in scratch databases

    def add_arguments(self, parser: CommandParser) -> None:
        add_size_arguments(
            parser, customers=1_000_000, purchases=10_000_000, seed_help="same seed, same data"
        )
        parser.add_argument(
            "--purchase-calls", type=int, default=1000, help="purchases timed one by one"
        )
        add_output_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_bench(
            self,
            options,
            bench_tiers,
            render=render,
            failed=BenchFailed,
            purchase_calls=options["purchase_calls"],
        )
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
