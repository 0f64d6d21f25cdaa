"""What the programme form shows for its choices, its fields and the service's messages.

Invariants: every key is a value the programme document uses (an ``Op``, a ``Metric``, a
``Period``, a field name or a service error code), never a position; every text is lazy, so it
is rendered in the language of the request that shows it. A choice missing from these tables is
"unknown" to the form (shown as typed beside its error), which is why ``parsing`` marks inputs
against them.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext_lazy

from tiercard.tiers.criteria import Op
from tiercard.tiers.metrics import Metric
from tiercard.tiers.window import Period

OP_LABELS: dict[str, Promise] = {
    Op.GE.value: gettext_lazy("at least (≥)"),
    Op.GT.value: gettext_lazy("more than (>)"),
    Op.LE.value: gettext_lazy("at most (≤)"),
    Op.LT.value: gettext_lazy("less than (<)"),
}
METRIC_LABELS: dict[str, Promise] = {
    Metric.SPEND.value: gettext_lazy("Spend (¥)"),
    Metric.ORDER_COUNT.value: gettext_lazy("Number of orders"),
    Metric.GROWTH_VALUE.value: gettext_lazy("Growth value"),
    Metric.MAX_ORDER.value: gettext_lazy("Largest single order (¥)"),
    Metric.DAYS_SINCE_LAST_PURCHASE.value: gettext_lazy("Days since the last purchase"),
}
UNITS: dict[str, Promise] = {
    Metric.SPEND.value: pgettext_lazy("unit", "yuan"),
    Metric.ORDER_COUNT.value: pgettext_lazy("unit", "orders"),
    Metric.GROWTH_VALUE.value: pgettext_lazy("unit", "growth"),
    Metric.MAX_ORDER.value: pgettext_lazy("unit", "yuan"),
    Metric.DAYS_SINCE_LAST_PURCHASE.value: pgettext_lazy("unit", "days"),
}
PERIOD_LABELS: dict[str, Promise] = {
    Period.MONTH.value: gettext_lazy("per month"),
    Period.QUARTER.value: gettext_lazy("per quarter"),
    Period.YEAR.value: gettext_lazy("per year"),
}
WINDOW_PERIOD_LABELS: dict[str, Promise] = {
    Period.MONTH.value: gettext_lazy("Calendar month"),
    Period.QUARTER.value: gettext_lazy("Calendar quarter"),
    Period.YEAR.value: gettext_lazy("Calendar year"),
}
# Messages written for JSON authors, said the way a form user understands them (by code).
FORM_MESSAGES: dict[str, Promise] = {
    "not_a_number": gettext_lazy("Enter a number, e.g. 5000."),
    "unknown_metric": gettext_lazy("Choose a figure from the list."),
    "unknown_operator": gettext_lazy("Choose a comparison from the list."),
    "unknown_landing": gettext_lazy("Choose one of the options."),
    "unknown_period": gettext_lazy("Choose one of the options."),
    "unknown_window": gettext_lazy("Choose one of the options."),
    "bad_code": gettext_lazy(
        "Use 1–32 lower-case letters, digits or underscores, starting with a letter."
    ),
}
FIELD_LABELS: dict[str, Promise] = {
    "window_kind": gettext_lazy("Counting window"),
    "window_months": gettext_lazy("Months counted"),
    "window_period": gettext_lazy("Calendar period"),
    "protected_months": gettext_lazy("Protected months after an upgrade"),
    "grace_months": gettext_lazy("Grace months before a downgrade"),
    "landing": gettext_lazy("A downgrade moves"),
    "warning_days": gettext_lazy("Warning days before a downgrade"),
    "note": gettext_lazy("Note"),
    "rank": gettext_lazy("Rank"),
    "code": gettext_lazy("Code"),
    "name_zh": gettext_lazy("Chinese name"),
    "name_en": gettext_lazy("English name"),
    "colour": gettext_lazy("Colour"),
    "metric": gettext_lazy("Figure"),
    "op": gettext_lazy("Comparison"),
    "threshold": gettext_lazy("Threshold"),
    "discount_percent": gettext_lazy("Discount (percent off)"),
    "points_multiplier": gettext_lazy("Points multiplier"),
    "birthday_gift": gettext_lazy("Birthday gift"),
    "dedicated_manager": gettext_lazy("Dedicated account manager"),
    "response_hours": gettext_lazy("Service response (hours)"),
    "follow_up_days": gettext_lazy("Follow-up every (days)"),
    "priority_booking": gettext_lazy("Priority booking"),
    "limit": gettext_lazy("Times"),
    "period": gettext_lazy("Period"),
    "criteria": gettext_lazy("Criteria"),
    "quotas": gettext_lazy("Quotas"),
}
