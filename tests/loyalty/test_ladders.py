"""Programme versions: validated drafts, an exact dry-run matrix, and an atomic apply."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from tests.loyalty.tiers_support import TODAY, customers, member
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict, PermissionDenied, ValidationFailed
from tiercard.customers.models import Customer
from tiercard.loyalty.models import ChangeReason, Membership, TierChange, TierLadder
from tiercard.loyalty.services.ladders import ladder_apply, ladder_draft_create, ladder_dry_run
from tiercard.loyalty.services.notify import compose
from tiercard.outbox.models import MessageKind, OutboxMessage
from tiercard.tiers.programme import default_programme, dump_programme

pytestmark = pytest.mark.django_db


def strict_rules() -> dict:
    """The default programme with standard at 3000.00 instead of 2000.00."""
    rules = dump_programme(default_programme())
    rules["ladder"]["tiers"][1]["criteria"]["all"][0]["threshold"] = "3000.00"
    return rules


def counts() -> tuple[int, ...]:
    return (
        TierLadder.objects.count(),
        Membership.objects.count(),
        TierChange.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def people(users, book):
    """Seven memberships, plus the three bare customers of ``book`` (no membership row)."""
    p = customers(users["rep_east1"], 7)
    rows = {
        "a": member(p[0], "standard", spend="2500.00", orders=2),
        "b": member(p[1], "standard", spend="3500.00", orders=2),
        "c": member(
            p[2], "standard", spend="2500.00", orders=2, lock_until=TODAY + dt.timedelta(days=10)
        ),
        "d": member(
            p[3], "standard", spend="2500.00", orders=2, lock_until=TODAY - dt.timedelta(days=1)
        ),
        "e": member(p[4], "vip", max_order="12000.00", spend="12000.00", orders=1, growth=1500),
        "f": member(p[5], "basic"),
        "g": member(p[6], "premium", spend="100.00", orders=1, below_since=TODAY),
    }
    return rows


def test_a_draft_is_stored_inactive_as_the_next_version(users):
    draft = ladder_draft_create(actor=users["admin"], rules=strict_rules(), note="标准级门槛提高")
    assert (draft.version, draft.is_active, draft.created_by) == (2, False, users["admin"])
    assert draft.rules == strict_rules()
    assert ladder_draft_create(actor=users["admin"], preset="card", note="会员卡").version == 3
    assert AuditEvent.objects.filter(object_type="loyalty.tierladder").count() == 2


def falling(rules):
    rules["ladder"]["tiers"][2]["criteria"]["all"][0]["threshold"] = "1000.00"


def duplicate_rank(rules):
    rules["ladder"]["tiers"][3]["rank"] = 30


def unknown_benefit_tier(rules):
    rules["benefits"]["gold"] = {}


@pytest.mark.parametrize(
    ("spoil", "code"),
    [
        (falling, "thresholds_not_rising"),
        (duplicate_rank, "duplicate_rank"),
        (unknown_benefit_tier, "unknown_tier"),
    ],
)
def test_bad_rules_are_refused_with_a_stable_code_and_nothing_written(users, people, spoil, code):
    rules = copy.deepcopy(dump_programme(default_programme()))
    spoil(rules)
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        ladder_draft_create(actor=users["admin"], rules=rules, note="x")
    assert caught.value.code == code
    assert counts() == before


@pytest.mark.parametrize("username", ["mgr_east", "rep_east1", "marketing"])
def test_only_an_admin_drafts_dry_runs_or_applies(users, people, username):
    draft = ladder_draft_create(actor=users["admin"], rules=strict_rules(), note="x")
    before = counts()
    tiers = dict(Membership.objects.values_list("pk", "tier"))
    for call in (
        lambda: ladder_draft_create(actor=users[username], preset="card", note="x"),
        lambda: ladder_dry_run(actor=users[username], version=draft.version, today=TODAY),
        lambda: ladder_apply(actor=users[username], version=draft.version, today=TODAY),
    ):
        with pytest.raises(PermissionDenied) as caught:
            call()
        assert caught.value.code == "admin_only"
    assert counts() == before and dict(Membership.objects.values_list("pk", "tier")) == tiers
    assert TierLadder.objects.get(is_active=True).version == 1


def bare() -> int:
    return Customer.objects.count() - Membership.objects.count()


def test_dry_run_matrix_counts_every_customer_and_maps_by_the_documented_rule(users, people):
    draft = ladder_draft_create(actor=users["admin"], rules=strict_rules(), note="x")
    before = counts()
    run = ladder_dry_run(actor=users["admin"], version=draft.version, today=TODAY, samples=1)
    assert run.matrix == {
        "standard": {"basic": 2, "standard": 2},  # a, d (expired lock) down; b qualifies; c locked
        "vip": {"vip": 1},
        "basic": {"basic": 1 + bare()},
        "premium": {"basic": 1},  # a rule change skips grace
    }
    assert (run.total, run.changed) == (Customer.objects.count(), 3)
    assert run.samples == {
        "standard": {"basic": [people["a"].pk]},
        "premium": {"basic": [people["g"].pk]},
    }
    assert counts() == before


def test_dry_run_of_a_ladder_with_other_codes_maps_to_the_qualified_tier(users, people):
    draft = ladder_draft_create(actor=users["admin"], preset="card", note="x")
    run = ladder_dry_run(actor=users["admin"], version=draft.version, today=TODAY)
    assert run.matrix == {
        "standard": {"member": 4},  # even the locked one: "standard" no longer exists
        "vip": {"silver": 1},
        "basic": {"member": 1 + bare()},
        "premium": {"member": 1},
    }


def test_apply_moves_exactly_the_changed_rows_and_keeps_old_history(users, people):
    old = TierChange.objects.create(
        customer_id=people["b"].pk,
        effective_on=TODAY - dt.timedelta(days=40),
        from_tier="basic",
        to_tier="standard",
        reason=ChangeReason.AUTO_UPGRADE,
        ladder_version=1,
        metrics={"spend": "3500.00"},
    )
    old_values = TierChange.objects.filter(pk=old.pk).values().get()
    draft = ladder_draft_create(actor=users["admin"], rules=strict_rules(), note="x")
    run = ladder_dry_run(actor=users["admin"], version=draft.version, today=TODAY)

    report = ladder_apply(actor=users["admin"], version=draft.version, today=TODAY)

    assert (report.version, report.previous_version, report.changed) == (2, 1, run.changed)
    assert not report.window_rebuilt
    assert TierLadder.objects.get(is_active=True).version == 2
    tiers = dict(Membership.objects.values_list("pk", "tier"))
    assert tiers == {
        people["a"].pk: "basic",
        people["b"].pk: "standard",
        people["c"].pk: "standard",
        people["d"].pk: "basic",
        people["e"].pk: "vip",
        people["f"].pk: "basic",
        people["g"].pk: "basic",
    }
    new = TierChange.objects.exclude(pk=old.pk)
    assert sorted(new.values_list("customer_id", "from_tier", "to_tier")) == sorted(
        [
            (people["a"].pk, "standard", "basic"),
            (people["d"].pk, "standard", "basic"),
            (people["g"].pk, "premium", "basic"),
        ]
    )
    assert {(c.reason, c.ladder_version, c.effective_on, c.actor_id) for c in new} == {
        (ChangeReason.RULE_CHANGE, 2, TODAY, users["admin"].pk)
    }
    assert new.get(customer_id=people["a"].pk).metrics["spend"] == "2500.00"
    assert TierChange.objects.filter(pk=old.pk).values().get() == old_values
    assert set(Membership.objects.values_list("ladder_version", flat=True)) == {2}
    below = dict(
        Membership.objects.filter(below_since__isnull=False).values_list("pk", "below_since")
    )
    assert below == {people["c"].pk: TODAY}  # locked above what it qualifies for
    assert (
        AuditEvent.objects.filter(object_type="loyalty.tierladder", object_id=str(draft.pk)).count()
        == 2
    )
    # Each mover, and only a mover, is told (one message per change, keyed by the change).
    messages = OutboxMessage.objects.filter(kind=MessageKind.TIER_RULE_CHANGE)
    assert sorted(messages.values_list("customer_id", "key")) == sorted(
        (c.customer_id, f"tier_rule_change:{c.pk}") for c in new
    )
    payload = messages.get(customer_id=people["d"].pk).payload
    assert (payload["from_tier"], payload["to_tier"], payload["ladder_version"]) == (
        "standard",
        "basic",
        2,
    )
    subject, body = compose(MessageKind.TIER_RULE_CHANGE, payload)
    assert "基础级" in subject and TODAY.isoformat() in body


def test_apply_with_new_codes_gives_bare_customers_a_row_and_history(users, people):
    customers_before = Customer.objects.count()
    draft = ladder_draft_create(actor=users["admin"], preset="card", note="x")
    run = ladder_dry_run(actor=users["admin"], version=draft.version, today=TODAY)
    report = ladder_apply(actor=users["admin"], version=draft.version, today=TODAY)
    assert Membership.objects.count() == customers_before
    assert report.changed == run.changed == customers_before
    assert TierChange.objects.filter(reason=ChangeReason.RULE_CHANGE).count() == customers_before
    assert Membership.objects.get(pk=people["e"].pk).tier == "silver"


def test_applying_the_active_version_again_is_refused(users, people):
    with pytest.raises(Conflict) as caught:
        ladder_apply(actor=users["admin"], version=1, today=TODAY)
    assert caught.value.code == "already_active"


def test_a_draft_with_a_tier_nobody_could_hold_is_refused_but_a_stored_one_still_loads(users):
    """Checked when a draft is saved; a version stored before the check existed still loads
    (the active programme is read on every purchase)."""
    from tiercard.loyalty.services.state import programme_of

    rules = dump_programme(default_programme())
    tiers = rules["ladder"]["tiers"]
    spend = {"metric": "spend", "op": ">="}
    tiers[1]["criteria"] = {
        "any": [
            {**spend, "threshold": "5000"},
            {"metric": "order_count", "op": ">=", "threshold": 10},
        ]
    }
    tiers[2]["criteria"] = {
        "any": [
            {**spend, "threshold": "1000"},
            {"metric": "order_count", "op": ">=", "threshold": 5},
        ]
    }
    before = counts()

    with pytest.raises(ValidationFailed) as refused:
        ladder_draft_create(actor=users["admin"], rules=rules, note="错")

    assert refused.value.params["field_codes"] == {"ladder.tiers[1].criteria": ["tier_unreachable"]}
    assert counts() == before
    stored = TierLadder.objects.create(version=99, rules=rules, is_active=False)
    assert programme_of(stored.version).ladder.get("standard") is not None
