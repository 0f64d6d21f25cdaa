"""The commands: export_data, personal_data_export, personal_data_erase."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.privacy.conftest import NAME
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.core.context import interface
from tiercard.customers.models import Customer
from tiercard.exports.writers import read_back

pytestmark = pytest.mark.django_db


def run(*args: str) -> None:
    with interface("cli"), translation.override("en"):  # what the tiercard command sets
        call_command(*args)


def test_export_data_writes_the_file_and_audits_it(rich: Customer, tmp_path: Path) -> None:
    out = tmp_path / "points.csv"
    run("export_data", "--kind", "points", "--format", "csv", "--as", "mgr_east", "-o", str(out))
    rows = read_back(out.read_bytes())
    assert rows[0][:3] == ["Entry no.", "Time", "Customer no."] and len(rows) > 1
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.interface, event.changes["kind"]) == ("cli", "points")
    xlsx = tmp_path / "c.xlsx"
    run(
        "export_data", "--kind", "customers", "--as", "admin", "-o", str(xlsx), "--status", "active"
    )
    assert xlsx.read_bytes()[:2] == b"PK"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as", "rep_east1"], "permission_denied"),
        (["--as", "nobody"], "No active user"),
        (["--as", "admin", "--from", "2024-13-01"], "validation_error"),
    ],
)
def test_export_data_refusals_write_nothing(
    rich: Customer, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "x.csv"
    with pytest.raises(CommandError, match=message):
        run("export_data", "--kind", "customers", "-o", str(out), *args)
    assert not out.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_personal_data_export_command(rich: Customer, tmp_path: Path) -> None:
    out = tmp_path / "dsr.zip"
    run("personal_data_export", str(rich.pk), "--as", "admin", "-o", str(out))
    names = zipfile.ZipFile(out).namelist()
    assert sorted(names) == [f"personal-data-{rich.pk}.json", f"personal-data-{rich.pk}.xlsx"]
    with pytest.raises(CommandError, match="not_found"):
        run("personal_data_export", str(rich.pk), "--as", "rep_south", "-o", str(tmp_path / "y"))
    assert not (tmp_path / "y").exists()


def state(customer: Customer) -> tuple[Any, ...]:
    row = Customer.objects.filter(pk=customer.pk).values_list("name", "erased_at")
    return (*row.get(), AuditEvent.objects.count())


def test_personal_data_erase_command(rich: Customer, capsys: Any) -> None:
    before = state(rich)
    with pytest.raises(CommandError, match="validation_error"):
        run("personal_data_erase", str(rich.pk), "--as", "admin", "--reason", "r", "--confirm", "0")
    with pytest.raises(CommandError, match="permission_denied"):
        run(
            "personal_data_erase",
            str(rich.pk),
            "--as",
            "mgr_east",
            "--reason",
            "r",
            "--confirm",
            str(rich.pk),
        )
    assert state(rich) == before
    run(
        "personal_data_erase",
        str(rich.pk),
        "--as",
        "admin",
        "--reason",
        "DSR-9",
        "--confirm",
        str(rich.pk),
    )
    assert f"已删除客户 #{rich.pk}" in capsys.readouterr().out
    card = Customer.objects.get(pk=rich.pk)
    assert card.erased_at is not None and card.name != NAME
    assert AuditEvent.objects.get(object_type="privacy.erasure").interface == "cli"
