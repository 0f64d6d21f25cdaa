"""``tiercard demo --customers N --seed S [--purchases M] [--reset]``: load demo data."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tiercard.demo.load import DemoDataExists, LoadReport, load_demo
from tiercard.demo.setup import migrate_if_needed
from tiercard.demo.staff import DEMO_PASSWORD, DEMO_USERS
from tiercard.loyalty.services.bulk import loyalty_bulk_init


class Command(BaseCommand):
    help = "Fill the database with realistic, deterministic demo customers, purchases and staff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=2000, help="customers to create")
        parser.add_argument(
            "--purchases", type=int, default=None, help="purchases in total (default 10 each)"
        )
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first delete ALL customers and everything attached to them",
        )
        parser.add_argument("--as-of", default=None, help="pretend today is this date (YYYY-MM-DD)")
        parser.add_argument(
            "--workers", type=int, default=None, help="generator processes (0: none)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = dt.date.fromisoformat(options["as_of"]) if options["as_of"] else None
        except ValueError as exc:
            raise CommandError(f"--as-of: {exc}") from exc
        self._last = 0.0
        if migrate_if_needed():
            self.stdout.write("Database migrated.")
        try:
            report = load_demo(
                customers=options["customers"],
                purchases=options["purchases"],
                seed=options["seed"],
                reset=options["reset"],
                as_of=as_of,
                workers=options["workers"],
                progress=self._progress,
            )
        except DemoDataExists as exc:
            raise CommandError(
                f"The database already has {exc.customers:,} customers; demo data is only "
                "loaded into an empty database. Run again with --reset to delete all customers "
                "(with their purchases and interactions) and load demo data instead."
            ) from None
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self._summary(report)
        mark = time.perf_counter()
        loyalty = loyalty_bulk_init(report.plan.as_of)
        self.stdout.write(
            f"Loyalty state derived in {time.perf_counter() - mark:.1f} s: "
            f"{loyalty.growth_entries:,} growth entries, {loyalty.tier_changes:,} tier upgrades, "
            f"{loyalty.opening_balances:,} opening points balances."
        )

    def _progress(self, report: LoadReport) -> None:
        now = time.monotonic()
        if now - self._last < 5:
            return
        self._last = now
        c = report.counts
        self.stdout.write(
            f"  … {c['customers']:,}/{report.plan.customers:,} customers, "
            f"{c['purchases']:,} purchases, {report.rows_per_second:,.0f} rows/s"
        )

    def _summary(self, report: LoadReport) -> None:
        plan, c = report.plan, report.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {plan.customers:,} customers and {plan.purchases:,} purchases "
                f"(seed {plan.seed}, as of {plan.as_of}, {plan.backend}) in "
                f"{report.seconds:.1f} s: {report.rows:,} rows, "
                f"{report.rows_per_second:,.0f} rows/s, peak memory {report.peak_rss_mb:,.0f} MiB."
            )
        )
        self.stdout.write(
            "  " + " · ".join(f"{key.replace('_', ' ')} {n:,}" for key, n in c.items())
        )
        cpu = report.cpu_seconds
        phases = ", ".join(f"{name} {secs:.1f} s" for name, secs in report.phases.items())
        self.stdout.write(
            f"  Time: {phases}. CPU: writer {cpu.get('writer', 0):.1f} s, "
            f"{report.workers} generator processes {cpu.get('generators', 0):.1f} s"
        )
        users = ", ".join(u.username for u in DEMO_USERS)
        self.stdout.write(f"Demo users: {users}")
        if report.created_users:
            self.stdout.write(f"Demo password for the users created now: {DEMO_PASSWORD}")
        else:
            self.stdout.write(
                f"The demo users existed already and keep their passwords "
                f"(the demo password is {DEMO_PASSWORD})."
            )
