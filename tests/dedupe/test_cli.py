"""``tiercard dedupe_scan`` / ``dedupe_merge`` / ``dedupe_unmerge``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.dedupe.conftest import Twins, world
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.dedupe.models import MergeRecord


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_scan_prints_counts_and_json(twins: Twins) -> None:
    text = run("dedupe_scan")
    assert "Pairs: 1 found (1 new" in text
    last = run("dedupe_scan", "--json").strip().splitlines()[-1]
    figures = json.loads(last)
    assert figures["pairs_found"] == 1 and figures["pairs_new"] == 0 and figures["open"] == 1
    assert figures["cards_rekeyed"] == 0  # nothing changed since the last scan
    assert AuditEvent.objects.filter(object_type="dedupe.scan", interface="cli").count() == 2


def test_merge_and_unmerge(twins: Twins) -> None:
    s, m = twins.survivor, twins.merged
    text = run("dedupe_merge", str(s.pk), str(m.pk), "--user", "mgr_east", "--take", "address")
    assert f"merged into {s.pk}" in text and "purchases 1" in text
    assert Customer.objects.get(pk=m.pk).merged_into_id == s.pk
    record = MergeRecord.objects.get()
    assert "undone" in run("dedupe_unmerge", str(record.pk), "--user", "mgr_east")
    assert Customer.objects.get(pk=m.pk).merged_into_id is None


def test_refusals_name_the_code_and_change_nothing(twins: Twins) -> None:
    s, m = twins.survivor, twins.merged
    state = world(s.pk, m.pk)
    with pytest.raises(CommandError, match="permission_denied"):
        run("dedupe_merge", str(s.pk), str(m.pk), "--user", "rep_east1")
    with pytest.raises(CommandError, match="not_found"):
        run("dedupe_merge", str(s.pk), str(m.pk), "--user", "mgr_south")
    with pytest.raises(CommandError, match="No active user"):
        run("dedupe_merge", str(s.pk), str(m.pk), "--user", "nobody")
    assert world(s.pk, m.pk) == state


def test_scan_task_runs_the_scan(twins: Twins) -> None:
    from tiercard.dedupe.tasks import duplicate_scan

    result = duplicate_scan.call(full=True)
    assert result["pairs_found"] == 1 and result["full"] is True
