"""After a merge the surviving card's timeline holds the merged card's history too.

Points entries and tier changes stay on the merged card (the ledger is append-only; the
balance arrives as a transfer entry), and the survivor's timeline reads them from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiClient
from tests.dedupe.conftest import Twins
from tiercard.accounts.models import User
from tiercard.cards.timeline import card_timeline
from tiercard.core.errors import NotFound
from tiercard.core.timeutils import business_today
from tiercard.dedupe.merge import customers_merge
from tiercard.loyalty.models import PointsEntry, TierChange
from tiercard.loyalty.services.overrides import tier_override
from tiercard.loyalty.services.points import points_adjust
from tiercard.sales.models import Purchase

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def history(twins: Twins, users: dict[str, User]) -> dict[str, int]:
    """The merged card gets a tier change and a hand-made points entry, then is merged."""
    manager = users["mgr_east"]
    merged = twins.merged.pk
    tier_override(
        actor=manager,
        customer_id=merged,
        tier_code="premium",
        reason="老客户回归",
        approver_id=manager.pk,
        until=business_today() + dt.timedelta(days=30),
    )
    bonus = points_adjust(
        actor=manager, customer_id=merged, points=50, reason="活动赠送", key="history-1"
    )
    purchase = Purchase.objects.get(customer_id=merged)
    change = TierChange.objects.get(customer_id=merged)
    customers_merge(actor=users["admin"], survivor_id=twins.survivor.pk, merged_id=merged)
    return {"bonus": bonus.pk, "change": change.pk, "purchase": purchase.pk}


def test_the_survivors_timeline_shows_the_merged_cards_points_and_tier_changes(
    twins: Twins, users: dict[str, User], history: dict[str, int]
) -> None:
    s, m = twins.survivor, twins.merged
    # nothing of the ledger or the tier history moved: they are read where they are
    assert PointsEntry.objects.get(pk=history["bonus"]).customer_id == m.pk
    assert TierChange.objects.get(pk=history["change"]).customer_id == m.pk

    page = card_timeline(viewer=users["rep_east1"], customer_id=s.pk, limit=50)

    found = {(e.kind, e.obj.pk): e for e in page.entries}
    assert found[("points", history["bonus"])].details == {"merged_card": m.pk}
    assert found[("tier", history["change"])].details == {"merged_card": m.pk}
    # the moved purchase shows the points it earned (its earn entry stayed on the merged card)
    assert found[("purchase", history["purchase"])].details == {"points": 1000}
    own = [e for e in page.entries if e.kind in {"points", "tier"} and e.obj.customer_id == s.pk]
    assert own and all("merged_card" not in e.details for e in own)
    transfer_in = [e for e in own if e.kind == "points" and ":points:in:" in e.obj.key]
    assert transfer_in and transfer_in[0].obj.points > 0  # the balance arrived as a transfer
    # newest first across both cards, as always
    keys = [e.key for e in page.entries]
    assert keys == sorted(keys, reverse=True)


def test_the_points_filter_alone_lists_both_cards_entries(
    twins: Twins, users: dict[str, User], history: dict[str, int]
) -> None:
    s, m = twins.survivor, twins.merged
    page = card_timeline(viewer=users["admin"], customer_id=s.pk, kinds={"points"}, limit=50)
    listed = sorted(e.obj.pk for e in page.entries)
    assert listed == sorted(
        PointsEntry.objects.filter(customer_id__in=[s.pk, m.pk]).values_list("pk", flat=True)
    )


def test_the_merged_card_keeps_only_its_own_history(
    twins: Twins, users: dict[str, User], history: dict[str, int]
) -> None:
    m = twins.merged
    page = card_timeline(viewer=users["admin"], customer_id=m.pk, kinds={"points", "tier"})
    assert page.entries and {e.obj.customer_id for e in page.entries} == {m.pk}
    assert all("merged_card" not in e.details for e in page.entries)


def test_out_of_scope_is_not_found_for_the_survivor(
    twins: Twins, users: dict[str, User], history: dict[str, int]
) -> None:
    with pytest.raises(NotFound):
        card_timeline(viewer=users["rep_south"], customer_id=twins.survivor.pk)


def test_merged_history_costs_no_extra_query(twins: Twins, users: dict[str, User]) -> None:
    viewer = users["rep_east1"]
    kinds = {"purchase", "points", "tier"}  # the sources that read merged cards

    def queries(customer_id: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            card_timeline(viewer=viewer, customer_id=customer_id, kinds=kinds, limit=5)
        return len(captured.captured_queries)

    before = queries(twins.survivor.pk)
    customers_merge(actor=users["admin"], survivor_id=twins.survivor.pk, merged_id=twins.merged.pk)
    assert queries(twins.survivor.pk) == before


def test_the_card_page_says_which_card_a_record_came_from(
    login: Callable[[str], Client], twins: Twins, history: dict[str, int]
) -> None:
    client = login("rep_east1")
    client.post("/language/", {"language": "en", "next": "/"})
    page = client.get(f"/customers/{twins.survivor.pk}/", **EN).content.decode()
    assert f"on merged card no. {twins.merged.pk}" in page
    assert "活动赠送" in page  # the merged card's hand-made points entry


def test_the_api_timeline_names_the_merged_card(
    api: Callable[..., ApiClient], twins: Twins, history: dict[str, int]
) -> None:
    answer = api("rep_east1").get(
        f"/customers/{twins.survivor.pk}/timeline", {"kinds": "points,tier", "limit": 50}
    )
    assert answer.status_code == 200
    by_id = {(e["kind"], e["object_id"]): e["details"] for e in answer.json()["items"]}
    assert by_id[("points", history["bonus"])]["merged_card"] == twins.merged.pk
    assert by_id[("tier", history["change"])]["merged_card"] == twins.merged.pk
    own = [d for (kind, _pk), d in by_id.items() if d["merged_card"] is None]
    assert own  # the survivor's own entries (the transfer in) name no other card
