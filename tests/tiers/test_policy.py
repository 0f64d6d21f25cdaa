from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.tiers.strategies import ladders
from tiercard.core.errors import ValidationFailed
from tiercard.tiers.ladder import Ladder
from tiercard.tiers.policy import (
    DowngradePolicy,
    Landing,
    Reason,
    after_activity,
    dump_policy,
    parse_policy,
    review,
)
from tiercard.tiers.presets import default_ladder

LADDER = default_ladder()


def run(policy: DowngradePolicy, held: str, qualified: str, **kwargs: Any) -> tuple[str, str]:
    kwargs = {"months_since_upgrade": 12, "months_below": 12, **kwargs}
    outcome = review(LADDER, policy, held=held, qualified=qualified, **kwargs)
    return outcome.tier.code, outcome.reason.value


@pytest.mark.parametrize(
    ("policy", "held", "qualified", "kwargs", "expected"),
    [
        (DowngradePolicy(), "standard", "vip", {}, ("vip", "upgrade")),
        (DowngradePolicy(), "premium", "premium", {}, ("premium", "kept")),
        (DowngradePolicy(), "vip", "basic", {}, ("premium", "downgrade")),
        (DowngradePolicy(landing=Landing.QUALIFIED), "vip", "basic", {}, ("basic", "downgrade")),
        (
            DowngradePolicy(protected_months=6),
            "vip",
            "basic",
            {"months_since_upgrade": 5},
            ("vip", "protected"),
        ),
        (
            DowngradePolicy(protected_months=6),
            "vip",
            "basic",
            {"months_since_upgrade": 6},
            ("premium", "downgrade"),
        ),
        (DowngradePolicy(grace_months=2), "vip", "basic", {"months_below": 1}, ("vip", "grace")),
        (
            DowngradePolicy(grace_months=2),
            "vip",
            "basic",
            {"months_below": 2},
            ("premium", "downgrade"),
        ),
        (DowngradePolicy(), "vip", "basic", {"locked": True}, ("vip", "locked")),
        (DowngradePolicy(), "standard", "vip", {"locked": True}, ("vip", "upgrade")),
        (
            DowngradePolicy(protected_months=6),
            "basic",
            "premium",
            {"months_since_upgrade": 0},
            ("premium", "upgrade"),
        ),
    ],
)
def test_review_examples(
    policy: DowngradePolicy,
    held: str,
    qualified: str,
    kwargs: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    assert run(policy, held, qualified, **kwargs) == expected


def test_after_activity_upgrades_at_once_and_never_downgrades() -> None:
    assert after_activity(LADDER, held="basic", qualified="premium").code == "premium"
    assert after_activity(LADDER, held="vip", qualified="basic").code == "vip"


def test_unknown_tier_codes_are_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        run(DowngradePolicy(), "gold", "basic")
    assert caught.value.code == "unknown_tier"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"protected_months": -1}, {"protected_months": ["out_of_range"]}),
        ({"grace_months": 121}, {"grace_months": ["out_of_range"]}),
        ({"grace_months": "2"}, {"grace_months": ["not_integer"]}),
        ({"landing": "base"}, {"landing": ["unknown_landing"]}),
    ],
)
def test_bad_policies_are_refused(data: dict[str, Any], expected: dict[str, list[str]]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_policy(data)
    assert caught.value.params["field_codes"] == expected


def test_policy_round_trip() -> None:
    policy = DowngradePolicy(3, 1, Landing.QUALIFIED)
    assert dump_policy(policy) == {"protected_months": 3, "grace_months": 1, "landing": "qualified"}
    assert parse_policy(dump_policy(policy)) == policy
    assert parse_policy({}) == DowngradePolicy()


policies = st.builds(
    DowngradePolicy,
    st.integers(0, 24),
    st.integers(0, 6),
    st.sampled_from(Landing),
)


@given(ladders, policies, st.data())
def test_review_properties(ladder: Ladder, policy: DowngradePolicy, data: st.DataObject) -> None:
    codes = [t.code for t in ladder.tiers]
    held = data.draw(st.sampled_from(codes))
    qualified = data.draw(st.sampled_from(codes))
    months_since_upgrade = data.draw(st.integers(0, 36))
    months_below = data.draw(st.integers(0, 12))
    locked = data.draw(st.booleans())
    outcome = review(
        ladder,
        policy,
        held=held,
        qualified=qualified,
        months_since_upgrade=months_since_upgrade,
        months_below=months_below,
        locked=locked,
    )
    before, after, floor = ladder.index(held), ladder.index(outcome.tier), ladder.index(qualified)
    assert after >= floor  # never below the qualified tier
    if floor > before:
        assert after == floor and outcome.reason is Reason.UPGRADE
    if after < before:
        assert months_since_upgrade >= policy.protected_months and not locked
        assert months_below >= policy.grace_months
        if policy.landing is Landing.ONE_STEP:
            assert after == before - 1
    assert outcome.changed is (after != before)
