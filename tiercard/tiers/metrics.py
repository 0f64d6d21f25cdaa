"""What one customer did in a window: the figures tier criteria are evaluated against.

Money is ``Decimal`` (never float), counts are ``int``. ``days_since_last_purchase`` is ``None``
when the customer never bought anything; criteria treat ``None`` as "infinitely long ago".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Metric(StrEnum):
    """The figures a criterion may test. Values are the ``Metrics`` attribute names."""

    SPEND = "spend"
    ORDER_COUNT = "order_count"
    GROWTH_VALUE = "growth_value"
    MAX_ORDER = "max_order"
    DAYS_SINCE_LAST_PURCHASE = "days_since_last_purchase"

    @property
    def is_money(self) -> bool:
        """Money metrics take Decimal thresholds with at most 2 decimals; the others ints."""
        return self in (Metric.SPEND, Metric.MAX_ORDER)

    @property
    def lower_is_better(self) -> bool:
        """Recency rewards a *small* value; every other metric rewards a large one."""
        return self is Metric.DAYS_SINCE_LAST_PURCHASE


Value = Decimal | int


@dataclass(frozen=True)
class Metrics:
    """One customer's figures over one window.

    Invariants (checked on construction, a violation is a programming error): money fields
    are ``Decimal``, count fields are ``int`` (not ``bool``), ``order_count >= 0`` and
    ``days_since_last_purchase`` is ``None`` or ``>= 0``. Spend and growth value may be
    negative after returns of purchases outside the window; such a customer simply meets no
    threshold.
    """

    spend: Decimal = Decimal("0")
    order_count: int = 0
    growth_value: int = 0
    max_order: Decimal = Decimal("0")
    days_since_last_purchase: int | None = None

    def __post_init__(self) -> None:
        for name in ("spend", "max_order"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise TypeError(f"{name} must be a finite Decimal, got {value!r}")
        for name in ("order_count", "growth_value", "days_since_last_purchase"):
            value = getattr(self, name)
            if value is None and name == "days_since_last_purchase":
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, got {value!r}")
        if self.order_count < 0:
            raise ValueError("order_count must be >= 0")
        if self.days_since_last_purchase is not None and self.days_since_last_purchase < 0:
            raise ValueError("days_since_last_purchase must be >= 0")

    def value(self, metric: Metric) -> Value | None:
        """The figure ``metric`` names; ``None`` only for a customer who never bought."""
        value: Value | None = getattr(self, metric.value)
        return value
