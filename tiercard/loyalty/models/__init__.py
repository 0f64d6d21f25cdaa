"""Tiers, growth value, points, rewards and benefits: the loyalty state of each customer."""

from tiercard.loyalty.models.benefits import BenefitCounter, BenefitUse
from tiercard.loyalty.models.ladders import TierLadder, WindowState
from tiercard.loyalty.models.membership import GrowthEntry, GrowthKind, Membership, ReviewMark
from tiercard.loyalty.models.override_requests import OverrideRequest, RequestStatus
from tiercard.loyalty.models.points import EntryKind, PointsAllocation, PointsEntry, PointsLot
from tiercard.loyalty.models.rewards import Redemption, RedemptionStatus, Reward, RewardKind
from tiercard.loyalty.models.tier_changes import ChangeReason, TierChange

__all__ = [
    "BenefitCounter",
    "BenefitUse",
    "ChangeReason",
    "EntryKind",
    "GrowthEntry",
    "GrowthKind",
    "Membership",
    "OverrideRequest",
    "PointsAllocation",
    "PointsEntry",
    "PointsLot",
    "Redemption",
    "RedemptionStatus",
    "RequestStatus",
    "ReviewMark",
    "Reward",
    "RewardKind",
    "TierChange",
    "TierLadder",
    "WindowState",
]
