"""The ``tiercard`` console command: a thin wrapper over Django's management commands.

``tiercard serve`` → ``manage.py serve``; ``tiercard demo --customers 100`` → ``manage.py demo``.
Two-word commands (``tiercard tiers review``, ``tiercard tiers dry-run``) map to
``tiers_review`` / ``tiers_dry_run`` when such a command exists.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiercard.settings")
    import django
    from django.core.management import execute_from_command_line, get_commands

    django.setup()
    if len(args) >= 2 and not args[1].startswith("-"):
        joined = f"{args[0]}_{args[1]}".replace("-", "_")  # tiers dry-run → tiers_dry_run
        if joined in get_commands():
            args = [joined, *args[2:]]
    from tiercard.core.context import interface

    with interface("cli"):
        execute_from_command_line(["tiercard", *args])
