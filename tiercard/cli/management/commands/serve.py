"""``tiercard serve [--host H] [--port P]``: migrate when needed, then run the web server."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from tiercard.demo.setup import migrate_if_needed


class Command(BaseCommand):
    help = "Apply pending migrations and serve tiercard (Django's development server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--reload", action="store_true", help="restart when the code changes")

    def handle(self, *args: Any, **options: Any) -> None:
        if migrate_if_needed():
            self.stdout.write("Database migrated.")
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(self.style.SUCCESS(f"tiercard is serving at {url}  (Ctrl+C stops)"))
        address = f"{options['host']}:{options['port']}"
        if ":" in options["host"]:
            address = f"[{options['host']}]:{options['port']}"
        call_command("runserver", address, use_reloader=options["reload"])
