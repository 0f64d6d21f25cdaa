"""The duplicates API: queue, detail, merge, dismiss, undo, scan, candidates; scope and rights."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import ApiClient
from tests.dedupe.conftest import Twins, world
from tiercard.accounts.models import User
from tiercard.customers.models import Customer
from tiercard.dedupe.models import DuplicatePair, MergeRecord, PairStatus
from tiercard.dedupe.scan import dedupe_scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(twins: Twins) -> DuplicatePair:
    dedupe_scan()
    return DuplicatePair.objects.get(customer_a=twins.survivor, customer_b=twins.merged)


def test_queue_lists_the_pair_with_reasons(
    api: Callable[..., ApiClient], pair: DuplicatePair
) -> None:
    answer = api("mgr_east", lang="en").get("/duplicates")
    assert answer.status_code == 200
    (item,) = answer.json()["items"]
    assert item["id"] == pair.pk and item["level"] == "likely"
    assert {r["code"] for r in item["reasons"]} == {"phone", "name_city"}
    assert "same phone" in [r["label"] for r in item["reasons"]]


def test_queue_query_count_is_flat(
    api: Callable[..., ApiClient], make_customer, django_assert_max_num_queries
) -> None:
    for i in range(6):
        make_customer("rep_east1", name=f"客户{i}", phones=f"1360000{i:04d}")
        make_customer("rep_east2", name=f"别名{i}", phones=f"1360000{i:04d}")
    dedupe_scan()
    client = api("admin")
    with django_assert_max_num_queries(8):
        answer = client.get("/duplicates")
    assert len(answer.json()["items"]) == 6


def test_rights_and_scope(api: Callable[..., ApiClient], pair: DuplicatePair) -> None:
    for who in ("rep_east1", "service", "marketing"):
        assert api(who).get("/duplicates").status_code == 403
        assert api(who).post(f"/duplicates/{pair.pk}/dismiss").status_code == 403
    south = api("mgr_south")
    assert south.get("/duplicates").json()["items"] == []
    assert south.get(f"/duplicates/{pair.pk}").status_code == 404
    state = world(pair.customer_a_id, pair.customer_b_id)
    assert (
        south.post(f"/duplicates/{pair.pk}/merge", {"survivor_id": pair.customer_a_id}).status_code
        == 404
    )
    assert world(pair.customer_a_id, pair.customer_b_id) == state
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.OPEN
    assert api("rep_east1").post("/duplicates/scan").status_code == 403


def test_detail_masks_for_masking_roles_only(
    api: Callable[..., ApiClient], pair: DuplicatePair
) -> None:
    body = api("admin").get(f"/duplicates/{pair.pk}").json()
    assert body["survivor"]["phones"] == ["13800001111"]
    assert {c["field"] for c in body["choices"]} >= {"address", "wechat"}
    assert next(c for c in body["choices"] if c["field"] == "address")["default"] == "merged"


def test_merge_then_undo(api: Callable[..., ApiClient], pair: DuplicatePair, twins: Twins) -> None:
    client = api("mgr_east")
    answer = client.post(
        f"/duplicates/{pair.pk}/merge",
        {"survivor_id": twins.survivor.pk, "picks": {"address": "survivor"}},
    )
    assert answer.status_code == 201, answer.content
    merge = answer.json()
    assert merge["moved"]["purchases"] == 1 and merge["points_moved"] > 0
    assert Customer.objects.get(pk=twins.merged.pk).merged_into_id == twins.survivor.pk
    assert Customer.objects.get(pk=twins.survivor.pk).address == ""
    assert client.get("/merges").json()["items"][0]["id"] == merge["id"]

    undone = client.post(f"/merges/{merge['id']}/undo")
    assert undone.status_code == 200
    assert undone.json()["undone_at"] is not None
    again = client.post(f"/merges/{merge['id']}/undo")
    assert again.status_code == 409 and again.json()["code"] == "already_undone"


def test_merge_refuses_a_card_outside_the_pair(
    api: Callable[..., ApiClient], pair: DuplicatePair, make_customer
) -> None:
    other = make_customer("rep_east1", name="别人")
    state = world(pair.customer_a_id, pair.customer_b_id)
    answer = api("admin", lang="en").post(f"/duplicates/{pair.pk}/merge", {"survivor_id": other.pk})
    assert answer.status_code == 422
    assert answer.json()["code"] == "not_in_pair"
    bad = api("admin").post(
        f"/duplicates/{pair.pk}/merge", {"survivor_id": pair.customer_a_id, "picks": {"name": "x"}}
    )
    assert bad.status_code == 422
    assert world(pair.customer_a_id, pair.customer_b_id) == state
    assert not MergeRecord.objects.exists()


def test_dismiss_is_remembered_by_later_scans(
    api: Callable[..., ApiClient], pair: DuplicatePair
) -> None:
    answer = api("mgr_east").post(f"/duplicates/{pair.pk}/dismiss")
    assert answer.status_code == 200 and answer.json()["status"] == "dismissed"
    dedupe_scan(full=True)
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.DISMISSED
    assert api("mgr_east").get("/duplicates").json()["items"] == []


def test_candidates_stay_within_scope(
    api: Callable[..., ApiClient], twins: Twins, users: dict[str, User]
) -> None:
    values = {"name": "张伟", "phones": "+86 138 0000 1111", "city": "北京"}
    mine = api("rep_east1").post("/duplicates/candidates", values).json()
    assert {c["customer"]["id"] for c in mine} == {twins.survivor.pk, twins.merged.pk}
    assert mine[0]["level"] in {"likely", "certain"}
    assert api("rep_south").post("/duplicates/candidates", values).json() == []
    assert api("service").post("/duplicates/candidates", values).status_code == 403


def test_scan_by_admin(api: Callable[..., ApiClient], twins: Twins) -> None:
    answer = api("admin").post("/duplicates/scan", {"full": True})
    assert answer.status_code == 200
    assert answer.json()["pairs_found"] == 1 and answer.json()["open"] == 1
