"""Tier grading: the upgrade on a purchase, and the scheduled set-based review.

Rules (``tiers.policy`` is the reference, these functions apply it):

* Upgrades happen at once. The checkout adds a purchase to the window figures first and then
  calls ``tier_after_activity``, so the purchase that crosses a threshold is itself part of the
  qualifying figures; it is called before points are earned, so that purchase earns at the
  *new* tier's multiplier. A purchase never lowers a tier.
* Downgrades happen only at the daily review (``tiers_review``), under the programme's
  ``DowngradePolicy``: not while a manual lock is active (``lock_until >= today``), not within
  ``protected_months`` of the last upgrade, not within ``grace_months`` of falling below; then
  one step down or straight to the qualified tier. Months are whole calendar months
  (``tier_sql.whole_months``). A review moves a customer down at most once a day.
* Falling below starts ``below_since``: set by the nightly roll for the rows whose figures it
  lowered (``window.window_roll``), by the first review that sees it for the others (a
  return, a cleared override); qualifying again clears it. After a one-step downgrade that
  still leaves the customer below their new tier, ``below_since`` restarts at the day of the
  downgrade: each further step waits a new grace.
* ``warning_days`` before a planned downgrade a ``downgrade_warning`` message is queued, once
  per planned date (``warned_for`` holds the date warned about; the outbox key is unique).
  Customers below their tier are warned by the chunks; customers who will fall below soon
  enough that a grace shorter than the warning cannot cover it, by ``forecast.forecast_warn``
  after the chunks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

from django.db import models, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from tiercard.accounts.models import User
from tiercard.audit.services import audit_record
from tiercard.core import rows
from tiercard.loyalty.models import ChangeReason, Membership, ReviewMark, TierChange
from tiercard.loyalty.services.announce import announce_changes
from tiercard.loyalty.services.checkout_rules import (
    RECOVERED_FIELDS,
    UPGRADE_FIELDS,
    TierStep,
    apply_tier_step,
    tier_step,
    upgrade_payload,
)
from tiercard.loyalty.services.downgrade_warnings import warnings_queue
from tiercard.loyalty.services.forecast import forecast_warn
from tiercard.loyalty.services.review_marks import review_marks_clear
from tiercard.loyalty.services.state import Active, active_programme, metrics_snapshot
from tiercard.loyalty.services.tier_sql import (
    COLUMNS,
    and_q,
    at_least,
    below_held_q,
    const,
    ids_in,
    insert_select,
    may_downgrade_q,
    metrics_json,
    not_q,
)
from tiercard.loyalty.services.window import window_exclusive_lock
from tiercard.outbox.models import MessageKind, OutboxMessage
from tiercard.sales.models import Purchase
from tiercard.tiers.ladder import Ladder, recency_spans
from tiercard.tiers.policy import Landing
from tiercard.tiers.sql import tier_case

CHUNK = 5000
"""Rows reviewed per transaction: row locks stay short beside live purchases."""


# --- On a purchase ----------------------------------------------------------------------------


def tier_after_activity(
    *,
    row: Membership,
    active: Active,
    today: dt.date,
    actor: User | None,
    purchase: Purchase | None,
    also_save: Sequence[str] = (),
    step: TierStep | None = None,
) -> TierChange | None:
    """Upgrade ``row`` (locked, figures already updated) if it now qualifies higher.

    Returns the ``TierChange`` written (reason ``auto_upgrade``), or ``None`` when the tier
    stays. Queues a ``tier_upgrade`` outbox message in the same transaction. ``also_save``
    names columns the caller changed on ``row``: they are written in the same UPDATE as the
    tier (one statement per purchase, upgrade or not). The decision itself is
    ``checkout_rules.tier_step``, shared with the bulk purchase import; ``step`` is that
    decision when the caller has already taken it on the row as it is now.
    """
    step = step or tier_step(row, active.programme.ladder, today)
    now = timezone.now()
    previous = row.tier
    apply_tier_step(row, step, now=now, version=active.version)
    if step.to_tier is None:
        if also_save or step.recovered:
            extra = list(RECOVERED_FIELDS) if step.recovered else []
            rows.update_later(row, [*also_save, *extra, "updated_at"])
        return None
    rows.update_later(row, [*also_save, *UPGRADE_FIELDS, "updated_at"])
    change = rows.insert(
        TierChange(
            customer_id=row.customer_id,
            at=now,
            effective_on=today,
            from_tier=previous,
            to_tier=step.to_tier,
            reason=ChangeReason.AUTO_UPGRADE,
            ladder_version=active.version,
            metrics=metrics_snapshot(step.metrics),
            purchase=purchase,
            actor=actor if actor is not None and actor.pk else None,
        )
    )
    rows.insert(
        OutboxMessage(
            key=f"tier_upgrade:{change.pk}",
            kind=MessageKind.TIER_UPGRADE,
            customer_id=row.customer_id,
            payload=upgrade_payload(
                change_id=change.pk,
                from_tier=previous,
                to_tier=step.to_tier,
                today=today,
                version=active.version,
            ),
        )
    )
    return change


# --- The daily review -------------------------------------------------------------------------


@dataclass
class ReviewReport:
    """What one review run did (counts of membership rows)."""

    today: dt.date
    candidates: int = 0
    upgraded: int = 0
    downgraded: int = 0
    fell_below: int = 0
    recovered: int = 0
    warned: int = 0
    warned_ahead: int = 0
    locks_expired: int = 0

    @property
    def changed(self) -> bool:
        return any((self.upgraded, self.downgraded, self.warned, self.locks_expired))


def recency_lapse_dates(ladder: Ladder, today: dt.date) -> list[dt.date]:
    """``last_purchase_on`` values whose recency condition held yesterday and fails today:
    ``today`` minus each of the ladder's ``recency_spans``. Only these rows can drop on the
    date alone."""
    return sorted(today - dt.timedelta(days=span) for span in recency_spans(ladder))


def candidate_ids(active: Active, today: dt.date) -> list[int]:
    """Rows the daily review must look at; each query runs on its own (partial) index."""
    rows = Membership.objects.order_by()
    ids: set[int] = set()
    ids.update(ReviewMark.objects.values_list("customer_id", flat=True))
    # Below their tier: only rows whose downgrade (or its warning) can fall due by today. The
    # grace runs ``grace_months`` calendar months, at least 28 days each, so a row that fell
    # below later than the cut-off cannot be due yet; rows early in their grace are not read
    # every night (they used to be: the candidates grew with every day of a long grace).
    # A customer who qualifies again recovers at the purchase that does it
    # (``tier_after_activity``), not at the review.
    programme = active.programme
    cutoff = today + dt.timedelta(days=programme.warning_days - 28 * programme.policy.grace_months)
    ids.update(
        rows.filter(below_since__isnull=False, below_since__lte=cutoff).values_list("pk", flat=True)
    )
    ids.update(
        rows.filter(lock_until__isnull=False, lock_until__lt=today).values_list("pk", flat=True)
    )
    lapse = recency_lapse_dates(active.programme.ladder, today)
    if lapse:
        ids.update(rows.filter(last_purchase_on__in=lapse).values_list("pk", flat=True))
    return sorted(ids)


def _all_id_chunks() -> Iterator[list[int]]:
    last = 0
    while True:
        chunk = list(
            Membership.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:CHUNK]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def tiers_review(*, today: dt.date, actor: User | None = None, full: bool = False) -> ReviewReport:
    """The scheduled review: set-based, in chunks of ``CHUNK`` rows, one transaction each.

    Candidates: rows marked for review (``review_marks``), rows below their tier, rows whose
    lock expired, rows whose recency condition lapses today; every row with ``full``. A second
    run the same day changes nothing. A day the review did not run is caught up by running it
    with ``full`` (recency lapses are only detected on the day they happen).
    """
    active = active_programme()
    report = ReviewReport(today)
    if full:
        chunks: Iterator[list[int]] = _all_id_chunks()
    else:
        ids = candidate_ids(active, today)
        chunks = iter([ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)])
    for chunk in chunks:
        report.candidates += len(chunk)
        with transaction.atomic():
            # The window row exclusively first (see ``_Review.run``), then the programme as it
            # is now: a rule change applied while this chunk waited (it holds the window row
            # too) has moved every customer already, and the chunk grades under it.
            window_exclusive_lock()
            _Review(active_programme(), today, actor, chunk, report).run()
    # After the chunks: rows they moved below their tier are the review's to warn.
    report.warned_ahead, _cleared = forecast_warn(today)
    report.warned += report.warned_ahead
    if report.changed:
        changes = {k: v for k, v in asdict(report).items() if k != "today"}
        audit_record(
            actor=actor,
            action="tiers_review",
            object_type="loyalty.membership",
            changes=changes,
            note=today.isoformat(),
        )
    return report


class _Review:
    """One chunk of the review. Statement order matters; see ``run``."""

    def __init__(
        self,
        active: Active,
        today: dt.date,
        actor: User | None,
        ids: list[int],
        report: ReviewReport,
    ) -> None:
        self.active, self.today, self.report = active, today, report
        self.ladder = active.programme.ladder
        self.policy = active.programme.policy
        self.actor_id = actor.pk if actor is not None and actor.pk else None
        self.ids = ids
        self.now = timezone.now()
        self.codes = [t.code for t in self.ladder.tiers]

    def rows(self, ids: list[int] | None = None) -> QuerySet[Membership]:
        return Membership.objects.filter(ids_in(Membership, ids if ids is not None else self.ids))

    def run(self) -> None:
        # Called holding the window row exclusively (PostgreSQL; SQLite's IMMEDIATE
        # transaction already serialises writers): every writer that changes a member's
        # figures or marks it (purchases, returns, overrides) holds it shared, so none can
        # commit between this chunk's read and its deleting the chunk's marks; a mark set
        # meanwhile on a row the chunk did not lock would be deleted unseen. Then the rows some
        # step may change are locked, in primary-key order (the lock order of every membership
        # writer: window row, then rows by key). Only those rows are looked at again: most
        # candidates keep their tier, and each step probing every one of them by key cost
        # more than the changes themselves.
        chunk = self.ids
        self.ids = list(
            self.rows()
            .filter(self.acts_q())
            .select_for_update()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if self.ids:
            self.expire_locks()
            self.upgrade()
            self.recover()
            self.fall_below()
            self.downgrade()
            self.warn()
        review_marks_clear(chunk)

    # Each decision of ``policy.review`` as a Q over the row's held tier and figures.

    def acts_q(self) -> Q:
        """Rows some step of ``run`` may change, judged before the first step: a superset of
        each step's own filter. A lock to expire; an upgrade (``up_q``); a grace to end, with
        its warning (recover); a row below its tier (fall below, downgrade, warn). A warning
        given ahead of a fall (``below_since`` NULL) is the forecast's to keep or withdraw.
        The steps only change rows of this set (an upgraded row was in ``up_q``; below rows
        are set), so what they see of the others cannot change between the steps."""
        return (
            Q(lock_until__lt=self.today)
            | Q(below_since__isnull=False)
            | self.up_q()
            | self.below_q()
        )

    def held_at_least(self, offset: int) -> Q:
        """Rows qualifying for their held tier's index + ``offset`` or higher."""
        q = Q(pk__in=[])
        for i, code in enumerate(self.codes):
            if i + offset >= len(self.codes):
                continue
            q |= and_q(Q(tier=code), at_least(self.ladder, i + offset, self.today))
        return q

    def up_q(self) -> Q:
        return self.held_at_least(1) | ~Q(tier__in=self.codes)

    def kept_q(self) -> Q:
        return self.held_at_least(0) & ~self.held_at_least(1)

    def below_q(self) -> Q:
        return below_held_q(self.ladder, self.today)

    def may_downgrade_on(self, day: dt.date) -> Q:
        """Below rows that the policy lets go down on ``day`` (lock, protection, grace)."""
        return may_downgrade_q(self.policy, day)

    def landing(self) -> Case:
        if self.policy.landing is Landing.QUALIFIED:
            return tier_case(self.ladder, COLUMNS, today=self.today)
        whens = [
            When(tier=code, then=Value(self.codes[i - 1])) for i, code in enumerate(self.codes) if i
        ]
        return Case(*whens, default=F("tier"), output_field=models.CharField())

    def change_columns(self, to_tier: Case, reason: str) -> dict[str, object]:
        return {
            "customer": F("customer_id"),
            "at": const(self.now, models.DateTimeField()),
            "effective_on": const(self.today, models.DateField()),
            "from_tier": F("tier"),
            "to_tier": to_tier,
            "reason": const(reason, models.CharField()),
            "ladder_version": const(self.active.version, models.IntegerField()),
            "metrics": metrics_json(self.today),
            "purchase": const(None, models.IntegerField()),
            "actor": const(self.actor_id, models.IntegerField()),
            "note": const("", models.CharField()),
        }

    def announce(self, reason: str, kind: str) -> None:
        """One outbox message per change of ``reason`` just written for this chunk."""
        changes = TierChange.objects.filter(
            ids_in(TierChange, self.ids), at=self.now, reason=reason, effective_on=self.today
        )
        announce_changes(changes, kind, self.now)

    def expire_locks(self) -> None:
        self.report.locks_expired += (
            self.rows()
            .filter(lock_until__lt=self.today)
            .update(
                lock_until=None, override_reason="", override_by=None, override_approved_by=None
            )
        )

    def upgrade(self) -> None:
        qualified = tier_case(self.ladder, COLUMNS, today=self.today)
        chosen = self.rows().filter(self.up_q())
        columns = self.change_columns(qualified, ChangeReason.REVIEW_UPGRADE)
        if not insert_select(TierChange, chosen, columns):
            return
        self.announce(ChangeReason.REVIEW_UPGRADE, MessageKind.TIER_UPGRADE)
        self.report.upgraded += chosen.update(
            tier=qualified,
            tier_since=self.now,
            upgraded_at=self.now,
            below_since=None,
            warned_for=None,
            ladder_version=self.active.version,
            updated_at=self.now,
        )

    def recover(self) -> None:
        self.report.recovered += (
            self.rows()
            .filter(self.kept_q(), below_since__isnull=False)
            .update(below_since=None, warned_for=None)
        )

    def fall_below(self) -> None:
        self.report.fell_below += (
            self.rows()
            .filter(self.below_q(), below_since__isnull=True)
            .update(below_since=self.today)
        )

    def downgrade(self) -> None:
        stepped_today = TierChange.objects.filter(
            customer_id=OuterRef("pk"),
            effective_on=self.today,
            reason=ChangeReason.REVIEW_DOWNGRADE,
        )
        ids = list(
            self.rows()
            .filter(self.below_q() & self.may_downgrade_on(self.today))
            .filter(~Exists(stepped_today))
            .values_list("pk", flat=True)
        )
        if not ids:
            return
        target = self.landing()
        columns = self.change_columns(target, ChangeReason.REVIEW_DOWNGRADE)
        insert_select(TierChange, self.rows(ids), columns)
        self.announce(ChangeReason.REVIEW_DOWNGRADE, MessageKind.TIER_DOWNGRADE)
        # Still below the tier landed on: a new grace starts today (SET sees the old tier).
        still_below = Q(pk__in=[])
        if self.policy.landing is Landing.ONE_STEP:
            for i, code in enumerate(self.codes[2:], start=2):
                still_below |= Q(tier=code) & not_q(at_least(self.ladder, i - 1, self.today))
        self.report.downgraded += self.rows(ids).update(
            tier=target,
            tier_since=self.now,
            below_since=Case(
                When(still_below, then=Value(self.today)),
                default=None,
                output_field=models.DateField(),
            ),
            warned_for=None,
            ladder_version=self.active.version,
            updated_at=self.now,
        )

    def warn(self) -> None:
        days = self.active.programme.warning_days
        if not days:
            return
        horizon = [self.today + dt.timedelta(days=n) for n in range(1, days + 1)]
        near = list(
            self.rows()
            .filter(below_since__isnull=False)
            .filter(self.below_q() & self.may_downgrade_on(horizon[-1]))
            .values_list("pk", flat=True)
        )
        if not near:
            return
        self.report.warned += warnings_queue(
            self.rows(near),
            [(self.may_downgrade_on(day), day) for day in horizon],
            to_tier=self.landing(),
            version=self.active.version,
            now=self.now,
        )
