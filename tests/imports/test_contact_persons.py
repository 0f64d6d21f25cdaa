"""Contact persons (联系人) in a customer import: mapped from Chinese and English headers,
added through ``contact_add`` on create and on update, once (re-runs add none), on the per-row
and the bulk path, removed again by the batch's undo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from tests.imports.core_support import check, counts, imported, problems, store, write_csv
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Contact, Customer, CustomerStatus
from tiercard.imports.headers import guess_mapping
from tiercard.imports.models import ImportStatus
from tiercard.imports.services import import_undo

__all__ = ["store"]

COMPANIES = [
    ["企业名称", "联系人姓名", "联系人职务", "联系人手机", "联系人邮箱", "手机"],
    [
        "杭州明远茶业有限公司",
        "陈静",
        "采购经理",
        "139 1234 0001",
        "chen@mingyuan.cn",
        "057188880001",
    ],
    ["上海恒泰贸易有限公司", "刘洋", "总经理", "13912340002", "", "02166660002"],
]
BOTH_PATHS = pytest.mark.parametrize("threshold", [10**12, 0], ids=["per-row", "bulk-file"])


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


def contacts() -> list[tuple[str, str, str, str, str, bool]]:
    return list(
        Contact.objects.order_by("customer__name", "id").values_list(
            "customer__name", "name", "title", "mobile", "email", "is_primary"
        )
    )


def test_headers_map_to_contact_person_fields() -> None:
    assert guess_mapping("customers", ["企业名称", "联系人姓名", "手机"]) == {
        0: "name",  # a company sheet: the company column is the card's name
        1: "contact_name",
        2: "phones",
    }
    assert guess_mapping(
        "customers",
        ["姓名", "公司名称", "联系人", "联系人职位", "联系人电话", "联系人电子邮箱", "联系人部门"],
    ) == {
        0: "name",
        1: "company_name",  # a person's employer when the sheet has a name column
        2: "contact_name",
        3: "contact_title",
        4: "contact_mobile",
        5: "contact_email",
        6: "contact_department",
    }
    assert guess_mapping(
        "customers",
        ["Company name", "Contact person", "Contact title", "Contact mobile", "Contact email"],
    ) == {0: "name", 1: "contact_name", 2: "contact_title", 3: "contact_mobile", 4: "contact_email"}
    # 联系人姓名 no longer names the customer.
    assert guess_mapping("customers", ["联系人姓名", "手机"]) == {0: "contact_name", 1: "phones"}


@BOTH_PATHS
def test_a_company_sheet_makes_company_cards_with_their_contact_person_once(
    settings: Any, users: dict[str, User], store: Path, tmp_path: Path, threshold: int
) -> None:
    settings.TIERCARD_IMPORT_BULK_FROM_BYTES = threshold
    actor = users["mgr_east"]
    path = write_csv(tmp_path, COMPANIES)
    checked = check(actor, "customers", path)
    assert counts(checked)["new"] == 2 and checked.invalid_count == 0
    assert Customer.objects.count() == 0 and Contact.objects.count() == 0  # a dry run

    batch = imported(actor, "customers", path)
    assert counts(batch) == {"rows": 2, "new": 2, "updated": 0, "unchanged": 0, "invalid": 0}
    assert sorted(Customer.objects.values_list("name", "kind")) == [
        ("上海恒泰贸易有限公司", "company"),
        ("杭州明远茶业有限公司", "company"),
    ]
    assert contacts() == [
        ("上海恒泰贸易有限公司", "刘洋", "总经理", "13912340002", "", True),
        ("杭州明远茶业有限公司", "陈静", "采购经理", "13912340001", "chen@mingyuan.cn", True),
    ]
    assert AuditEvent.objects.filter(object_type="customers.contact", action="create").count() == 2

    again = imported(actor, "customers", path)  # re-running adds nobody
    assert (again.new_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert Contact.objects.count() == 2

    # A later sheet brings a second contact person for one of them: added, not primary.
    more = write_csv(
        tmp_path,
        [
            ["企业名称", "联系人", "联系人手机", "手机"],
            ["杭州明远茶业有限公司", "王磊", "13912340009", "057188880001"],
        ],
        name="more.csv",
    )
    added = imported(actor, "customers", more)
    assert (added.new_count, added.updated_count) == (0, 1)
    mingyuan = Customer.objects.get(name="杭州明远茶业有限公司")
    assert list(mingyuan.contacts.values_list("name", "is_primary")) == [
        ("陈静", True),
        ("王磊", False),
    ]

    # Undo removes what each batch created: the second batch's contact person only, then the
    # first batch's cards (archived) and their contact persons.
    import_undo(actor=actor, batch_id=added.pk)
    assert list(mingyuan.contacts.values_list("name", flat=True)) == ["陈静"]
    undone = import_undo(actor=actor, batch_id=batch.pk)
    assert undone.status == ImportStatus.UNDONE and problems(undone, severity="warning") == []
    assert Contact.objects.count() == 0
    assert set(Customer.objects.values_list("status", flat=True)) == {CustomerStatus.ARCHIVED}


def test_an_update_adds_a_contact_person_only_when_not_there(
    users: dict[str, User], store: Path, tmp_path: Path, make_customer: Any
) -> None:
    card = make_customer("rep_east1", name="明远茶业", kind="company", phones="13812340001")
    Contact.objects.create(customer=card, name="陈静", mobile="13912340001", is_primary=True)
    path = write_csv(
        tmp_path,
        [
            ["手机", "联系人", "联系人手机"],
            ["13812340001", "陈 静", "+86 139-1234-0001"],  # the same person, written otherwise
        ],
    )
    batch = imported(users["rep_east1"], "customers", path, mode="update")
    assert (batch.updated_count, batch.unchanged_count) == (0, 1)
    assert Contact.objects.filter(customer=card).count() == 1
    other = write_csv(
        tmp_path,
        [["手机", "联系人", "联系人手机"], ["13812340001", "陈静", "13700000000"]],
        name="b.csv",
    )
    batch = imported(users["rep_east1"], "customers", other, mode="update")
    assert batch.updated_count == 1  # same name, another mobile: another person
    assert Contact.objects.filter(customer=card).count() == 2


def test_create_only_mode_adds_no_contact_person_to_an_existing_card(
    users: dict[str, User], store: Path, tmp_path: Path, make_customer: Any
) -> None:
    card = make_customer("rep_east1", name="明远茶业", kind="company", phones="13812340001")
    path = write_csv(
        tmp_path, [["企业名称", "手机", "联系人"], ["明远茶业", "13812340001", "陈静"]]
    )
    batch = imported(users["rep_east1"], "customers", path, mode="create")
    assert (batch.new_count, batch.unchanged_count) == (0, 1)
    assert not Contact.objects.filter(customer=card).exists()


def test_a_bad_contact_person_value_is_a_row_error_and_writes_nothing(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        [
            ["企业名称", "手机", "联系人", "联系人邮箱"],
            ["明远茶业", "13812340001", "陈静", "not-an-email"],
        ],
    )
    batch = check(users["rep_east1"], "customers", path)
    assert batch.invalid_count == 1
    assert [(row, column) for row, column, _code in problems(batch)] == [(2, "联系人邮箱")]
    assert Customer.objects.count() == 0 and Contact.objects.count() == 0


def test_a_person_sheet_keeps_its_people_persons(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    """An emergency contact (紧急联系人) is a contact person of a person card, which stays
    a person."""
    path = write_csv(tmp_path, [["姓名", "手机", "紧急联系人"], ["张伟", "13812340001", "李娜"]])
    imported(users["rep_east1"], "customers", path)
    assert Customer.objects.get().kind == "person"
    assert contacts() == [("张伟", "李娜", "", "", "", True)]


@BOTH_PATHS
def test_one_row_per_contact_person_under_merged_company_cells(
    settings: Any,
    users: dict[str, User],
    store: Path,
    tmp_path: Path,
    threshold: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The usual company list: the company's cells merged down over its contact persons'
    rows. One card, each person added once; the check counts as the commit does."""
    from tests.imports import fixtures as fx
    from tiercard.imports import run

    monkeypatch.setattr(run, "CHUNK_ROWS", 2)  # a unit is never split across chunks
    settings.TIERCARD_IMPORT_BULK_FROM_BYTES = threshold
    path = fx.write_xlsx(
        tmp_path / "企业.xlsx",
        [
            ("企业名称", "手机", "城市", "联系人", "联系人职务"),
            ("杭州明远茶业有限公司", "057188880001", "杭州", "陈静", "采购经理"),
            (None, None, None, "王磊", "财务"),
            (None, None, None, "赵敏", "总经理"),
            ("上海恒泰贸易有限公司", "02166660002", "上海", "刘洋", "总经理"),
        ],
        merges=["A2:A4", "B2:B4", "C2:C4"],
    )
    actor = users["mgr_east"]
    checked = check(actor, "customers", path)
    expected = {"rows": 4, "new": 4, "updated": 0, "unchanged": 0, "invalid": 0}
    assert counts(checked) == expected and Contact.objects.count() == 0
    batch = imported(actor, "customers", path)
    assert counts(batch) == expected
    assert Customer.objects.count() == 2
    assert contacts() == [
        ("上海恒泰贸易有限公司", "刘洋", "总经理", "", "", True),
        ("杭州明远茶业有限公司", "陈静", "采购经理", "", "", True),
        ("杭州明远茶业有限公司", "王磊", "财务", "", "", False),
        ("杭州明远茶业有限公司", "赵敏", "总经理", "", "", False),
    ]
    again = imported(actor, "customers", path)
    assert counts(again) == expected | {"new": 0, "unchanged": 4}
    assert Contact.objects.count() == 4
    import_undo(actor=actor, batch_id=batch.pk)
    assert Contact.objects.count() == 0


def test_a_repeated_key_that_is_not_just_another_contact_person_is_a_duplicate(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        [
            ["企业名称", "手机", "城市", "联系人"],
            ["明远茶业", "057188880001", "杭州", "陈静"],
            ["明远茶业", "057188880001", "宁波", "王磊"],  # another city: not the same card's row
            ["恒泰贸易", "02166660002", "上海", "刘洋"],
            ["明远茶业", "057188880001", "杭州", "赵敏"],  # not right below: a duplicate
        ],
    )
    batch = check(users["rep_east1"], "customers", path)
    assert counts(batch) == {"rows": 4, "new": 2, "updated": 0, "unchanged": 0, "invalid": 2}
    assert problems(batch) == [(3, "手机", "duplicate_in_file"), (5, "手机", "duplicate_in_file")]


def test_contact_person_rows_under_blank_company_cells(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    """A CSV saved from merged cells leaves the company's cells blank below its first row."""
    path = write_csv(
        tmp_path,
        [
            ["企业名称", "手机", "联系人", "联系人手机"],
            ["明远茶业", "057188880001", "陈静", "13912340001"],
            ["", "", "王磊", "13912340002"],
            ["恒泰贸易", "02166660002", "刘洋", ""],
            ["", "", "", ""],  # a blank row is skipped
            ["", "", "赵敏", ""],
        ],
    )
    actor = users["rep_east1"]
    assert counts(check(actor, "customers", path))["new"] == 4
    batch = imported(actor, "customers", path)
    assert counts(batch) == {"rows": 4, "new": 4, "updated": 0, "unchanged": 0, "invalid": 0}
    assert [(c, n, m, p) for c, n, _t, m, _e, p in contacts()] == [
        ("恒泰贸易", "刘洋", "", True),
        ("恒泰贸易", "赵敏", "", False),
        ("明远茶业", "陈静", "13912340001", True),
        ("明远茶业", "王磊", "13912340002", False),
    ]
    # A row without a key that is not just a contact person is still refused.
    orphan = write_csv(
        tmp_path,
        [
            ["企业名称", "手机", "联系人"],
            ["明远茶业", "057188880001", "陈静"],
            ["新公司", "", "孙丽"],
        ],
        name="orphan.csv",
    )
    assert problems(check(actor, "customers", orphan)) == [(3, "手机", "key_missing")]
