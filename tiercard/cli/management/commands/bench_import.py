"""``tiercard bench import [--customers N] [--purchases M] [--json]``.

Writes a customer workbook and a purchase CSV into a scratch folder, imports them into
scratch databases (never the configured one: SQLite, and PostgreSQL when ``DATABASE_URL`` is
set) and prints the time of the check and of the commit and the peak memory of each import;
with ``--json`` the last line is one JSON object holding every figure.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.bench.imports import BenchFailed, bench_import, render
from tiercard.cli.management.commands._bench import (
    add_output_arguments,
    add_size_arguments,
    run_bench,
)


class Command(BaseCommand):
    help = "Benchmark importing a big customer workbook and a big purchase CSV."
    requires_system_checks: list[str] = []  # the data lives in scratch databases

    def add_arguments(self, parser: CommandParser) -> None:
        add_size_arguments(
            parser, customers=100_000, purchases=1_000_000, seed_help="same seed, same files"
        )
        add_output_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        run_bench(self, options, bench_import, render=render, failed=BenchFailed)
