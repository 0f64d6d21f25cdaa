"""``tiercard tiers show CUSTOMER_ID --user USERNAME [--date D]``: tier, why, progress, keep."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tiercard.cli.management.commands._tiers import day_of, failed, user_of
from tiercard.core.errors import DomainError
from tiercard.loyalty.selectors.tiers import tier_history, tier_status


class Command(BaseCommand):
    help = "Show a customer's tier: why, progress to the next tier, what keeps it, history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int)
        parser.add_argument(
            "--user", "--as", dest="user", required=True, help="whose view (scope applies)"
        )
        parser.add_argument("--date", help="business day (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        viewer = user_of(options["user"])
        try:
            status = tier_status(viewer, options["customer_id"], day_of(options["date"]))
            history = list(tier_history(viewer, options["customer_id"])[:10])
        except DomainError as error:
            raise failed(error) from error
        out = self.stdout.write
        out(f"tier\t{status.tier.code} ({status.tier.name_zh}) since {status.since or '-'}")
        out(f"qualifies for\t{status.qualified.code}")
        for leaf in status.why.leaves():
            mark = "ok" if leaf.met else "no"
            out(f"  {mark}\t{leaf.metric} {leaf.op} {leaf.threshold}\tactual {leaf.actual}")
        if status.progress is not None:
            out(f"to {status.progress.target.code}:")
            for gap in status.progress.todo:
                missing = "a new purchase" if gap.gap is None else gap.gap
                out(f"  {gap.leaf.metric}\tmissing {missing}")
        keep = status.keep
        out(f"holds until\t{keep.holds_until or '-'}\tdowngrade on\t{keep.downgrade_on or '-'}")
        if status.lock_until:
            out(f"locked until\t{status.lock_until}\t{status.override_reason}")
        for change in history:
            out(f"{change.effective_on}\t{change.from_tier} -> {change.to_tier}\t{change.reason}")
