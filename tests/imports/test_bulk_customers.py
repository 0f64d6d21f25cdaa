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


def test_the_fast_path_flags_phones_and_emails_on_cards_the_importer_sees_only(
    users: dict[str, User], book: dict[str, Customer], store: Path, tmp_path: Path
) -> None:
    """Keyed by external id, new cards whose phone or email another card holds get a note
    naming that card, when the importer may see it; a card out of scope is never named."""
    rep = users["rep_south"]
    rows = [
        ["姓名", "手机", "邮箱", "会员号"],
        ["新甲", "13712345670", "", "N1"],  # 王五's phone (rep_south's own card)
        ["新乙", "", "WangWu@Example.com", "N2"],  # 王五's email, in other letter case
        ["新丙", "13812345678", "", "N3"],  # 张三's phone: rep_east1's card, out of scope
        ["新丁", "13600000000", "nobody@example.com", "N4"],
    ]
    batch = check(rep, "customers", write_csv(tmp_path, rows), key="external_id")
    assert batch.new_count == 4 and batch.possible_duplicates == 2
    notes = sorted(
        (p.row_number, p.params["names"]) for p in batch.problems.filter(code="possible_duplicate")
    )
    south = book["south"].pk
    assert notes == [(2, f"王五 (#{south})"), (3, f"王五 (#{south})")]
    assert not Customer.objects.filter(external_id__in=["N1", "N2", "N3", "N4"]).exists()
