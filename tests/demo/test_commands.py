"""The ``demo``, ``setup_demo`` and ``serve`` commands and the ``tiercard`` console entry."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tiercard import cli
from tiercard.accounts.models import User
from tiercard.customers.models import Customer
from tiercard.demo.load import load_demo
from tiercard.demo.setup import setup_demo
from tiercard.demo.staff import DEMO_PASSWORD
from tiercard.sales.models import Purchase

from .conftest import AS_OF


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_demo_command_loads_and_reports(db: None) -> None:
    output = run(
        "demo", "--customers", "40", "--purchases", "120", "--seed", "3", "--as-of", "2025-06-30"
    )
    assert Customer.objects.count() == 40
    assert Purchase.objects.count() == 120
    assert "Loaded 40 customers and 120 purchases" in output
    assert "rows/s" in output
    assert DEMO_PASSWORD in output
    assert "sales_east1" in output


def test_demo_command_refuses_a_non_empty_database_with_advice(db: None) -> None:
    run("demo", "--customers", "10", "--purchases", "10")
    with pytest.raises(CommandError, match=r"already has 10 customers.*--reset"):
        run("demo", "--customers", "10")
    run("demo", "--customers", "12", "--purchases", "10", "--reset")
    assert Customer.objects.count() == 12


def test_demo_command_rejects_a_bad_date(db: None) -> None:
    with pytest.raises(CommandError, match="--as-of"):
        run("demo", "--customers", "1", "--as-of", "30.06.2025")


def test_setup_demo_is_idempotent(db: None) -> None:
    # given an empty database, when setup runs twice
    first = setup_demo(customers=60)
    customers = Customer.objects.count()
    purchases = Purchase.objects.count()
    users = User.objects.count()
    second = setup_demo(customers=60)
    # then the second run adds nothing
    assert first.loaded is not None and second.loaded is None
    assert customers == 60
    assert (Customer.objects.count(), Purchase.objects.count(), User.objects.count()) == (
        customers,
        purchases,
        users,
    )
    assert second.created_users == ()
    assert second.admin_has_demo_password


def test_setup_demo_command_prints_url_user_and_password(db: None) -> None:
    output = run("setup_demo", "--customers", "30")
    assert "http://127.0.0.1:8000" in output
    assert "admin" in output
    assert DEMO_PASSWORD in output
    again = run("setup_demo", "--customers", "30")
    assert "already has 30 customers" in again
    assert Customer.objects.count() == 30


def test_setup_demo_leaves_existing_customers_alone(db: None) -> None:
    load_demo(customers=15, purchases=30, seed=2, as_of=AS_OF)
    result = setup_demo(customers=100)
    assert result.loaded is None
    assert Customer.objects.count() == 15


def test_setup_demo_says_when_the_admin_password_was_changed(db: None) -> None:
    setup_demo(customers=5)
    admin = User.objects.get(username="admin")
    admin.set_password("a-private-password")
    admin.save()
    output = run("setup_demo")
    assert DEMO_PASSWORD not in output.split("Password")[1].splitlines()[0]
    assert "changed" in output


def test_tiercard_entry_maps_words_to_commands(
    db: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # run_from_argv closes every connection when it ends; the test database must survive
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    cli.main(["demo", "--customers", "25", "--purchases", "40", "--seed", "9"])
    assert Customer.objects.count() == 25
    assert "Loaded 25 customers" in capsys.readouterr().out
    # two words map to one command: "tiercard setup demo" runs setup_demo
    cli.main(["setup", "demo"])
    assert "http://127.0.0.1:8000" in capsys.readouterr().out
    assert Customer.objects.count() == 25


def test_serve_migrates_and_starts_runserver(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []

    def fake(name: str, *args: object, **kwargs: object) -> None:
        calls.append((name, args, kwargs))

    from tiercard.cli.management.commands import serve

    monkeypatch.setattr(serve, "call_command", fake)
    monkeypatch.setattr(serve, "migrate_if_needed", lambda: calls.append(("migrate", (), {})))
    out = StringIO()
    host = "0.0.0.0"  # noqa: S104 - runserver is replaced; nothing binds
    call_command("serve", "--port", "8123", "--host", host, stdout=out)
    assert calls[0][0] == "migrate"
    assert calls[1][0] == "runserver"
    assert calls[1][1] == ("0.0.0.0:8123",)
    assert "http://0.0.0.0:8123" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="uses its own SQLite file")
def test_console_script_end_to_end_with_generator_processes(tmp_path: Path) -> None:
    """``tiercard`` as installed, on a new database: it migrates, then loads with workers."""
    exe = Path(sys.executable).with_name("tiercard")
    if not exe.exists():
        pytest.fail("the tiercard console script is not installed (pip install -e .)")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TIERCARD_VAR_DIR"] = str(tmp_path)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(  # noqa: S603
        [
            exe,
            "demo",
            "--customers",
            "2100",
            "--purchases",
            "3000",
            "--workers",
            "2",
            "--as-of",
            "2025-06-30",
        ],
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert done.stdout.startswith("Database migrated.")
    assert "Loaded 2,100 customers and 3,000 purchases" in done.stdout
    assert "2 generator processes" in done.stdout
    check = subprocess.run(  # noqa: S603
        [
            exe,
            "shell",
            "-v0",
            "-c",
            "from django.db import connection;"
            "c = connection.cursor();"
            "print(c.execute('PRAGMA foreign_key_check').fetchall());"
            "print(c.execute('SELECT COUNT(*), SUM(order_count) "
            "FROM customers_customer').fetchone())",
        ],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert check.stdout.splitlines() == ["[]", "(2100, 3000)"]
