"""Customer imports by each match key, create-only mode, purchases linked by external id, and
row errors in the user's language."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from tests.imports.core_support import check, counts, imported, problems, store, write_csv
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.core.contacts import credit_code_with_check_digit
from tiercard.customers.models import Customer
from tiercard.imports.models import ImportChange, ImportProblem
from tiercard.sales.models import Purchase

__all__ = ["store"]

MINE_CODE = credit_code_with_check_digit("91330100MA2B00001")
SOUTH_CODE = credit_code_with_check_digit("91440300MA5F00002")
KEYS = {
    # key: (header, my card's value, the other rep's card's value)
    "email": ("邮箱", "chen@mingyuan.cn", "wang@hengtai.cn"),
    "external_id": ("会员号", "M-0001", "M-0002"),
    "credit_code": ("统一社会信用代码", MINE_CODE, SOUTH_CODE),
}


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


@pytest.fixture
def cards(make_customer: Any) -> dict[str, Customer]:
    """One card of rep_east1's and one of rep_south's, each with every key."""
    values = {key: (mine, other) for key, (_h, mine, other) in KEYS.items()}
    return {
        "mine": make_customer(
            "rep_east1",
            name="明远茶业",
            city="杭州",
            emails=values["email"][0],
            external_id=values["external_id"][0],
            credit_code=values["credit_code"][0],
        ),
        "other": make_customer(
            "rep_south",
            name="恒泰贸易",
            city="深圳",
            emails=values["email"][1],
            external_id=values["external_id"][1],
            credit_code=values["credit_code"][1],
        ),
    }


@pytest.mark.parametrize("key", list(KEYS))
def test_each_key_updates_the_card_that_holds_it(
    users: dict[str, User], store: Path, tmp_path: Path, cards: dict[str, Customer], key: str
) -> None:
    header, mine, _other = KEYS[key]
    path = write_csv(
        tmp_path, [[header, "城市"], [mine.lower() if key == "email" else mine, "宁波"]]
    )
    batch = imported(users["rep_east1"], "customers", path, key=key, mode="update")
    assert counts(batch) == {"rows": 1, "new": 0, "updated": 1, "unchanged": 0, "invalid": 0}
    assert Customer.objects.get(pk=cards["mine"].pk).city == "宁波"
    assert Customer.objects.get(pk=cards["other"].pk).city == "深圳"
    assert Customer.objects.count() == 2


@pytest.mark.parametrize("key", list(KEYS))
def test_a_key_of_another_reps_customer_is_refused_without_naming_it(
    users: dict[str, User], store: Path, tmp_path: Path, cards: dict[str, Customer], key: str
) -> None:
    header, _mine, other = KEYS[key]
    path = write_csv(tmp_path, [["名称", header, "城市"], ["冒名公司", other, "宁波"]])
    audit = AuditEvent.objects.filter(customer_id=cards["other"].pk).count()
    batch = imported(users["rep_east1"], "customers", path, key=key, skip_invalid=True)
    assert counts(batch) == {"rows": 1, "new": 0, "updated": 0, "unchanged": 0, "invalid": 1}
    assert problems(batch) == [(2, header, "key_taken")]
    problem = ImportProblem.objects.get(batch=batch)
    said = " ".join([*problem.messages.values(), str(problem.params)])
    for secret in ("恒泰贸易", "rep_south", str(cards["other"].pk), "深圳"):
        assert secret not in said
    south = Customer.objects.get(pk=cards["other"].pk)
    assert (south.name, south.city, south.owner.username) == ("恒泰贸易", "深圳", "rep_south")
    assert AuditEvent.objects.filter(customer_id=south.pk).count() == audit
    assert Customer.objects.count() == 2


def test_create_only_leaves_existing_cards_alone(
    users: dict[str, User], store: Path, tmp_path: Path, cards: dict[str, Customer]
) -> None:
    mine = cards["mine"]
    path = write_csv(
        tmp_path,
        [
            ["名称", "会员号", "城市"],
            ["明远茶业（新）", "M-0001", "宁波"],
            ["新客户", "M-0009", "温州"],
        ],
    )
    audit = AuditEvent.objects.filter(customer_id=mine.pk).count()
    checked = check(users["rep_east1"], "customers", path, key="external_id", mode="create")
    assert (checked.new_count, checked.unchanged_count) == (1, 1)
    batch = imported(users["rep_east1"], "customers", path, key="external_id", mode="create")
    assert counts(batch) == {"rows": 2, "new": 1, "updated": 0, "unchanged": 1, "invalid": 0}
    card = Customer.objects.get(pk=mine.pk)
    assert (card.name, card.city, card.version) == ("明远茶业", "杭州", mine.version)
    assert AuditEvent.objects.filter(customer_id=mine.pk).count() == audit
    assert list(ImportChange.objects.filter(batch=batch).values_list("row_number", "action")) == [
        (3, "created")
    ]
    assert Customer.objects.get(external_id="M-0009").city == "温州"


def test_purchases_linked_by_external_id(
    users: dict[str, User], store: Path, tmp_path: Path, cards: dict[str, Customer]
) -> None:
    path = write_csv(
        tmp_path,
        [
            ["订单号", "会员号", "下单时间", "商品", "实付金额"],
            ["E-1", "M-0001", "2024-05-01 10:00", "茶叶", "300"],
            ["E-2", "M-0002", "2024-05-01 11:00", "茶叶", "200"],  # another rep's customer
            ["E-3", "M-9999", "2024-05-01 12:00", "茶叶", "100"],  # nobody's
        ],
    )
    batch = imported(users["rep_east1"], "purchases", path, key="external_id", skip_invalid=True)
    assert counts(batch) == {"rows": 3, "new": 1, "updated": 0, "unchanged": 0, "invalid": 2}
    assert problems(batch) == [(3, "会员号", "link_not_found"), (4, "会员号", "link_not_found")]
    purchase = Purchase.objects.get()
    assert (purchase.customer_id, purchase.external_ref) == (cards["mine"].pk, "E-1")
    assert purchase.total == Decimal("300.00")
    assert Customer.objects.get(pk=cards["mine"].pk).order_count == 1
    assert Customer.objects.get(pk=cards["other"].pk).order_count == 0


def test_row_errors_read_in_chinese(
    users: dict[str, User], store: Path, tmp_path: Path, cards: dict[str, Customer]
) -> None:
    path = write_csv(
        tmp_path,
        [
            ["名称", "会员号", "手机", "邮箱", "注册时间"],
            ["甲", "M-0002", "", "", ""],
            ["乙", "M-0010", "12", "", ""],
            ["丙", "M-0011", "", "not-an-email", "2024年13月40日"],
        ],
    )
    batch = check(users["rep_east1"], "customers", path, key="external_id")
    with translation.override("zh-hans"):
        said = [
            (p.row_number, p.column, p.message)
            for p in ImportProblem.objects.filter(batch=batch).order_by("row_number", "id")
        ]
    assert said == [
        (2, "会员号", "此匹配值已属于您权限范围外的客户。"),
        (3, "手机", "电话号码无效。"),
        (4, "邮箱", "邮箱地址无效。"),
        (4, "注册时间", "日期无效：请使用 2024-05-01 或 2024年5月1日 这样的格式。"),
    ]
