"""The dashboard refresh as a background job: re-runnable, one at a time, never overwriting
newer figures; the nightly job queues it; administrators' "refresh now" on the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client

from tests.analytics.conftest import NOW, TODAY, at
from tests.conftest import PASSWORD
from tiercard.analytics import tasks
from tiercard.analytics.models import CurrentFigure, MonthlyFigure, OpenFollowUp, RollupState
from tiercard.analytics.rollup import dashboard_refresh
from tiercard.customers.models import Customer
from tiercard.sales.models import Purchase

pytestmark = pytest.mark.django_db


def figures() -> dict[str, Any]:
    """Every precomputed row, comparable across refreshes."""
    return {
        "monthly": sorted(
            MonthlyFigure.objects.values_list("month", "owner_key", "team_key", "tier", "revenue")
        ),
        "current": sorted(CurrentFigure.objects.values_list("owner_key", "tier", "customers")),
        "follow_ups": sorted(OpenFollowUp.objects.values_list("interaction_id", "due")),
    }


def june_revenue() -> Decimal:
    total = MonthlyFigure.objects.filter(month=dt.date(2026, 6, 1)).aggregate(s=Sum("revenue"))
    return total["s"] or Decimal(0)


def state() -> RollupState:
    return RollupState.objects.get(pk=1)


def test_the_job_computes_the_figures_and_a_rerun_changes_nothing(
    world: dict[str, Customer],
) -> None:
    first = tasks.refresh_dashboard.call()
    after_first = figures()
    second = tasks.refresh_dashboard.call()

    assert first["status"] == "refreshed"
    assert first["as_of"] == TODAY.isoformat()
    assert first["rounds"] == 1
    assert second["status"] == "refreshed"
    assert figures() == after_first
    assert june_revenue() == Decimal("810.00")  # 110 + 200 + 500, see the conftest
    assert state().running_since is None
    assert state().as_of == TODAY


def test_a_job_started_while_one_runs_makes_the_running_one_go_round_once_more(
    world: dict[str, Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second job arrives during the first one's refresh (called from inside it): it does
    not compute beside it, and the first one refreshes again after, so a purchase recorded
    meanwhile is in the figures."""
    real = dashboard_refresh
    arrivals: list[dict[str, Any]] = []

    def refresh_with_a_job_arriving(today: dt.date) -> RollupState:
        result = real(today)
        if not arrivals:
            Purchase.objects.create(
                customer=world["yi"],
                occurred_at=at("2026-06-15", 9),
                subtotal=Decimal("40"),
                total=Decimal("40"),
            )
            arrivals.append(tasks.refresh_exclusive())
            assert state().rerun_requested is True
        return result

    monkeypatch.setattr(tasks, "dashboard_refresh", refresh_with_a_job_arriving)

    outcome = tasks.refresh_exclusive()

    assert arrivals == [{"status": "rerun_requested"}]
    assert outcome["status"] == "refreshed"
    assert outcome["rounds"] == 2
    assert june_revenue() == Decimal("850.00")
    assert state().running_since is None
    assert state().rerun_requested is False


def test_a_live_claim_is_respected_and_a_dead_one_taken_over(
    world: dict[str, Customer],
) -> None:
    tasks.refresh_exclusive()
    before = figures()
    RollupState.objects.filter(pk=1).update(running_since=NOW - dt.timedelta(minutes=5))
    Customer.objects.filter(pk=world["wu"].pk).delete()

    refused = tasks.refresh_exclusive()
    assert refused == {"status": "rerun_requested"}
    assert figures() == before  # the live job's figures are not touched

    RollupState.objects.filter(pk=1).update(running_since=NOW - tasks.LEASE - dt.timedelta(1))
    taken = tasks.refresh_exclusive()
    assert taken["status"] == "refreshed"
    assert figures() != before
    assert state().running_since is None


def test_a_failed_refresh_lets_go_of_its_claim(
    world: dict[str, Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(today: dt.date) -> RollupState:
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks, "dashboard_refresh", broken)

    with pytest.raises(RuntimeError):
        tasks.refresh_exclusive()

    assert state().running_since is None
    assert not MonthlyFigure.objects.exists()


def test_a_refresh_that_began_earlier_never_replaces_newer_figures(
    world: dict[str, Customer],
) -> None:
    newer = dashboard_refresh(TODAY)
    before = figures()
    with time_machine.travel(NOW - dt.timedelta(minutes=2), tick=False):
        # A slow refresh that began two minutes ago finishes now, after the newer one.
        Purchase.objects.create(
            customer=world["yi"],
            occurred_at=at("2026-06-15", 9),
            subtotal=Decimal("40"),
            total=Decimal("40"),
        )
        older = dashboard_refresh(TODAY)

    assert older.refreshed_at == newer.refreshed_at
    assert state().started_at == NOW
    assert figures() == before


def test_the_nightly_job_reviews_tiers_then_queues_the_refresh(
    world: dict[str, Customer],
) -> None:
    result = tasks.nightly_review.call(TODAY.isoformat())

    assert result["day"] == TODAY.isoformat()
    assert "downgraded" in result
    queued = tasks.refresh_dashboard.get_result(result["dashboard_task"])
    assert queued.status == "READY"
    assert queued.args == [TODAY.isoformat()]
    assert not MonthlyFigure.objects.exists()  # the worker computes it, not the review


# --- the page ------------------------------------------------------------------------------------


def signed_in(username: str) -> Client:
    """Signed in, in English (messages asserted below are not translated yet)."""
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    client.cookies["django_language"] = "en"
    return client


def test_only_administrators_see_and_use_refresh_now(
    world: dict[str, Customer], settings: Any
) -> None:
    rep = signed_in("rep_east1")
    page = rep.get("/dashboard/").content.decode()
    RollupState.objects.filter(pk=1).update(refreshed_at=NOW - dt.timedelta(days=1))
    before = RollupState.objects.values().get(pk=1)

    refused = rep.post("/dashboard/refresh")

    assert 'id="dashboard-refresh"' not in page
    assert refused.status_code == 403
    assert RollupState.objects.values().get(pk=1) == before
    assert 'id="dashboard-refresh"' in signed_in("admin").get("/dashboard/").content.decode()
    assert signed_in("admin").get("/dashboard/refresh").status_code == 405


def test_refresh_now_on_a_small_book_refreshes_at_once(world: dict[str, Customer]) -> None:
    admin = signed_in("admin")
    admin.get("/dashboard/")  # the page computed them for today
    Purchase.objects.create(
        customer=world["yi"], occurred_at=at("2026-06-15", 9), subtotal=40, total=Decimal("40")
    )

    response = admin.post("/dashboard/refresh", follow=True)

    assert response.redirect_chain == [("/dashboard/", 302)]
    assert june_revenue() == Decimal("850.00")
    assert "The figures have been refreshed." in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_refresh_now_on_a_large_book_queues_the_job_and_says_so(
    world: dict[str, Customer], settings: Any
) -> None:
    settings.TIERCARD_DASHBOARD_INLINE_CUSTOMERS = 2  # the world has five customers
    admin = signed_in("admin")

    response = admin.post("/dashboard/refresh", follow=True)
    html = response.content.decode()

    assert "A refresh has been queued." in html
    assert 'id="refresh-requested"' in html
    assert not MonthlyFigure.objects.exists()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert june_revenue() == Decimal("810.00")
    html = admin.get("/dashboard/").content.decode()
    assert 'id="refresh-requested"' not in html
    assert "Figures as of" in html
