"""The import's fast path for new customers: its fallback when the database refuses a chunk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from tests.imports.core_support import check, problems, store, write_csv
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.customers.services import customer_create
from tiercard.imports import bulk_customers
from tiercard.imports.models import ImportChange, ImportStatus
from tiercard.imports.services import import_commit

__all__ = ["store"]


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    translation.activate("en")
    settings.TIERCARD_IMPORT_BULK_FROM_BYTES = 0  # every file takes the fast path


def test_a_value_taken_between_check_and_insert_sends_the_chunk_row_by_row(
    users: dict[str, User], store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, rep = users["admin"], users["rep_south"]
    rows = [["姓名", "手机", "会员号"]] + [
        [f"客户{i}", f"1391234{i:04d}", f"M{i}"] for i in range(5)
    ]
    batch = check(admin, "customers", write_csv(tmp_path, rows))
    assert batch.new_count == 5

    validate = bulk_customers.customers_bulk_validate

    def validate_then_someone_takes_m3(**kwargs: Any) -> Any:
        results = validate(**kwargs)
        if not Customer.objects.filter(external_id="M3").exists():
            customer_create(actor=rep, data={"name": "抢先", "external_id": "M3"})
        return results

    monkeypatch.setattr(bulk_customers, "customers_bulk_validate", validate_then_someone_takes_m3)
    done = import_commit(actor=admin, batch_id=batch.pk, skip_invalid=True)

    assert done.status == ImportStatus.COMMITTED
    assert done.counts() | {"duplicates": 0} == {
        "rows": 5,
        "new": 4,
        "updated": 0,
        "unchanged": 0,
        "invalid": 1,
        "duplicates": 0,
        "possible_duplicates": 0,
        "warnings": 0,
    }
    assert problems(done) == [(5, "会员号", "validation_error")]
    assert sorted(Customer.objects.values_list("external_id", flat=True)) == [
        "M0",
        "M1",
        "M2",
        "M3",
        "M4",
    ]
    assert Customer.objects.get(external_id="M3").name == "抢先"
    created = AuditEvent.objects.filter(object_type="customers.customer", action="create")
    assert created.count() == 5  # the four imported cards and the other rep's, once each
    assert ImportChange.objects.filter(batch=done).count() == 4
