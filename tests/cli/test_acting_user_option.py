"""Every command that acts as a user takes the user the same way: ``--as NAME`` or ``--user``."""

from __future__ import annotations

import pytest
from django.core.management import load_command_class

ACTING = [
    "dedupe_merge",
    "dedupe_unmerge",
    "export_data",
    "import",
    "import_undo",
    "personal_data_erase",
    "personal_data_export",
    "print_card",
    "print_table",
    "tiers_apply",
    "tiers_draft",
    "tiers_dry_run",
    "tiers_override",
    "tiers_show",
]


@pytest.mark.parametrize("name", ACTING)
def test_as_and_user_name_the_same_required_option(name: str) -> None:
    parser = load_command_class("tiercard.cli", name).create_parser("tiercard", name)
    as_action = parser._option_string_actions["--as"]
    user_action = parser._option_string_actions["--user"]
    assert as_action is user_action and as_action.required
