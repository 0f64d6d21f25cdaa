"""The build and CI entry points: present, executable, wired to each other as documented."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["scripts/test", "scripts/pg-throwaway", "scripts/ensure-venv", ".ci/run"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_are_executable_bash_without_syntax_errors(name: str) -> None:
    path = ROOT / name
    assert os.access(path, os.X_OK), f"{name} is not executable"
    assert path.read_text().startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(path)], check=True)  # noqa: S603, S607


def test_ci_installs_the_debian_packages_then_runs_exactly_make_test() -> None:
    text = (ROOT / ".ci/run").read_text()
    for package in ("postgresql", "chromium", "fonts-noto-cjk", "gettext", "python3-venv"):
        assert package in text
    commands = [line.strip() for line in text.splitlines() if line.strip().startswith("make")]
    assert commands == ["make test </dev/null"]
    assert text.rstrip().endswith("make test </dev/null")


def test_make_targets() -> None:
    text = (ROOT / "Makefile").read_text()
    targets = dict(re.findall(r"^([a-z]+):(.*)$", text, re.MULTILINE))
    assert {"run", "test", "venv"} <= set(targets)
    assert "scripts/test" in text.split("test:")[1]
    run = text.split("run:")[1].split("\n\n")[0]
    assert "setup_demo" in run
    assert "serve" in run


def test_scripts_test_runs_every_check_and_both_databases() -> None:
    text = (ROOT / "scripts/test").read_text()
    for step in (
        'ruff" format --check',
        'ruff" check',
        'mypy" tiercard',
        "lint-imports",
        "makemigrations --check --dry-run",
        "check --deploy --fail-level WARNING",
        "TIERCARD_PRODUCTION=1",
        "ALLOWED_HOSTS=example.com",
        "scripts/pg-throwaway",
        "TIERCARD_SKIP_POSTGRES",
    ):
        assert step in text, step


def test_readme_leads_with_the_two_commands_and_names_no_machine_paths() -> None:
    text = (ROOT / "README.md").read_text()
    head = "\n".join(text.splitlines()[:8])
    assert "make run" in head
    assert "make test" in head
    assert "http://127.0.0.1:8000" in text
    assert "tiercard-demo" in text
    assert "MEASURE" not in text
    for path in ("/work", "/tmp", "/root", "/home/"):
        assert path not in text
