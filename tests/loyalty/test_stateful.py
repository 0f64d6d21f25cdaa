"""Hypothesis stateful proof: after any sequence of purchases (also backdated), returns,
redemptions, manual adjustments, days passing (roll, review, expiry) and rule changes (thresholds
and the window's length), the stored state equals a replay from the source rows.

Checked after every step, for each of the machine's two customers:

* window figures and lifetime growth value equal a recomputation from its purchases (net of
  returns) and growth entries; growth value also equals the replay from purchases alone
  (each purchase's growth less the pro-rata share of what was returned);
* the points balance equals the sum of the ledger, every ``balance_after`` is the running
  sum, and the open lots hold exactly the balance; each purchase earned what the rules give
  at the multiplier of the tier the model says it held after the purchase; every lot expires
  30 days after it was earned and none holds points past that day;
* the tier equals a model: a purchase raises it to the qualified tier at once and never lowers
  it; a review (this programme: no grace, no protection, landing on the qualified tier) and a
  rule change set it to the qualified tier.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tiercard.core.errors import Conflict
from tiercard.core.timeutils import business_today, local_day_bounds
from tiercard.customers.models import Customer
from tiercard.customers.services import customer_create
from tiercard.loyalty.models import GrowthEntry, Membership, PointsEntry, PointsLot
from tiercard.loyalty.services.checkout import purchase_record, purchase_return
from tiercard.loyalty.services.grading import tiers_review
from tiercard.loyalty.services.ladders import ladder_apply, ladder_draft_create
from tiercard.loyalty.services.points import points_adjust
from tiercard.loyalty.services.points_expire import points_expire
from tiercard.loyalty.services.points_redeem import points_redeem
from tiercard.loyalty.services.rewards import reward_create
from tiercard.loyalty.services.state import active_programme, metrics_of, window_state
from tiercard.loyalty.services.window import window_roll
from tiercard.sales.models import Purchase
from tiercard.tiers.earning import growth_for, points_for, pro_rata
from tiercard.tiers.evaluation import qualified_tier
from tiercard.tiers.metrics import Metrics
from tiercard.tiers.programme import default_programme, dump_programme

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 1, 11, tzinfo=SHANGHAI)
keys = itertools.count()


def programme_rules(scale: int, months: int = 12) -> dict[str, object]:
    """The default ladder, thresholds × ``scale``, over a rolling window of ``months``, with a
    policy the model can follow exactly."""
    rules = dump_programme(default_programme())
    rules["policy"] = {"protected_months": 0, "grace_months": 0, "landing": "qualified"}
    rules["window"] = {"kind": "rolling", "months": months}
    rules["points"]["expiry"] = "after_days"
    rules["points"]["expiry_after"] = 30

    def scaled(node: dict) -> dict:
        if "metric" in node:
            if node["metric"] in ("spend", "max_order"):
                node = {**node, "threshold": str(Decimal(node["threshold"]) * scale)}
            return node
        return {kind: [scaled(child) for child in children] for kind, children in node.items()}

    for tier in rules["ladder"]["tiers"]:
        if tier["criteria"] is not None:
            tier["criteria"] = scaled(tier["criteria"])
    return rules


class LoyaltyMachine(RuleBasedStateMachine):
    users: dict = {}

    def __init__(self) -> None:
        super().__init__()
        # Each example in a savepoint of its own, rolled back at teardown: the examples share
        # one test database, and what one leaves behind (the window row rolled months ahead
        # by its clock, ladder versions, rewards) would change what the next one does. A step
        # that then fails in one run and not in its replay makes Hypothesis see different
        # draws (FlakyStrategyDefinition) instead of reporting the failure.
        self.example = transaction.atomic()
        self.example.__enter__()
        self.clock = time_machine.travel(START, tick=False)
        self.coordinates = self.clock.start()
        self.admin, self.rep = self.users["admin"], self.users["rep_east1"]
        self.scale = 1
        self._apply_rules(1)
        # Two customers: the set-based nightly passes must keep each one's figures apart.
        # Rules act on the current one (``switch``); invariants check both.
        self.customers = [
            customer_create(actor=self.rep, data={"name": f"顾客{next(keys)}"}) for _ in range(2)
        ]
        self.current = 0
        self.bought: list[list[int]] = [[], []]
        lowest = active_programme().programme.ladder.lowest.code
        self.model_tiers = [lowest, lowest]
        reward_create(
            actor=self.admin,
            data={
                "code": f"r{next(keys)}",
                "name_zh": "礼品",
                "name_en": "Gift",
                "points_cost": 150,
            },
        )
        self.reward = Membership._meta.apps.get_model("loyalty", "Reward").objects.latest("id")

    @property
    def customer(self) -> Customer:
        return self.customers[self.current]

    @property
    def purchases(self) -> list[int]:
        return self.bought[self.current]

    @property
    def model_tier(self) -> str:
        return self.model_tiers[self.current]

    @model_tier.setter
    def model_tier(self, code: str) -> None:
        self.model_tiers[self.current] = code

    def _each_customer(self) -> Iterator[None]:
        """Make each customer current in turn (the current one is restored after)."""
        current = self.current
        for index in range(len(self.customers)):
            self.current = index
            yield
        self.current = current

    def teardown(self) -> None:
        self.clock.stop()
        transaction.set_rollback(True)
        self.example.__exit__(None, None, None)

    # --- helpers --------------------------------------------------------------------------
    def _apply_rules(self, scale: int, months: int = 12) -> None:
        rules = programme_rules(scale, months)
        draft = ladder_draft_create(actor=self.admin, rules=rules, note="test")
        ladder_apply(actor=self.admin, version=draft.version, today=business_today())
        self.scale = scale

    def _expected_metrics(self) -> Metrics:
        start = window_state(active_programme(), business_today()).window_start
        since = local_day_bounds(start)[0]
        spend, orders, top, last = Decimal(0), 0, Decimal(0), None
        for p in Purchase.objects.filter(customer=self.customer):
            net = p.total - p.returned_amount
            if p.occurred_at >= since:
                spend += net
                orders += 1 if p.returned_amount < p.total else 0
                top = max(top, net)
            if p.returned_amount < p.total:
                day = business_today(p.occurred_at)
                last = day if last is None or day > last else last
        growth = GrowthEntry.objects.filter(customer=self.customer, occurred_on__gte=start)
        today = business_today()
        return Metrics(
            spend=spend,
            order_count=orders,
            growth_value=growth.aggregate(s=Sum("amount"))["s"] or 0,
            max_order=top,
            days_since_last_purchase=None if last is None else (today - last).days,
        )

    def _qualified(self) -> str:
        return qualified_tier(active_programme().programme.ladder, self._expected_metrics()).code

    def _row(self) -> Membership:
        return Membership.objects.get(pk=self.customer.pk)

    def _balance(self) -> int:
        row = Membership.objects.filter(pk=self.customer.pk).first()
        return 0 if row is None else row.points_balance

    def _daily_jobs(self, *, full: bool = False) -> None:
        today = business_today()
        window_roll(active_programme(), today)
        tiers_review(today=today, full=full)
        points_expire(today=today)
        for _ in self._each_customer():
            self.model_tier = self._qualified()

    # --- rules ----------------------------------------------------------------------------
    @rule(
        amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9000"), places=2),
        days_back=st.sampled_from([0, 0, 0, 3, 40, 200, 400]),
    )
    def purchase(self, amount: Decimal, days_back: int) -> None:
        at = dt.datetime.now(SHANGHAI) - dt.timedelta(days=days_back)
        data = {
            "occurred_at": at.strftime("%Y-%m-%dT%H:%M"),
            "lines": [{"item_name": "商品", "unit_price": str(amount)}],
        }
        recorded = purchase_record(actor=self.rep, customer_id=self.customer.pk, data=data)
        self.purchases.append(recorded.purchase.pk)
        programme = active_programme().programme
        ladder = programme.ladder
        qualified = ladder.get(self._qualified())
        if ladder.index(qualified) > ladder.index(self.model_tier):
            self.model_tier = qualified.code
        # Points earned: the total at the multiplier of the tier held after the purchase (no
        # birthdays here, no campaigns), recomputed from the rules, not read from the ledger.
        earned = points_for(
            programme.points,
            recorded.purchase.total,
            multiplier=programme.benefits_of(self.model_tier).points_multiplier,
            birthday=False,
        )
        entry = PointsEntry.objects.filter(key=f"purchase:{recorded.purchase.pk}:earn").first()
        assert (entry.points if entry else 0) == earned

    @precondition(lambda self: self.purchases)
    @rule(pick=st.integers(min_value=0), share=st.sampled_from(["0.3", "0.5", "1"]))
    def give_back(self, pick: int, share: str) -> None:
        purchase = Purchase.objects.get(pk=self.purchases[pick % len(self.purchases)])
        left = purchase.total - purchase.returned_amount
        amount = (left * Decimal(share)).quantize(Decimal("0.01"))
        if amount <= 0:
            return
        purchase_return(actor=self.rep, purchase_id=purchase.pk, data={"amount": str(amount)})

    @rule(quantity=st.integers(min_value=1, max_value=3))
    def redeem(self, quantity: int) -> None:
        before, cost = self._balance(), 150 * quantity

        def attempt() -> None:
            points_redeem(
                actor=self.rep,
                customer_id=self.customer.pk,
                reward_code=self.reward.code,
                quantity=quantity,
                key=f"k{next(keys)}",
            )

        if before < cost:
            with pytest.raises(Conflict) as caught:
                attempt()
            assert caught.value.code == "insufficient_points" and self._balance() == before
        else:
            attempt()
            assert self._balance() == before - cost

    @rule(points=st.integers(min_value=-500, max_value=500).filter(bool))
    def adjust(self, points: int) -> None:
        before = self._balance()

        def attempt() -> None:
            points_adjust(
                actor=self.admin,
                customer_id=self.customer.pk,
                points=points,
                reason="核对",
                key=f"k{next(keys)}",
            )

        if before + points < 0:
            with pytest.raises(Conflict) as caught:
                attempt()
            assert caught.value.code == "insufficient_points" and self._balance() == before
        else:
            attempt()
            assert self._balance() == before + points

    @rule(days=st.integers(min_value=1, max_value=3))
    def days_pass(self, days: int) -> None:
        for _day in range(days):
            self.coordinates.shift(dt.timedelta(days=1))
            self._daily_jobs()

    @rule(days=st.integers(min_value=20, max_value=200))
    def months_pass(self, days: int) -> None:
        self.coordinates.shift(dt.timedelta(days=days))
        self._daily_jobs(full=True)  # catching up after days without a review

    @rule(months=st.sampled_from([12, 12, 6]))
    def rule_change(self, months: int) -> None:
        # Thresholds up or down, and sometimes a shorter window (the figures are rebuilt).
        self._apply_rules(3 if self.scale == 1 else 1, months)
        for _ in self._each_customer():
            self.model_tier = self._qualified()

    @rule(who=st.integers(min_value=0, max_value=1))
    def switch(self, who: int) -> None:
        self.current = who

    # --- invariants -----------------------------------------------------------------------
    @invariant()
    def figures_equal_replay(self) -> None:
        for _ in self._each_customer():
            self._figures_equal_replay()

    def _figures_equal_replay(self) -> None:
        if not Membership.objects.filter(pk=self.customer.pk).exists():
            return
        row = self._row()
        assert metrics_of(row, business_today()) == self._expected_metrics()
        growth = GrowthEntry.objects.filter(customer=self.customer).aggregate(s=Sum("amount"))
        assert row.growth_total == (growth["s"] or 0)
        rules = active_programme().programme.points
        replay = 0
        for p in Purchase.objects.filter(customer=self.customer):
            earned = growth_for(rules, p.total)
            replay += earned - pro_rata(earned, p.total, Decimal(0), p.returned_amount)
        assert row.growth_total == replay

    @invariant()
    def balance_equals_ledger(self) -> None:
        for _ in self._each_customer():
            self._balance_equals_ledger()

    def _balance_equals_ledger(self) -> None:
        if not Membership.objects.filter(pk=self.customer.pk).exists():
            return
        running = 0
        for entry in PointsEntry.objects.filter(customer=self.customer).order_by("id"):
            running += entry.points
            assert entry.balance_after == running
        lots = PointsLot.objects.filter(customer=self.customer).aggregate(s=Sum("remaining"))
        assert self._row().points_balance == running == (lots["s"] or 0)

    @invariant()
    def lots_expire_on_their_day(self) -> None:
        """Every lot's last day is its earning day + 30 (the rules here), and the nightly
        expiry (run after every change of day) leaves no points in a lot past its day."""
        for lot in PointsLot.objects.filter(customer__in=self.customers):
            assert lot.expires_on == lot.earned_on + dt.timedelta(days=30)
        overdue = PointsLot.objects.filter(
            customer__in=self.customers, remaining__gt=0, expires_on__lt=business_today()
        )
        assert not overdue.exists()

    @invariant()
    def tier_equals_model(self) -> None:
        for _ in self._each_customer():
            self._tier_equals_model()

    def _tier_equals_model(self) -> None:
        if Membership.objects.filter(pk=self.customer.pk).exists():
            assert self._row().tier == self.model_tier
        # the customer row's copy (member table filter): "" for the lowest tier
        lowest = active_programme().programme.ladder.lowest.code
        copy = Customer.objects.values_list("tier", flat=True).get(pk=self.customer.pk)
        assert copy == ("" if self.model_tier == lowest else self.model_tier)


@pytest.mark.slow
@pytest.mark.django_db
def test_stored_state_always_equals_the_replay(users):
    LoyaltyMachine.users = users
    LoyaltyMachine.TestCase.settings = settings(
        max_examples=int(os.environ.get("TIERCARD_STATEFUL_EXAMPLES", "25")),
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    LoyaltyMachine.TestCase().runTest()
