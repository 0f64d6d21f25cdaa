"""``tiercard tiers ...``: review, draft, dry run, apply, show, override; errors name their code."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.loyalty.tiers_support import TODAY, member, window_ready
from tiercard.core.timeutils import business_today
from tiercard.loyalty.models import Membership, TierChange, TierLadder
from tiercard.loyalty.tasks import daily_review

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_review_prints_counts_and_is_safe_to_rerun(users, book):
    window_ready()
    m = member(book["east1"], "basic", spend="2500.00", orders=2, last=TODAY, marked=True)
    printed = run("tiers_review", "--date", TODAY.isoformat())
    assert "upgraded\t1" in printed and "candidates\t1" in printed
    assert Membership.objects.get(pk=m.pk).tier == "standard"
    again = run("tiers_review", "--date", TODAY.isoformat(), "--full")
    assert "upgraded\t0" in again and "candidates\t1" in again
    assert TierChange.objects.count() == 1


def test_the_daily_job_runs_through_the_task_api(users, book):
    window_ready()
    m = member(book["east1"], "basic", spend="2500.00", orders=2, last=TODAY, marked=True)
    result = daily_review.call(TODAY.isoformat())
    assert result["upgraded"] == 1 and result["day"] == TODAY.isoformat()
    assert Membership.objects.get(pk=m.pk).tier == "standard"


def test_draft_dry_run_and_apply(users, book):
    member(book["east1"], "vip", growth=6000)
    assert "Draft version 2" in run(
        "tiers_draft", "--user", "admin", "--preset", "card", "--note", "卡"
    )
    printed = run("tiers_dry_run", "2", "--user", "admin", "--date", TODAY.isoformat())
    assert "vip\t-> gold\t1" in printed and "basic\t-> member\t2" in printed
    assert "v1 -> v2" in run("tiers_apply", "2", "--user", "admin", "--date", TODAY.isoformat())
    assert TierLadder.objects.get(is_active=True).version == 2
    assert Membership.objects.get(pk=book["east1"].pk).tier == "gold"


def test_show_respects_scope(users, book):
    member(book["east1"], "standard", spend="2500.00", orders=2, last=TODAY)
    printed = run(
        "tiers_show", str(book["east1"].pk), "--user", "rep_east1", "--date", TODAY.isoformat()
    )
    assert "tier\tstandard (标准级)" in printed and "to premium:" in printed
    with pytest.raises(CommandError, match="not_found"):
        run("tiers_show", str(book["east1"].pk), "--user", "rep_south")


def test_override_and_clear(users, book):
    until = (business_today() + dt.timedelta(days=30)).isoformat()
    args = ("tiers_override", str(book["east1"].pk), "vip", "--user", "mgr_east")
    printed = run(*args, "--approver", "mgr_east", "--until", until, "--reason", "战略客户")
    assert f"is vip until {until}" in printed
    assert "cleared" in run(
        "tiers_override", str(book["east1"].pk), "--clear", "--user", "admin", "--reason", "取消"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("tiers_draft", "--user", "mgr_east", "--preset", "card"),
        ("tiers_draft", "--user", "admin", "--preset", "nope"),
        ("tiers_dry_run", "99", "--user", "admin"),
        ("tiers_apply", "1", "--user", "admin"),
        ("tiers_review", "--date", "2026-13-01"),
        (
            "tiers_override",
            "1",
            "gold",
            "--user",
            "admin",
            "--approver",
            "admin",
            "--until",
            "2099-01-01",
        ),
    ],
)
def test_bad_commands_fail_cleanly_and_write_nothing(users, book, args):
    before = (TierLadder.objects.count(), TierChange.objects.count(), Membership.objects.count())
    with pytest.raises(CommandError):
        run(*args)
    assert (
        TierLadder.objects.count(),
        TierChange.objects.count(),
        Membership.objects.count(),
    ) == before


@pytest.mark.django_db(transaction=True)
def test_the_jobs_run_from_the_queue_through_a_worker(users, book):
    """Queued as a deployment queues them (the database backend), run by django-tasks' own
    worker: the daily review, then the expiry as a job of its own (nothing left to expire)."""
    from django_tasks import TaskResultStatus

    from tiercard.loyalty.services.state import active_programme
    from tiercard.loyalty.tasks import expire_points

    active_programme()  # a flushed database lost the migration's programme: reinstalled
    window_ready()
    m = member(book["east1"], "basic", spend="2500.00", orders=2, last=TODAY, marked=True)
    review = daily_review.enqueue(TODAY.isoformat())
    expiry = expire_points.enqueue(TODAY.isoformat())
    assert review.status == TaskResultStatus.READY  # queued, not run in the request

    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())

    review.refresh()
    expiry.refresh()
    assert review.status == expiry.status == TaskResultStatus.SUCCESSFUL
    assert review.return_value["upgraded"] == 1
    assert expiry.return_value == {"customers": 0, "points": 0, "notices": 0}
    assert Membership.objects.get(pk=m.pk).tier == "standard"
