"""The ``tiercard`` console command maps ``tiercard X Y`` onto the management command ``X_Y``."""

from __future__ import annotations

import pytest


def test_hyphenated_subcommands_reach_their_command(capsys):
    from tiercard.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["tiers", "dry-run", "--help"])

    assert caught.value.code == 0
    assert "dry" in capsys.readouterr().out.lower()
