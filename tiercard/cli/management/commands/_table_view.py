"""The member table view a command is asked for: ``--view ID`` and/or filters, sort, columns.

Shared by ``print_table`` and ``export_table`` so both read the same arguments the same way;
filters given replace the saved view's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.management.base import CommandError, CommandParser

from tiercard.accounts.models import User
from tiercard.cli.management.commands._tiers import day_of
from tiercard.core.money import parse_amount
from tiercard.listviews.selectors import saved_view_get
from tiercard.listviews.table import SORTS, TableView, clean_columns

TEXT_FILTERS = ("q", "tier", "tag", "city", "status", "kind")


def add_view_arguments(parser: CommandParser) -> None:
    parser.add_argument("--view", type=int, help="a saved view (own or shared)")
    for name in TEXT_FILTERS:
        parser.add_argument(f"--{name}")
    parser.add_argument("--owner-id", type=int)
    parser.add_argument("--purchased-from", help="YYYY-MM-DD")
    parser.add_argument("--purchased-to", help="YYYY-MM-DD")
    parser.add_argument("--min-spend")
    parser.add_argument("--max-spend")
    parser.add_argument("--sort", choices=sorted(SORTS))
    parser.add_argument("--cols", help="comma-separated column keys")


def view_of(actor: User, options: dict[str, Any]) -> TableView:
    """The view for ``actor`` (NotFound for a saved view they may not use)."""
    base = TableView()
    if options["view"] is not None:
        base = TableView.from_dict(saved_view_get(viewer=actor, view_id=options["view"]).state)
    given: dict[str, Any] = {k: options[k] for k in TEXT_FILTERS if options[k] is not None}
    if options["owner_id"] is not None:
        given["owner_id"] = options["owner_id"]
    for name in ("purchased_from", "purchased_to"):
        if options[name]:
            given[name] = day_of(options[name])
    for name in ("min_spend", "max_spend"):
        if options[name]:
            try:
                given[name] = parse_amount(options[name])
            except ValueError:
                raise CommandError(f"Not an amount: {options[name]!r}.") from None
    columns = base.columns
    if options["cols"]:
        columns = clean_columns([c.strip() for c in options["cols"].split(",")])
    return dataclasses.replace(
        base,
        filters=dataclasses.replace(base.filters, **given),
        sort=options["sort"] or base.sort,
        columns=columns,
    )
