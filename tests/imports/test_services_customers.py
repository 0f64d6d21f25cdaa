"""Customer imports through the services: modes, keys, scope, idempotency, loyalty cells."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from tests.imports.core_support import (
    check,
    counts,
    imported,
    problems,
    store,
    write_csv,
    write_xlsx,
)
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import ContactPoint, Customer
from tiercard.imports.models import ImportBatch, ImportChange, ImportProblem, ImportStatus
from tiercard.loyalty.models import Membership, PointsEntry

__all__ = ["store"]

HEADER = ["姓名", "手机号", "邮箱", "注册时间", "城市", "标签", "会员号"]


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


@pytest.fixture(autouse=True, params=["row by row", "set-based"])
def path(request: pytest.FixtureRequest, settings) -> str:
    """Every test runs on both paths: per-row services (small files) and the fast path."""
    settings.TIERCARD_IMPORT_BULK_FROM_BYTES = 0 if request.param == "set-based" else 2**40
    return str(request.param)


def test_upsert_creates_then_rerun_changes_nothing(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        [
            HEADER,
            [
                "张伟",
                "138 1234 0001",
                "zw@example.com",
                "2024年5月1日",
                "上海",
                "老客户，VIP",
                "M001",
            ],
            ["李娜", "+86-139-1234-0002", "", "2024/5/2", "北京", "", "M002"],
        ],
    )
    rep = users["rep_east1"]
    batch = imported(rep, "customers", path)
    assert batch.status == ImportStatus.COMMITTED
    assert counts(batch) == {"rows": 2, "new": 2, "updated": 0, "unchanged": 0, "invalid": 0}
    zhang = Customer.objects.get(external_id="M001")
    assert zhang.name == "张伟" and zhang.owner == rep and zhang.city == "上海"
    assert zhang.primary_phone == "+8613812340001"
    assert str(zhang.registered_on) == "2024-05-01"
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["VIP", "老客户"]
    assert zhang.source_channel == "import"
    audited = AuditEvent.objects.filter(object_type="customers.customer", action="create").count()

    again = imported(rep, "customers", path)
    assert counts(again) == {"rows": 2, "new": 0, "updated": 0, "unchanged": 2, "invalid": 0}
    assert Customer.objects.count() == 2
    assert (
        AuditEvent.objects.filter(object_type="customers.customer", action="create").count()
        == audited
    )


def test_check_writes_nothing_and_reports_every_invalid_row(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        [
            HEADER,
            ["张伟", "13812340001", "", "2024年13月40日", "", "", ""],
            ["", "13812340002", "", "", "", "", ""],
            ["王五", "12345", "", "", "", "", ""],
            ["赵六", "13812340004", "", "", "", "", ""],
            ["赵六2", "13812340004", "", "", "", "", ""],
        ],
    )
    batch = check(users["admin"], "customers", path)
    assert batch.status == ImportStatus.CHECKED
    assert counts(batch) == {"rows": 5, "new": 1, "updated": 0, "unchanged": 0, "invalid": 4}
    assert batch.duplicate_count == 1
    found = problems(batch)
    assert (2, "注册时间", "bad_date") in found
    assert any(row == 3 and code for row, _c, code in found)  # missing name
    assert (4, "手机号", "bad_phone") in found
    assert (6, "手机号", "duplicate_in_file") in found
    assert Customer.objects.count() == 0
    assert ContactPoint.objects.count() == 0
    message = ImportProblem.objects.filter(batch=batch, code="duplicate_in_file").get().message
    assert "row 5" in message


def test_all_or_nothing_refuses_and_skip_invalid_keeps_the_rest(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    from tiercard.core.errors import Conflict
    from tiercard.imports.services import import_commit

    path = write_csv(tmp_path, [HEADER, ["张伟", "13812340001"], ["坏", "999"]])
    batch = check(users["admin"], "customers", path)
    with pytest.raises(Conflict) as refused:
        import_commit(actor=users["admin"], batch_id=batch.pk, skip_invalid=False)
    assert refused.value.code == "import_invalid_rows"
    assert Customer.objects.count() == 0
    kept = import_commit(actor=users["admin"], batch_id=batch.pk, skip_invalid=True)
    assert kept.status == ImportStatus.COMMITTED
    assert counts(kept)["new"] == 1 and counts(kept)["invalid"] == 1
    assert list(Customer.objects.values_list("name", flat=True)) == ["张伟"]


def test_update_merges_lists_and_keeps_other_values(
    users: dict[str, User], store: Path, tmp_path: Path, make_customer
) -> None:
    card = make_customer(
        "rep_east1", name="张伟", phones="13812340001, 13900000000", city="杭州", tags="老客户"
    )
    path = write_csv(
        tmp_path, [["手机", "城市", "标签", "备注"], ["13812340001", "", "新标签", "导入备注"]]
    )
    batch = imported(users["rep_east1"], "customers", path, mode="update")
    assert counts(batch) == {"rows": 1, "new": 0, "updated": 1, "unchanged": 0, "invalid": 0}
    card.refresh_from_db()
    assert card.city == "杭州" and card.notes == "导入备注"
    assert sorted(
        ContactPoint.objects.filter(customer=card).values_list("normalized", flat=True)
    ) == [
        "+8613812340001",
        "+8613900000000",
    ]
    assert sorted(card.tags.values_list("name", flat=True)) == ["新标签", "老客户"]
    change = ImportChange.objects.get(batch=batch, model="customers.customer")
    assert change.before == {"notes": "", "tags": ["老客户"]}


def test_out_of_scope_key_is_refused_without_revealing_the_customer(
    users: dict[str, User], store: Path, tmp_path: Path, book
) -> None:
    # 13712345670 is 王五's, owned by rep_south; rep_east1 cannot see that card.
    path = write_csv(tmp_path, [["姓名", "手机"], ["冒名", "13712345670"]])
    batch = check(users["rep_east1"], "customers", path)
    assert problems(batch) == [(2, "手机", "key_taken")]
    texts = " ".join(
        str(m) for p in ImportProblem.objects.filter(batch=batch) for m in p.messages.values()
    )
    assert "王五" not in texts and "rep_south" not in texts and str(book["south"].pk) not in texts
    update = check(users["rep_east1"], "customers", path, mode="update")
    assert problems(update) == [(2, "手机", "not_found")]
    assert Customer.objects.get(pk=book["south"].pk).name == "王五"


def test_forbidden_roles_change_nothing(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    from tiercard.core.errors import PermissionDenied
    from tiercard.imports.services import import_upload

    path = write_csv(tmp_path, [["姓名", "手机"], ["张伟", "13812340001"]])
    for role in ("service", "marketing"):
        with pytest.raises(PermissionDenied):
            import_upload(actor=users[role], kind="customers", path=path, filename="a.csv")
    assert ImportBatch.objects.count() == 0 and Customer.objects.count() == 0


def test_opening_points_and_tier_from_a_manager_sheet(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path,
        [
            ["客户名称", "手机", "积分", "会员等级"],
            ["张伟", "13812340001", 1200, "VIP级"],
            ["李娜", "13812340002", 0, "基础级"],
        ],
    )
    manager = users["mgr_east"]
    batch = imported(manager, "customers", path)
    assert counts(batch)["new"] == 2
    zhang = Customer.objects.get(name="张伟")
    membership = Membership.objects.get(customer=zhang)
    assert membership.points_balance == 1200
    assert membership.tier == "vip" and membership.lock_until is not None
    assert PointsEntry.objects.filter(customer=zhang).count() == 1
    again = imported(manager, "customers", path)
    assert counts(again)["unchanged"] == 2
    assert PointsEntry.objects.filter(customer=zhang).count() == 1


def test_sales_rep_points_and_tier_are_skipped_with_a_note(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path, [["姓名", "手机", "积分", "等级"], ["张伟", "13812340001", "500", "VIP级"]]
    )
    batch = imported(users["rep_east1"], "customers", path)
    assert counts(batch)["new"] == 1
    assert {code for _r, _c, code in problems(batch, severity="warning")} == {
        "points_ignored",
        "tier_ignored",
    }
    assert PointsEntry.objects.count() == 0


def test_possible_duplicates_are_flagged_in_the_dry_run(
    users: dict[str, User], store: Path, tmp_path: Path, make_customer
) -> None:
    make_customer("rep_east1", name="张伟", emails="zw@example.com")
    path = write_csv(
        tmp_path, [["姓名", "手机", "邮箱"], ["张伟", "13812340009", "zw@example.com"]]
    )
    batch = check(users["rep_east1"], "customers", path)
    assert batch.new_count == 1 and batch.possible_duplicates == 1
    note = ImportProblem.objects.get(batch=batch, code="possible_duplicate")
    assert note.severity == "warning" and "张伟" in note.message


def test_both_paths_write_the_same_card_and_audit_row(
    users: dict[str, User], store: Path, tmp_path: Path, settings, path: str
) -> None:
    if path != "set-based":
        pytest.skip("one comparison is enough")
    header = ["姓名", "手机", "邮箱", "城市", "标签", "会员号", "生日", "性别", "地址"]
    row = ["欧阳娜娜", "", "", "上海", "老客户", "", "1990-05-01", "女", "浦东新区 1 号"]
    made = {}
    for mode, phone, threshold in (("rows", "13812340001", 2**40), ("bulk", "13812340002", 0)):
        settings.TIERCARD_IMPORT_BULK_FROM_BYTES = threshold
        cells = list(row)
        cells[1], cells[2], cells[5] = phone, f"{mode}@example.com", f"M-{mode}"
        batch = imported(
            users["rep_east1"],
            "customers",
            write_csv(tmp_path, [header, cells], name=f"{mode}.csv"),
        )
        assert batch.new_count == 1
        made[mode] = Customer.objects.get(external_id=f"M-{mode}")
    skip = {
        "id",
        "external_id",
        "primary_phone",
        "phone_tail",
        "primary_email",
        "search_text",
        "created_at",
        "updated_at",
    }
    fields = [f.attname for f in Customer._meta.concrete_fields if f.attname not in skip]
    assert {f: getattr(made["rows"], f) for f in fields} == {
        f: getattr(made["bulk"], f) for f in fields
    }
    assert (
        made["bulk"].search_text.replace("bulk", "rows").replace("13812340002", "13812340001")
        == made["rows"].search_text
    )
    events = {
        mode: AuditEvent.objects.get(object_type="customers.customer", customer_id=card.pk)
        for mode, card in made.items()
    }
    assert set(events["rows"].changes) == set(events["bulk"].changes)
    assert (
        events["bulk"].changes["name"] == ["", "欧阳娜娜"]
        or events["bulk"].changes["name"][1] == "欧阳娜娜"
    )
    assert ContactPoint.objects.filter(customer=made["bulk"]).count() == 2
    assert list(made["bulk"].tags.values_list("name", flat=True)) == ["老客户"]


def test_a_row_turning_invalid_after_the_check_rolls_the_whole_file_back(
    users: dict[str, User], store: Path, tmp_path: Path, make_customer
) -> None:
    from tiercard.imports.services import import_commit

    rows = [["姓名", "手机", "会员号"]] + [
        [f"客户{i}", f"1391234{i:04d}", f"M{i}"] for i in range(12)
    ]
    batch = check(users["admin"], "customers", write_csv(tmp_path, rows))
    assert batch.new_count == 12 and batch.invalid_count == 0
    make_customer("rep_south", name="后来者", external_id="M11")  # takes the last row's id
    audited = AuditEvent.objects.count()
    failed = import_commit(actor=users["admin"], batch_id=batch.pk, skip_invalid=False)
    assert failed.status == ImportStatus.FAILED
    assert problems(failed) == [(13, "会员号", "validation_error")]
    assert Customer.objects.count() == 1 and ContactPoint.objects.count() == 0
    assert AuditEvent.objects.count() == audited + 1  # only the batch's own "refused" row
    assert not ImportChange.objects.exists()


def test_a_nul_past_the_sample_is_imported_as_a_visible_character_with_a_warning(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    """The reader refuses a CSV file with a NUL in its first 64 KiB; one further on reached
    the database (refused by PostgreSQL in text and JSON). It becomes “\ufffd” and the row
    is told of it."""
    padding = "x" * (70 * 1024)  # an unmapped column pushes the NUL past the sample
    path = write_csv(
        tmp_path,
        [
            [*HEADER, "备用"],
            ["张伟", "13812340001", "", "", "上海", "", "M001", padding],
            ["李\x00娜", "13912340002", "", "", "北\x00京", "", "M002", ""],
        ],
    )

    batch = imported(users["admin"], "customers", path)

    assert counts(batch)["new"] == 2, problems(batch)
    assert Customer.objects.get(external_id="M002").name == "李\ufffd娜"
    assert Customer.objects.get(external_id="M002").city == "北\ufffd京"
    assert problems(batch, severity="warning") == [
        (3, "姓名", "unreadable_character"),
        (3, "城市", "unreadable_character"),
    ]
