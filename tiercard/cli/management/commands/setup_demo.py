"""``tiercard setup_demo``: what ``make run`` does before serving.

Migrates, creates the demo users when missing, loads demo data into an empty database, and
prints where to sign in.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.demo.setup import SETUP_CUSTOMERS, demo_usernames, setup_demo
from tiercard.demo.staff import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Prepare a demo: migrate, create demo users, load demo data into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=SETUP_CUSTOMERS)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--host", default="127.0.0.1", help="shown in the URL")
        parser.add_argument("--port", type=int, default=8000, help="shown in the URL")

    def handle(self, *args: Any, **options: Any) -> None:
        result = setup_demo(customers=options["customers"], seed=options["seed"])
        if result.migrated:
            self.stdout.write("Database migrated.")
        if result.loaded:
            report = result.loaded
            self.stdout.write(
                f"Loaded demo data: {report.counts['customers']:,} customers, "
                f"{report.counts['purchases']:,} purchases, "
                f"{report.counts['interactions']:,} interactions ({report.seconds:.1f} s)."
            )
        else:
            self.stdout.write(
                f"The database already has {result.customers:,} customers; no demo data added."
            )
        password = (
            DEMO_PASSWORD
            if result.admin_has_demo_password
            else "(changed — no longer the demo password)"
        )
        url = f"http://{options['host']}:{options['port']}"
        others = ", ".join(name for name in demo_usernames() if name != "admin")
        rule = "=" * 64
        self.stdout.write(
            "\n".join(
                [
                    rule,
                    "  tiercard 分级客户管理卡系统",
                    f"  URL:       {url}",
                    "  User:      admin",
                    f"  Password:  {password}",
                    f"  Other demo users (same password): {others}",
                    rule,
                ]
            )
        )
