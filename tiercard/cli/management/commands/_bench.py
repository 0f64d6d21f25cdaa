"""What the ``tiercard bench ...`` commands share: their common options and how a run is told.

Invariants: a benchmark never touches the configured database: it runs on scratch SQLite, and
on scratch PostgreSQL only when ``DATABASE_URL`` is set and neither ``--sqlite-only`` nor an
SQLite-only option says otherwise. Progress goes to stderr as it happens; stdout holds the
readable report and, with ``--json``, ends with one JSON line holding every figure. A run that
fails (the benchmark's own ``BenchFailed``, or a bad size) is a ``CommandError``, not a trace.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.core.timeutils import business_today


def add_size_arguments(
    parser: CommandParser, *, customers: int, purchases: int, seed_help: str
) -> None:
    """``--customers``, ``--purchases`` and ``--seed``: how big the data set is, and which."""
    parser.add_argument("--customers", type=int, default=customers)
    parser.add_argument("--purchases", type=int, default=purchases)
    parser.add_argument("--seed", type=int, default=1, help=seed_help)


def add_output_arguments(parser: CommandParser) -> None:
    """``--json`` and ``--sqlite-only``."""
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument(
        "--sqlite-only",
        action="store_true",
        help="skip PostgreSQL even when DATABASE_URL is set",
    )


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_bench(
    command: BaseCommand,
    options: dict[str, Any],
    bench: Callable[..., dict[str, Any]],
    *,
    render: Callable[[dict[str, Any]], str],
    failed: type[Exception],
    sqlite_only: bool = False,
    **arguments: Any,
) -> dict[str, Any]:
    """Run ``bench`` at the options' size with ``arguments``, print its report, return its figures.

    ``sqlite_only`` adds to ``--sqlite-only`` (an option of the command that needs SQLite).
    """
    skip_postgres = options["sqlite_only"] or sqlite_only
    try:
        result = bench(
            customers=options["customers"],
            purchases=options["purchases"],
            seed=options["seed"],
            today=business_today(),
            database_url=None if skip_postgres else settings.DATABASE_URL or None,
            log=_log,
            **arguments,
        )
    except (failed, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    command.stdout.write(render(result))
    if options["json"]:
        command.stdout.write(json.dumps(result, separators=(",", ":")))
    return result
