"""Programme rules as sentences a person reads: criteria, windows, policies, points, benefits.

``criteria_text`` gives e.g. ``近12个月消费 ≥ ¥2,000 且 订单数 ≥ 2``; the window is named once,
on the first condition that counts over it. Pure formatting over the rule objects: no queries.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tiercard.cards import display
from tiercard.tiers.benefits import Benefits, Quota
from tiercard.tiers.campaigns import Campaign
from tiercard.tiers.criteria import Criterion, Group, Leaf, Op
from tiercard.tiers.earning import Expiry, PointsRules
from tiercard.tiers.ladder import Ladder
from tiercard.tiers.metrics import Metric, Value
from tiercard.tiers.policy import DowngradePolicy, Landing
from tiercard.tiers.window import Period, Window, WindowKind

OPS = {Op.GE: "≥", Op.GT: ">", Op.LE: "≤", Op.LT: "<"}


def window_text(window: Window) -> str:
    """``近12个月`` / ``本年度`` — the span tier figures are counted over."""
    if window.kind is WindowKind.ROLLING:
        return ngettext(
            "the last %(months)d month", "the last %(months)d months", window.months
        ) % {"months": window.months}
    return {
        Period.MONTH: _("this month"),
        Period.QUARTER: _("this quarter"),
        Period.YEAR: _("this year"),
    }[window.period]


def metric_label(metric: Metric, window: Window | None = None) -> str:
    """The figure's name; with ``window``, the window is part of it (``近12个月消费``)."""
    plain = {
        Metric.SPEND: _("spend"),
        Metric.ORDER_COUNT: _("orders"),
        Metric.GROWTH_VALUE: _("growth value"),
        Metric.MAX_ORDER: _("largest single order"),
        Metric.DAYS_SINCE_LAST_PURCHASE: _("days since the last purchase"),
    }[metric]
    if window is None or metric is Metric.DAYS_SINCE_LAST_PURCHASE:
        return capital(plain)
    return capital(_("%(label)s in %(window)s") % {"label": plain, "window": window_text(window)})


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def value_text(metric: Metric, value: Value | None) -> str:
    """A figure or threshold in its unit: ``¥2,000.00``, ``3``, ``90 days``."""
    if value is None:
        return _("never bought")
    if metric.is_money:
        return display.money(Decimal(value))
    if metric is Metric.DAYS_SINCE_LAST_PURCHASE:
        return ngettext("%(n)s day", "%(n)s days", int(value)) % {"n": f"{int(value):,}"}
    return f"{int(value):,}"


def short_money(value: Decimal) -> str:
    """``¥2,000`` for a round threshold, ``¥2,000.50`` otherwise."""
    text = display.money(value)
    return text[:-3] if text.endswith(".00") else text


def leaf_text(leaf: Leaf, window: Window | None = None) -> str:
    threshold = (
        short_money(Decimal(leaf.threshold))
        if leaf.metric.is_money
        else value_text(leaf.metric, leaf.threshold)
    )
    return f"{metric_label(leaf.metric, window)} {OPS[leaf.op]} {threshold}"


def criteria_text(criterion: Criterion | None, window: Window) -> str:
    """The whole condition tree in one line, groups in brackets, the window named once."""
    if criterion is None:
        return _("No conditions: every customer qualifies.")
    named = [False]
    return _tree(criterion, window, named, top=True)


def _tree(criterion: Criterion, window: Window, named: list[bool], *, top: bool) -> str:
    if isinstance(criterion, Leaf):
        windowed = criterion.metric is not Metric.DAYS_SINCE_LAST_PURCHASE
        use = window if windowed and not named[0] else None
        if use is not None:
            named[0] = True
        return leaf_text(criterion, use)
    joiner = _(" and ") if criterion.kind is Group.ALL else _(" or ")
    parts = [_tree(child, window, named, top=False) for child in criterion.children]
    text = joiner.join(parts)
    return text if top or len(parts) == 1 else f"({text})"


def policy_text(policy: DowngradePolicy, warning_days: int) -> list[str]:
    landing = {
        Landing.ONE_STEP: _("A downgrade moves one tier down at a time."),
        Landing.QUALIFIED: _("A downgrade moves straight to the tier the figures qualify for."),
    }[policy.landing]
    return [
        _("Upgrades happen at once, on the purchase that qualifies."),
        ngettext(
            "Protected for %(n)d month after an upgrade.",
            "Protected for %(n)d months after an upgrade.",
            policy.protected_months,
        )
        % {"n": policy.protected_months},
        ngettext(
            "A grace of %(n)d month below the tier before a downgrade.",
            "A grace of %(n)d months below the tier before a downgrade.",
            policy.grace_months,
        )
        % {"n": policy.grace_months},
        landing,
        ngettext(
            "The customer is warned %(n)d day before a downgrade.",
            "The customer is warned %(n)d days before a downgrade.",
            warning_days,
        )
        % {"n": warning_days},
    ]


def points_text(rules: PointsRules, ladder: Ladder | None = None) -> list[str]:
    """The points rules in sentences; the campaigns by name, their tiers named from ``ladder``."""
    expiry = {
        Expiry.NEVER: _("Points never expire."),
        Expiry.AFTER_DAYS: _("Points expire %(n)d days after they are earned."),
        Expiry.END_OF_MONTH: _(
            "Points expire at the end of the month, %(n)d month(s) after they are earned."
        ),
        Expiry.END_OF_YEAR: _(
            "Points expire at the end of the year, %(n)d year(s) after they are earned."
        ),
    }[rules.expiry] % {"n": rules.expiry_after}
    return [
        _("%(points)s points per ¥1 spent, times the tier's multiplier.")
        % {"points": _number(rules.per_yuan)},
        _("%(growth)s growth value per ¥1 spent.") % {"growth": _number(rules.growth_per_yuan)},
        _("×%(bonus)s in the birthday month.") % {"bonus": _number(rules.birthday_multiplier)},
        *[campaign_text(c, ladder) for c in rules.campaigns],
        *([_("Bonuses do not add up: the largest one applies.")] if rules.campaigns else []),
        expiry,
        _("One point is worth ¥%(value)s when redeemed.") % {"value": _number(rules.point_value)},
    ]


def campaign_text(campaign: Campaign, ladder: Ladder | None = None) -> str:
    values = {
        "name": campaign.name,
        "starts": campaign.starts.isoformat(),
        "ends": campaign.ends.isoformat(),
        "bonus": _number(campaign.multiplier),
    }
    if not campaign.tiers:
        return _("Campaign “%(name)s”: ×%(bonus)s from %(starts)s to %(ends)s.") % values
    names = (
        {t.code: (t.name_zh if display.chinese_ui() else t.name_en) for t in ladder.tiers}
        if ladder
        else {}
    )
    tiers = "、".join(names.get(code) or code for code in campaign.tiers)
    return _("Campaign “%(name)s”: ×%(bonus)s from %(starts)s to %(ends)s, for %(tiers)s.") % {
        **values,
        "tiers": tiers,
    }


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def quota_text(quota: Quota) -> str:
    name = quota.name_zh if display.chinese_ui() else quota.name_en
    return {
        Period.MONTH: _("%(name)s: %(limit)d per month"),
        Period.QUARTER: _("%(name)s: %(limit)d per quarter"),
        Period.YEAR: _("%(name)s: %(limit)d per year"),
    }[quota.period] % {"name": name, "limit": quota.limit}


def period_text(period: Period) -> str:
    return {
        Period.MONTH: _("per month"),
        Period.QUARTER: _("per quarter"),
        Period.YEAR: _("per year"),
    }[period]


def benefit_facts(benefits: Benefits) -> list[str]:
    """Every benefit of a tier except the quotas, one short line each."""
    facts = []
    if benefits.discount_percent:
        facts.append(_("%(n)s%% off") % {"n": _number(benefits.discount_percent)})
    if benefits.points_multiplier != 1:
        facts.append(_("Points ×%(n)s") % {"n": _number(benefits.points_multiplier)})
    if benefits.birthday_gift:
        facts.append(_("Birthday gift: %(gift)s") % {"gift": benefits.birthday_gift})
    if benefits.dedicated_manager:
        facts.append(_("Dedicated account manager"))
    if benefits.response_hours:
        facts.append(
            ngettext(
                "Service response within %(n)d hour",
                "Service response within %(n)d hours",
                benefits.response_hours,
            )
            % {"n": benefits.response_hours}
        )
    if benefits.follow_up_days:
        facts.append(
            ngettext(
                "Follow-up every %(n)d day",
                "Follow-up every %(n)d days",
                benefits.follow_up_days,
            )
            % {"n": benefits.follow_up_days}
        )
    if benefits.priority_booking:
        facts.append(_("Priority booking"))
    return facts
