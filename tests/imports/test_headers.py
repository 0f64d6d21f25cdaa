"""Header mapping: Chinese and English headers as offices write them, profiles, required fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imports.core_support import store, write_csv
from tiercard.accounts.models import User
from tiercard.core.errors import ValidationFailed
from tiercard.imports.headers import (
    fields_for,
    guess_mapping,
    mapping_from_profile,
    missing_required,
    normalise_header,
)
from tiercard.imports.models import ImportBatch, MappingProfile
from tiercard.imports.services import import_configure, import_upload

__all__ = ["store"]


def test_normalise_drops_remarks_punctuation_width_and_case() -> None:
    assert normalise_header("手机号（必填）") == "手机号"
    assert normalise_header(" E-Mail ") == "email"
    assert normalise_header("*客户名称:") == "客户名称"
    assert normalise_header("Ｍｏｂｉｌｅ") == "mobile"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            [
                "客户姓名",
                "联系电话",
                "邮箱",
                "入会日期",
                "累计消费",
                "当前积分",
                "会员等级",
                "单位",
            ],
            [
                "name",
                "phones",
                "emails",
                "registered_on",
                "spend_total",
                "points",
                "tier",
                "company_name",
            ],
        ),
        (
            [
                "姓名",
                "手机",
                "注册时间",
                "城市",
                "地址",
                "生日",
                "性别",
                "标签",
                "备注",
                "负责人",
                "卡号",
            ],
            [
                "name",
                "phones",
                "registered_on",
                "city",
                "address",
                "birthday",
                "gender",
                "tags",
                "notes",
                "owner",
                "external_id",
            ],
        ),
        (
            ["Name", "Phone", "Email", "Company", "Member No", "统一社会信用代码"],
            ["name", "phones", "emails", "company_name", "external_id", "credit_code"],
        ),
        (["客户名称（必填）", "手机号码 *", "所在城市"], ["name", "phones", "city"]),
    ],
)
def test_customer_headers_are_recognised(headers: list[str], expected: list[str]) -> None:
    assert [guess_mapping("customers", headers).get(i) for i in range(len(headers))] == expected


def test_purchase_and_interaction_headers() -> None:
    purchase = ["单号", "会员手机", "消费日期", "品名", "数量", "单价", "实付金额", "门店"]
    assert list(guess_mapping("purchases", purchase).values()) == [
        "order_no",
        "phone",
        "occurred_at",
        "item_name",
        "quantity",
        "unit_price",
        "amount",
        "store",
    ]
    talk = ["客户名称", "时间", "方式", "内容", "结果", "下一步"]
    assert list(guess_mapping("interactions", talk).values()) == [
        "name",
        "occurred_at",
        "kind",
        "summary",
        "outcome",
        "next_step",
    ]


def test_each_field_takes_one_column_and_unknown_headers_stay_unmapped() -> None:
    mapping = guess_mapping("customers", ["手机", "电话", "喜欢的颜色"])
    assert mapping == {0: "phones"}


def test_required_fields_follow_mode_and_key() -> None:
    assert missing_required("customers", {0: "phones"}) == ["name"]
    assert missing_required("customers", {0: "phones"}, mode="update") == []
    assert missing_required("customers", {0: "name"}, match_key="email") == ["emails"]
    assert missing_required("purchases", {0: "phone"}, match_key="phone") == [
        "occurred_at",
        "amount",
    ]
    assert missing_required(
        "purchases", {0: "occurred_at", 1: "amount"}, match_key="name_company"
    ) == [
        "name",
        "company_name",
    ]
    assert all(
        spec.label
        for kind in ("customers", "purchases", "interactions")
        for spec in fields_for(kind)
    )


def test_configure_refuses_bad_mappings_and_changes_nothing(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [["姓名", "手机"], ["张伟", "13812340001"]])
    actor = users["admin"]
    batch = import_upload(actor=actor, kind="customers", path=path, filename="会员.csv")
    assert batch.field_of_column() == {0: "name", 1: "phones"}
    assert batch.filename == "会员.csv" and Path(batch.stored_path).parent == store
    for mapping, key in (
        ({0: "name", 1: "name"}, "phone"),
        ({5: "name"}, "phone"),
        ({0: "nope"}, "phone"),
        ({0: "name"}, "phone"),
        ({0: "name", 1: "phones"}, "name_company"),
    ):
        with pytest.raises(ValidationFailed):
            import_configure(
                actor=actor, batch_id=batch.pk, mapping=mapping, mode="upsert", match_key=key
            )
    batch.refresh_from_db()
    assert batch.field_of_column() == {0: "name", 1: "phones"}


def test_a_saved_profile_maps_the_next_file_with_the_same_headers(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    actor = users["rep_east1"]
    path = write_csv(tmp_path, [["会员", "电话号", "其他"], ["张伟", "13812340001", "x"]])
    batch = import_upload(actor=actor, kind="customers", path=path, filename="a.csv")
    import_configure(
        actor=actor,
        batch_id=batch.pk,
        mapping={0: "name", 1: "phones"},
        mode="create",
        match_key="phone",
        profile_name="门店表",
    )
    profile = MappingProfile.objects.get(owner=actor, name="门店表")
    assert profile.mapping == {"会员": "name", "电话号": "phones"}
    again = import_upload(actor=actor, kind="customers", path=path, filename="b.csv")
    assert again.field_of_column() == {0: "name", 1: "phones"} and again.mode == "create"
    assert mapping_from_profile(["其他", "会员"], profile.mapping) == {1: "name"}
    with pytest.raises(ValidationFailed):
        import_configure(
            actor=actor,
            batch_id=again.pk,
            mapping={0: "name", 1: "phones"},
            mode="create",
            match_key="phone",
            profile_name="x",
            share_profile=True,
        )
    assert ImportBatch.objects.count() == 2
