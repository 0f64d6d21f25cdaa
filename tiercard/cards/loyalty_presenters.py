"""What the loyalty pages show: tiers, points, rewards and benefits, labelled and formatted.

Templates only print these values. The figures come from the loyalty selectors (scoped to the
viewer); names of tiers and rewards are taken in the page's language; nothing here decides a
rule or a right (rights come from ``accounts.policy``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from tiercard.accounts import policy
from tiercard.accounts.models import User
from tiercard.cards import display
from tiercard.cards import loyalty_text as text
from tiercard.core.bilingual import localised as localised  # where callers look for it
from tiercard.loyalty.models import (
    ChangeReason,
    EntryKind,
    OverrideRequest,
    PointsEntry,
    Reward,
    TierChange,
)
from tiercard.loyalty.selectors.benefits import CustomerBenefits
from tiercard.loyalty.selectors.points import (
    HORIZONS,
    PointsForecast,
    PointsLiability,
    PointsSummary,
    RewardOffer,
)
from tiercard.loyalty.selectors.tiers import TierStatus
from tiercard.sales.models import Purchase
from tiercard.tiers.benefits import Benefits
from tiercard.tiers.criteria import Criterion, Group, Leaf, Node
from tiercard.tiers.evaluation import Explanation, LeafResult
from tiercard.tiers.ladder import Ladder, Tier
from tiercard.tiers.metrics import Metric, Value
from tiercard.tiers.progress import Gap, LeafGap, Progress
from tiercard.tiers.window import Window

LEDGER_ROWS = 8


def points_text(points: int) -> str:
    """``1,234`` — points are whole numbers, grouped like money."""
    return f"{points:,}"


def signed_points(points: int) -> str:
    return f"+{points:,}" if points > 0 else f"−{abs(points):,}"


def tier_name(tier: Tier) -> str:
    return localised(tier.name_zh, tier.name_en)


@dataclass(frozen=True)
class Abilities:
    """What the viewer may do in the loyalty panels, straight from the policy."""

    redeem: bool
    record_return: bool
    adjust: bool
    override: bool
    request_override: bool  # ask for an override someone else approves (sales reps)
    use_benefit: bool

    @classmethod
    def of(cls, user: User) -> Abilities:
        counter = policy.can_record_purchase(user)
        return cls(
            redeem=counter,
            record_return=counter,
            adjust=policy.can_adjust_points(user),
            override=policy.can_adjust_points(user),  # managers and admins, like adjustments
            request_override=policy.can_update_customers(user)
            and not policy.can_approve_overrides(user),
            use_benefit=counter,
        )


# --- Points -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Horizon:
    days: int
    points: str
    empty: bool


@dataclass(frozen=True)
class LedgerRow:
    at: dt.datetime
    kind: str
    kind_label: str
    points: str
    tone: str
    balance_after: str
    note: str
    actor: str
    id: int = 0
    reversible: bool = False  # a manual adjustment nothing has reversed yet


@dataclass(frozen=True)
class PointsPanel:
    balance: str
    usable: str
    owed: str
    overdue: str
    has_owed: bool
    has_overdue: bool
    horizons: list[Horizon]
    next_expiry: dt.date | None
    next_expiry_points: str
    ledger: list[LedgerRow]
    more_ledger: bool


def points_panel(
    summary: PointsSummary,
    entries: list[PointsEntry],
    more: bool,
    reward_names: dict[str, str] | None = None,
) -> PointsPanel:
    """``reward_names`` turns a redemption's note (the reward code) into the reward's name."""
    names = reward_names or {}
    return PointsPanel(
        balance=points_text(summary.balance),
        usable=points_text(summary.usable),
        owed=points_text(summary.owed),
        overdue=points_text(summary.overdue),
        has_owed=summary.owed > 0,
        has_overdue=summary.overdue > 0,
        horizons=[
            Horizon(days, points_text(summary.expiring[days]), not summary.expiring[days])
            for days in HORIZONS
        ],
        next_expiry=summary.next_expiry,
        next_expiry_points=points_text(summary.next_expiry_points),
        ledger=[ledger_row(e, names) for e in entries],
        more_ledger=more,
    )


def ledger_row(entry: PointsEntry, reward_names: dict[str, str]) -> LedgerRow:
    labels = dict(EntryKind.choices)
    note = entry.note
    if entry.kind == EntryKind.REDEEM:
        note = reward_names.get(note, note)
    return LedgerRow(
        at=entry.occurred_at,
        kind=entry.kind,
        kind_label=str(labels.get(entry.kind, entry.kind)),
        points=signed_points(entry.points),
        tone="good" if entry.points > 0 else "bad",
        balance_after=points_text(entry.balance_after),
        note=note,
        actor=str(entry.actor) if entry.actor_id and entry.actor else "",
        id=entry.pk,
        reversible=(
            entry.kind == EntryKind.ADJUST
            and entry.key.startswith("adjust:")  # by hand: not a transfer or a correction
            and not getattr(entry, "is_reversed", True)
        ),
    )


def reward_names(offers: list[RewardOffer]) -> dict[str, str]:
    return {o.reward.code: localised(o.reward.name_zh, o.reward.name_en) for o in offers}


def reward_choices(offers: list[RewardOffer]) -> list[tuple[str, str]]:
    """(code, "name · 500 积分") for the redeem form; rewards out of stock say so."""
    result = []
    for offer in offers:
        reward = offer.reward
        label = _("%(name)s · %(points)s points") % {
            "name": localised(reward.name_zh, reward.name_en),
            "points": points_text(reward.points_cost),
        }
        if not offer.in_stock:
            label += " · " + _("out of stock")
        result.append((reward.code, label))
    return result


@dataclass(frozen=True)
class PurchaseRow:
    """A recent purchase with what is left to return of it."""

    pk: int
    at: dt.datetime
    total: str
    returned: str
    left: str
    has_returns: bool
    returnable: bool
    summary: str


def purchase_rows(purchases: list[Purchase]) -> list[PurchaseRow]:
    rows = []
    for p in purchases:
        left = p.total - p.returned_amount
        names = [line.item_name for line in p.lines.all()]
        summary = "、".join(names[:2]) + ("…" if len(names) > 2 else "")
        rows.append(
            PurchaseRow(
                pk=p.pk,
                at=p.occurred_at,
                total=display.money(p.total),
                returned=display.money(p.returned_amount),
                left=display.money(left),
                has_returns=p.returned_amount > 0,
                returnable=left > 0,
                summary=summary,
            )
        )
    return rows


# --- Overview and catalogue -------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastRow:
    days: int
    points: str
    customers: str
    value: str


@dataclass(frozen=True)
class PointsOverview:
    points: str
    value: str
    point_value: str
    customers: str
    owed: str
    has_owed: bool
    forecast: list[ForecastRow]


def points_overview(liability: PointsLiability, forecast: PointsForecast) -> PointsOverview:
    return PointsOverview(
        points=points_text(liability.points),
        value=display.money(liability.value),
        point_value=display.money(liability.point_value)
        if liability.point_value >= Decimal("0.01")
        else str(liability.point_value),
        customers=points_text(liability.customers),
        owed=points_text(liability.owed),
        has_owed=liability.owed > 0,
        forecast=[
            ForecastRow(
                days=days,
                points=points_text(forecast.points[days]),
                customers=points_text(forecast.customers[days]),
                value=display.money(Decimal(forecast.points[days]) * liability.point_value),
            )
            for days in HORIZONS
        ],
    )


@dataclass(frozen=True)
class RewardRow:
    pk: int
    code: str
    name: str
    other_name: str
    kind_label: str
    points: str
    stock: str
    validity: str
    min_tier: str
    active: bool
    description: str


def _validity(reward: Reward) -> str:
    start, end = reward.valid_from, reward.valid_until
    if start and end:
        return f"{display.date(start)} – {display.date(end)}"
    if start:
        return _("from %(date)s") % {"date": display.date(start)}
    if end:
        return _("until %(date)s") % {"date": display.date(end)}
    return _("Always")


def reward_rows(rewards: list[Reward], ladder: Ladder) -> list[RewardRow]:
    tiers = {t.code: tier_name(t) for t in ladder.tiers}
    rows = []
    for r in rewards:
        name = localised(r.name_zh, r.name_en)
        rows.append(
            RewardRow(
                pk=r.pk,
                code=r.code,
                name=name,
                other_name=r.name_en if name == r.name_zh else r.name_zh,
                kind_label=str(r.get_kind_display()),
                points=points_text(r.points_cost),
                stock=_("Unlimited") if r.stock is None else points_text(r.stock),
                validity=_validity(r),
                min_tier=tiers.get(r.min_tier, r.min_tier) if r.min_tier else "",
                active=r.active,
                description=r.description,
            )
        )
    return rows


def tier_choices(ladder: Ladder) -> list[tuple[str, str]]:
    return [(t.code, tier_name(t)) for t in ladder.tiers]


# --- Tier -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    text: str
    actual: str
    met: bool


@dataclass(frozen=True)
class Bar:
    label: str
    actual: str
    needed: str
    percent: int
    gap: str
    met: bool


@dataclass(frozen=True)
class ProgressView:
    target: str
    target_colour: str
    route: str
    bars: list[Bar]


@dataclass(frozen=True)
class HistoryRow:
    at: dt.datetime
    from_name: str
    from_colour: str
    to_name: str
    to_colour: str
    reason: str
    actor: str
    note: str


@dataclass(frozen=True)
class TierPanel:
    version: int
    code: str
    name: str
    colour: str
    since: dt.datetime | None
    why_text: str
    why: list[Condition]
    progress: ProgressView | None
    top: bool
    keep: str
    override: list[str]
    notes: list[str]
    history: list[HistoryRow]


def condition(leaf: Leaf, actual: Value | None, met: bool, window: Window) -> Condition:
    return Condition(
        text=text.leaf_text(leaf, window),
        actual=text.value_text(leaf.metric, actual),
        met=met,
    )


def tier_panel(
    status: TierStatus, changes: list[TierChange], ladder: Ladder, window: Window, today: dt.date
) -> TierPanel:
    held = ladder.get(status.tier.code)
    why = [condition(r.leaf, r.actual, r.met, window) for r in _why_leaves(status.why)]
    return TierPanel(
        version=status.ladder_version,
        code=held.code,
        name=tier_name(held),
        colour=held.colour,
        since=status.since,
        why_text=text.criteria_text(held.criteria, window) if held.criteria else "",
        why=why,
        progress=progress_view(status.progress, window),
        top=held == ladder.highest,
        keep=keep_text(status, held == ladder.lowest),
        override=override_text(status, today),
        notes=_notes(status, ladder),
        history=[history_row(c, ladder) for c in changes],
    )


@dataclass(frozen=True)
class _LeafView:
    leaf: Leaf
    actual: Value | None
    met: bool


def _why_leaves(why: Explanation) -> list[_LeafView]:
    return [_LeafView(leaf_of(r), r.actual, r.met) for r in why.leaves()]


def leaf_of(result: LeafResult) -> Leaf:
    return Leaf(result.metric, result.op, result.threshold)


def progress_view(found: Progress | None, window: Window) -> ProgressView | None:
    """Bars along the closest route to the next tier; one bar per metric, the larger gap."""
    if found is None:
        return None
    route = _route(found.gaps)
    by_metric: dict[Metric, LeafGap] = {}
    for gap in route:
        kept = by_metric.get(gap.leaf.metric)
        if kept is None or _bigger(gap, kept):
            by_metric[gap.leaf.metric] = gap
    target = found.target
    return ProgressView(
        target=tier_name(target),
        target_colour=target.colour,
        route=text.criteria_text(_route_criteria(route), window) if len(route) > 1 else "",
        bars=[bar(g, window) for g in by_metric.values()],
    )


def _route(gap: Gap) -> list[LeafGap]:
    """Every leaf (met or not) along the closest branch of each ``any``."""
    if isinstance(gap, LeafGap):
        return [gap]
    if gap.kind is Group.ANY:
        assert gap.closest is not None
        return _route(gap.children[gap.closest])
    return [leaf for child in gap.children for leaf in _route(child)]


def _route_criteria(route: list[LeafGap]) -> Criterion:
    return Node(Group.ALL, tuple(g.leaf for g in route))


def _bigger(a: LeafGap, b: LeafGap) -> bool:
    if a.met != b.met:
        return not a.met
    if a.gap is None or b.gap is None:
        return a.gap is None and b.gap is not None
    return a.gap > b.gap


def bar(gap: LeafGap, window: Window) -> Bar:
    metric = gap.leaf.metric
    label = text.metric_label(metric, window)
    needed = text.value_text(metric, gap.leaf.threshold)
    if not gap.leaf.op.is_lower_bound:  # recency: an upper bound reads "≤ 180 days"
        needed = f"{text.OPS[gap.leaf.op]} {needed}"
    actual = text.value_text(metric, gap.actual)
    if gap.met:
        return Bar(label, actual, needed, 100, _("Reached"), True)
    if gap.gap is None:
        # Recency: no amount closes it, only a new purchase does.
        return Bar(label, actual, needed, 0, _("Needs a new purchase"), False)
    percent = int((Decimal(1) - gap.shortfall) * 100)
    missing = (
        display.money(Decimal(gap.gap)) if metric.is_money else text.value_text(metric, gap.gap)
    )
    return Bar(
        label,
        actual,
        needed,
        max(0, min(percent, 99)),
        _("%(gap)s to go") % {"gap": missing},
        False,
    )


def keep_text(status: TierStatus, lowest: bool) -> str:
    keep = status.keep
    if lowest:
        return ""
    if keep.qualifies and keep.holds_until is None:
        return _("The figures keep this tier with no end date as they stand.")
    if keep.qualifies:
        assert keep.holds_until is not None
        message = _("Without further purchases the figures keep this tier until %(date)s.") % {
            "date": display.date(keep.holds_until)
        }
        if keep.downgrade_on is not None:
            message += " " + _("The earliest downgrade would be on %(date)s.") % {
                "date": display.date(keep.downgrade_on)
            }
        return message
    message = _("The figures are below this tier.")
    if keep.downgrade_on is not None:
        message += " " + _(
            "It is kept until %(date)s at the latest unless the figures reach it again."
        ) % {"date": display.date(keep.downgrade_on - dt.timedelta(days=1))}
    return message


def override_text(status: TierStatus, today: dt.date) -> list[str]:
    """The override notice, one line each: until when, why, by whom. Empty when none holds."""
    if status.lock_until is None or status.lock_until < today:
        return []
    lines = [_("Set by hand and held until %(date)s.") % {"date": display.date(status.lock_until)}]
    if status.override_reason:
        lines.append(_("Reason: %(reason)s") % {"reason": status.override_reason})
    people = [p for p in (status.override_by, status.override_approved_by) if p]
    if people:
        lines.append(_("By %(who)s.") % {"who": " / ".join(dict.fromkeys(people))})
    return lines


def _notes(status: TierStatus, ladder: Ladder) -> list[str]:
    notes = []
    if status.qualified.code != status.tier.code:
        qualified = ladder.get(status.qualified.code)
        notes.append(_("The figures qualify for %(tier)s.") % {"tier": tier_name(qualified)})
    return notes


REASONS = dict(ChangeReason.choices)


def tier_label(code: str, ladder: Ladder) -> tuple[str, str]:
    """A tier code's name and colour; a code the active ladder lacks (an older version's)
    shows as itself in grey."""
    for tier in ladder.tiers:
        if tier.code == code:
            return tier_name(tier), tier.colour
    return code, "#9e9e9e"


def history_row(change: TierChange, ladder: Ladder) -> HistoryRow:
    from_name, from_colour = tier_label(change.from_tier, ladder) if change.from_tier else ("", "")
    to_name, to_colour = tier_label(change.to_tier, ladder)
    return HistoryRow(
        at=change.at,
        from_name=from_name,
        from_colour=from_colour,
        to_name=to_name,
        to_colour=to_colour,
        reason=str(REASONS.get(change.reason, change.reason)),
        actor=str(change.actor) if change.actor_id and change.actor else "",
        note=change.note,
    )


# --- Benefits ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaView:
    code: str
    name: str
    period: str
    limit: int
    left: int
    renews: dt.date
    key: str


@dataclass(frozen=True)
class BenefitsPanel:
    facts: list[str]
    quotas: list[QuotaView]


def benefits_panel(
    found: CustomerBenefits, benefits: Benefits, keys: Callable[[], str]
) -> BenefitsPanel:
    """Facts of the held tier and each quota with what is left this period."""
    quotas = [
        QuotaView(
            code=q.code,
            name=localised(q.name_zh, q.name_en),
            period=text.period_text(q.period)
            + " · "
            + _("renews %(date)s") % {"date": display.date(q.period_end + dt.timedelta(days=1))},
            limit=q.limit,
            left=q.remaining,
            renews=q.period_end + dt.timedelta(days=1),
            key=keys(),
        )
        for q in found.quotas
    ]
    return BenefitsPanel(facts=text.benefit_facts(benefits), quotas=quotas)


# --- Override requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingRequest:
    """A tier override request waiting for approval, as the tier panel and the approvals page
    show it, with what the viewer may do about it."""

    id: int
    customer_id: int
    customer_name: str
    tier_name: str
    tier_colour: str
    until: str
    reason: str
    by: str
    at: str
    mine: bool  # the viewer asked: may withdraw, may not decide
    may_decide: bool


def waiting_request_view(
    found: OverrideRequest | None, viewer: User, ladder: Ladder, customer_name: str = ""
) -> WaitingRequest | None:
    if found is None:
        return None
    name, colour = tier_label(found.tier, ladder)
    mine = found.requested_by_id == viewer.pk
    return WaitingRequest(
        id=found.pk,
        customer_id=found.customer_id,
        customer_name=customer_name,
        tier_name=name,
        tier_colour=colour,
        until=display.date(found.until),
        reason=found.reason,
        by=str(found.requested_by or "—"),
        at=display.datetime(found.requested_at),
        mine=mine,
        may_decide=policy.can_approve_overrides(viewer) and not mine,
    )
