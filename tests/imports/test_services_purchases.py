"""Purchase imports: linking, orders of several lines, loyalty effects, idempotency, scope."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from tests.imports.core_support import check, counts, imported, problems, store, write_csv
from tiercard.accounts.models import User
from tiercard.customers.models import Customer
from tiercard.loyalty.models import Membership, PointsEntry
from tiercard.sales.models import Purchase, PurchaseLine

__all__ = ["store"]

HEADER = ["订单号", "手机", "下单时间", "商品", "数量", "单价", "实付金额", "支付方式"]


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


def test_rows_of_one_order_become_one_purchase_with_lines(
    users: dict[str, User], store: Path, tmp_path: Path, book: dict[str, Customer]
) -> None:
    path = write_csv(
        tmp_path,
        [
            HEADER,
            ["A-1", "138 1234 5678", "2024年5月1日 14:30", "茶叶", "2", "¥100.00", "200", "微信"],
            ["A-1", "13812345678", "2024年5月1日 14:30", "茶具", "1", "", "88.5元", "微信"],
            ["A-2", "13812345678", "2024/5/3", "茶叶", "", "", "1,000", "现金"],
        ],
        encoding="gb18030",
    )
    batch = imported(users["rep_east1"], "purchases", path)
    assert counts(batch) == {"rows": 3, "new": 3, "updated": 0, "unchanged": 0, "invalid": 0}
    first = Purchase.objects.get(external_ref="A-1")
    assert first.customer == book["east1"] and first.total == Decimal("288.50")
    assert first.payment_method == "wechat_pay"
    assert list(PurchaseLine.objects.filter(purchase=first).values_list("item_name", "amount")) == [
        ("茶叶", Decimal("200.00")),
        ("茶具", Decimal("88.50")),
    ]
    card = Customer.objects.get(pk=book["east1"].pk)
    assert card.order_count == 2 and card.total_spend == Decimal("1288.50")
    assert PointsEntry.objects.filter(customer=card, kind="earn").count() == 2
    membership = Membership.objects.get(customer=card)
    assert membership.growth_total > 0

    again = imported(users["rep_east1"], "purchases", path)
    assert counts(again) == {"rows": 3, "new": 0, "updated": 0, "unchanged": 3, "invalid": 0}
    assert Purchase.objects.count() == 2
    assert PointsEntry.objects.filter(customer=card, kind="earn").count() == 2  # no new ones


def test_link_outside_scope_reads_like_missing(
    users: dict[str, User], store: Path, tmp_path: Path, book: dict[str, Customer]
) -> None:
    path = write_csv(
        tmp_path,
        [
            HEADER,
            ["B-1", "13712345670", "2024-05-01", "茶叶", "1", "", "10", ""],  # 王五, other rep
            ["B-2", "13000000000", "2024-05-01", "茶叶", "1", "", "10", ""],  # nobody
        ],
    )
    batch = check(users["rep_east1"], "purchases", path)
    assert problems(batch) == [(2, "手机", "link_not_found"), (3, "手机", "link_not_found")]
    assert Purchase.objects.count() == 0


def test_bad_values_split_orders_and_negative_amounts(
    users: dict[str, User], store: Path, tmp_path: Path, book: dict[str, Customer]
) -> None:
    path = write_csv(
        tmp_path,
        [
            HEADER,
            ["C-1", "13812345678", "2024-05-01", "茶叶", "1", "", "-5", ""],
            ["C-2", "13812345678", "2099-01-01", "茶叶", "1", "", "5", ""],
            ["C-3", "13812345678", "2024-05-01", "茶叶", "1", "", "5", ""],
            ["C-4", "13812345678", "2024-05-01", "茶叶", "1", "", "5", ""],
            ["C-3", "13812345678", "2024-05-01", "茶叶", "1", "", "5", ""],
        ],
    )
    batch = check(users["admin"], "purchases", path)
    found = problems(batch)
    assert (2, "实付金额", "negative_amount") in found
    assert any(row == 3 and column == "下单时间" for row, column, _code in found)
    assert (6, "订单号", "order_split") in found
    assert counts(batch)["new"] == 2 and counts(batch)["invalid"] == 3
    assert Purchase.objects.count() == 0


def test_link_by_name_and_company(
    users: dict[str, User], store: Path, tmp_path: Path, make_customer
) -> None:
    card = make_customer("rep_east1", name="张伟", company_name="杭州茶业有限公司")
    make_customer("rep_east1", name="张伟", company_name="别的公司")
    path = write_csv(
        tmp_path,
        [
            ["客户名称", "公司", "消费日期", "金额"],
            ["张伟", "杭州茶业有限公司", "2024-05-01", "66"],
        ],
    )
    batch = imported(users["rep_east1"], "purchases", path, key="name_company")
    assert counts(batch)["new"] == 1
    assert Purchase.objects.get().customer == card


def test_service_role_imports_purchases_marketing_may_not(
    users: dict[str, User], store: Path, tmp_path: Path, book: dict[str, Customer]
) -> None:
    from tiercard.core.errors import PermissionDenied
    from tiercard.imports.services import import_upload

    path = write_csv(
        tmp_path, [HEADER, ["D-1", "13812345678", "2024-05-01", "茶", "1", "", "9", ""]]
    )
    with pytest.raises(PermissionDenied):
        import_upload(actor=users["marketing"], kind="purchases", path=path, filename="p.csv")
    batch = imported(users["service"], "purchases", path)
    assert counts(batch)["new"] == 1
