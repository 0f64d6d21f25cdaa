"""The public face of the tier rules: import from here (``from tiercard.tiers import rules``).

Modules: ``metrics`` (one customer's figures), ``criteria`` (AND / OR rule trees, dict form),
``ladder`` (validated tiers, dict form), ``presets``, ``evaluation`` (qualified tier,
explanations), ``progress`` (gaps to the next tier), ``policy`` (reviews, downgrades) and
``sql`` (the same rules as ``Q`` / ``Case`` for set-based grading).
"""

from __future__ import annotations

from tiercard.tiers.criteria import (
    MAX_DEPTH,
    Criterion,
    Group,
    Leaf,
    Node,
    Op,
    all_of,
    any_of,
    dump_criteria,
    leaf,
    leaves,
    parse_criteria,
)
from tiercard.tiers.evaluation import Explanation, GroupResult, LeafResult, explain, qualified_tier
from tiercard.tiers.ladder import Ladder, Tier, dump_ladder, parse_ladder
from tiercard.tiers.metrics import Metric, Metrics
from tiercard.tiers.policy import (
    DowngradePolicy,
    Landing,
    Reason,
    ReviewOutcome,
    after_activity,
    dump_policy,
    parse_policy,
    review,
)
from tiercard.tiers.presets import PRESETS, card_ladder, default_ladder
from tiercard.tiers.progress import GroupGap, LeafGap, Progress, gaps, progress
from tiercard.tiers.sql import Columns, criterion_q, tier_case

__all__ = [
    "MAX_DEPTH",
    "PRESETS",
    "Columns",
    "Criterion",
    "DowngradePolicy",
    "Explanation",
    "Group",
    "GroupGap",
    "GroupResult",
    "Ladder",
    "Landing",
    "Leaf",
    "LeafGap",
    "LeafResult",
    "Metric",
    "Metrics",
    "Node",
    "Op",
    "Progress",
    "Reason",
    "ReviewOutcome",
    "Tier",
    "after_activity",
    "all_of",
    "any_of",
    "card_ladder",
    "criterion_q",
    "default_ladder",
    "dump_criteria",
    "dump_ladder",
    "dump_policy",
    "explain",
    "gaps",
    "leaf",
    "leaves",
    "parse_criteria",
    "parse_ladder",
    "parse_policy",
    "progress",
    "qualified_tier",
    "review",
    "tier_case",
]
