"""What the import tests of the three interfaces (API, pages, CLI) share.

Each interface runs the same flows on the same small files, so the files, the rows a good run
writes and the "nothing stored" check live here once; what differs (how a file is sent, how
a refusal reads) stays in each test module. ``store`` is ``core_support.store``: every upload
goes to a folder of the test's own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from tests.imports.core_support import store
from tiercard.customers.models import Customer
from tiercard.interactions.models import Interaction
from tiercard.sales.models import Purchase

__all__ = [
    "INTERACTIONS",
    "PURCHASES",
    "assert_good_rows_written",
    "assert_nothing_stored",
    "csv_bytes",
    "store",
]

# Two good rows (one order of two lines) and, on row 4, a negative amount.
PURCHASES = [
    ("订单号", "手机", "下单时间", "商品", "实付金额"),
    ("A-1", "13812345678", "2024-05-01 10:00", "茶叶", "100"),
    ("A-1", "13812345678", "2024-05-01 10:00", "茶具", "50"),
    ("A-2", "13812345678", "2024-05-03 10:00", "茶叶", "-5"),
]
# Two good rows and, on row 4, a way of contact that is not one of the choices.
INTERACTIONS = [
    ("手机", "时间", "方式", "内容"),
    ("13812345678", "2024-05-01 10:00", "电话", "询价"),
    ("13812345678", "2024-05-02 15:00", "拜访", "送样品"),
    ("13812345678", "2024-05-03", "飞鸽", "?"),
]


def csv_bytes(rows: Sequence[Sequence[str]], encoding: str = "gbk") -> bytes:
    """The rows as a CSV file's bytes, GBK by default (what Excel saves on a Chinese PC)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def assert_nothing_stored(store: Path) -> None:
    """A refused upload leaves no file behind."""
    assert not store.exists() or not any(store.iterdir())


def assert_good_rows_written(kind: str, book: dict[str, Customer]) -> None:
    """The two good rows of ``PURCHASES`` / ``INTERACTIONS`` are written to ``book["east1"]``."""
    if kind == "purchases":
        purchase = Purchase.objects.get()
        assert (purchase.external_ref, purchase.customer_id) == ("A-1", book["east1"].pk)
        assert str(purchase.total) == "150.00" and purchase.lines.count() == 2
    else:
        assert sorted(
            Interaction.objects.filter(customer=book["east1"]).values_list("kind", "summary")
        ) == [("call", "询价"), ("visit", "送样品")]
