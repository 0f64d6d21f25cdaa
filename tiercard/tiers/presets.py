"""The two ladders offered out of the box. Thresholds are CNY over a rolling 12 months.

* ``default_ladder()`` 基础级 / 标准级 / 高级 / VIP级: spend and order count, recency for the
  upper two; VIP can also be reached by one large order.
* ``card_ladder()`` 普通会员 / 银卡 / 金卡 / 钻石: growth value (成长值) only, the usual
  Chinese membership-card scheme.
"""

from __future__ import annotations

from tiercard.tiers.criteria import all_of, any_of, leaf
from tiercard.tiers.ladder import Ladder, Tier
from tiercard.tiers.metrics import Metric

SPEND, ORDERS, GROWTH = Metric.SPEND, Metric.ORDER_COUNT, Metric.GROWTH_VALUE
MAX_ORDER, RECENCY = Metric.MAX_ORDER, Metric.DAYS_SINCE_LAST_PURCHASE


def default_ladder() -> Ladder:
    return Ladder(
        (
            Tier("basic", 10, "基础级", "Basic", "#9E9E9E"),
            Tier(
                "standard",
                20,
                "标准级",
                "Standard",
                "#4A90D9",
                all_of(leaf(SPEND, ">=", "2000"), leaf(ORDERS, ">=", 2)),
            ),
            Tier(
                "premium",
                30,
                "高级",
                "Premium",
                "#8E44AD",
                all_of(leaf(SPEND, ">=", "8000"), leaf(ORDERS, ">=", 4), leaf(RECENCY, "<=", 180)),
            ),
            Tier(
                "vip",
                40,
                "VIP级",
                "VIP",
                "#D4AF37",
                any_of(
                    all_of(
                        leaf(SPEND, ">=", "20000"), leaf(ORDERS, ">=", 8), leaf(RECENCY, "<=", 90)
                    ),
                    leaf(MAX_ORDER, ">=", "10000"),
                ),
            ),
        )
    )


def card_ladder() -> Ladder:
    return Ladder(
        (
            Tier("member", 10, "普通会员", "Member", "#8D8D8D"),
            Tier("silver", 20, "银卡", "Silver", "#C0C0C0", leaf(GROWTH, ">=", 1000)),
            Tier("gold", 30, "金卡", "Gold", "#D4AF37", leaf(GROWTH, ">=", 5000)),
            Tier("diamond", 40, "钻石", "Diamond", "#4FC3F7", leaf(GROWTH, ">=", 20000)),
        )
    )


PRESETS = {"default": default_ladder, "card": card_ladder}
"""Preset name -> factory; each call builds a fresh, validated ``Ladder``."""
