"""The member table's row cells (``web.member_cells``) print what the row template printed
before they moved out of it. That template is kept as the reference
(``member_row_reference.html``); rows with every kind of value (a company's subtitle, no
service record, more tags than shown, characters to escape) are printed both ways, with every
column shown and with some hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template import Context, Template

from tiercard.listviews.table import COLUMNS
from tiercard.web.member_cells import cell_labels, row_cells
from tiercard.web.member_table import MemberRow, TierBadge

REFERENCE = Template((Path(__file__).parent / "member_row_reference.html").read_text())


def _row(**changes: object) -> MemberRow:
    values: dict[str, object] = {
        "pk": 7,
        "name": "张<三>",
        "pinyin": "zhang&san",
        "kind": "company",
        "company": "张三公司",
        "phone": "138****1234",
        "registered_on": None,
        "win_orders": 3,
        "per_month": "0.3",
        "win_spend": "¥1,200.00",
        "total_spend": "¥9,000.00",
        "order_count": 12,
        "points": 1200,
        "tier": TierBadge("vip", 'V"IP', "#4A90D9"),
        "interactions": 2,
        "last_contact": None,
        "campaigns": None,
        "owner": "李静",
        "last_purchase_at": None,
        "city": "西安",
        "status": "active",
        "status_label": "活跃",
        "tags": [],
        "more_tags": 2,
        "href": "/customers/7/",
        "select_label": "选择 张<三>",
        "monogram": "张",
        "subtitle": "张三公司 & 子",
        "phone_text": "138****1234",
        "registered_text": "2026-11-19",
        "orders_text": "3 单",
        "per_month_text": "0.3 单/月",
        "order_count_text": "12",
        "points_text": "1,200",
        "service_text": "2 次沟通",
        "last_contact_text": "最近 2026-11-26",
        "campaigns_text": "—",
        "owner_text": "李静",
        "last_purchase_text": "2026-11-29",
        "city_text": "西安",
        "tag_links": [("新客", "?city=%E8%A5%BF&tag=%E6%96%B0"), ("<b>", "?tag=%3Cb%3E")],
    }
    values.update(changes)
    return MemberRow(**values)  # type: ignore[arg-type]


ROWS = [
    _row(),
    _row(subtitle="", service_text="", more_tags=0, tag_links=[]),
    _row(kind="person", subtitle="", campaigns_text="春季促销", owner_text="—", city_text="—"),
]


@pytest.mark.parametrize(
    "hidden", [(), ("total_spend", "orders", "campaigns", "city"), ("name", "tags", "service")]
)
def test_cells_print_what_the_row_template_printed(hidden: tuple[str, ...]) -> None:
    shown = {c.key: c.key not in hidden for c in COLUMNS}
    labels = cell_labels()
    more = "卡片上还有更多标签 & <更多>"
    names = {c.key: str(c.label) for c in COLUMNS}  # the template escaped them itself
    expected = REFERENCE.render(
        Context({"rows": ROWS, "show": shown, "labels": names, "more_tags_title": more})
    )
    printed = "".join("\n" + row_cells(row, shown, labels, more) for row in ROWS)
    assert printed == expected
