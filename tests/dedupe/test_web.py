"""The duplicates pages: queue, comparison and merge, dismiss, undo; the create form's warning."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.dedupe.conftest import Twins, world
from tests.web.conftest import block
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.dedupe.models import DuplicatePair, MergeRecord, PairStatus, ScanState
from tiercard.dedupe.scan import dedupe_scan

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def pair(twins: Twins) -> DuplicatePair:
    dedupe_scan()
    return DuplicatePair.objects.get(customer_a=twins.survivor, customer_b=twins.merged)


def english(client: Client) -> Client:
    client.post("/language/", {"language": "en", "next": "/"})
    return client


def test_queue_shows_the_pair_to_managers(
    login: Callable[[str], Client], pair: DuplicatePair
) -> None:
    client = english(login("mgr_east"))
    page = client.get("/duplicates/")
    assert page.status_code == 200
    table = block(page.content, "id", "pairs")
    assert table is not None and "张伟" in table and "same phone" in table
    assert "13800001111" in table  # managers see their team's phones in full
    assert 'href="/duplicates/"' in page.content.decode()  # the nav link


def test_queue_query_count_is_flat(
    login: Callable[[str], Client], make_customer, django_assert_max_num_queries
) -> None:
    for i in range(8):
        make_customer("rep_east1", name=f"客户{i}", phones=f"1360000{i:04d}")
        make_customer("rep_east2", name=f"别名{i}", phones=f"1360000{i:04d}")
    dedupe_scan()
    client = login("admin")
    with django_assert_max_num_queries(10):
        page = client.get("/duplicates/")
    assert page.content.decode().count('class="dd-score') == 8


@pytest.mark.parametrize("who", ["rep_east1", "service", "marketing"])
def test_others_may_not_review(
    login: Callable[[str], Client], pair: DuplicatePair, who: str
) -> None:
    client = login(who)
    state = world(pair.customer_a_id, pair.customer_b_id)
    assert client.get("/duplicates/").status_code == 403
    assert client.get(f"/duplicates/{pair.pk}/").status_code == 403
    assert (
        client.post(
            f"/duplicates/{pair.pk}/", {"confirm": "1", "keep": pair.customer_a_id}
        ).status_code
        == 403
    )
    assert client.post(f"/duplicates/{pair.pk}/dismiss/").status_code == 403
    assert 'href="/duplicates/"' not in client.get("/customers/").content.decode()
    assert world(pair.customer_a_id, pair.customer_b_id) == state
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.OPEN


def test_other_team_manager_gets_not_found(
    login: Callable[[str], Client], pair: DuplicatePair
) -> None:
    client = login("mgr_south")
    state = world(pair.customer_a_id, pair.customer_b_id)
    assert client.get(f"/duplicates/{pair.pk}/").status_code == 404
    assert client.post(f"/duplicates/{pair.pk}/", {"confirm": "1"}).status_code == 404
    assert client.post(f"/duplicates/{pair.pk}/dismiss/").status_code == 404
    assert "张伟" not in client.get("/duplicates/").content.decode()
    assert world(pair.customer_a_id, pair.customer_b_id) == state


def test_compare_review_confirm_merge_and_undo(
    login: Callable[[str], Client], pair: DuplicatePair, twins: Twins
) -> None:
    client = english(login("mgr_east"))
    s, m = twins.survivor, twins.merged
    compare = client.get(f"/duplicates/{pair.pk}/")
    assert compare.status_code == 200
    choices = block(compare.content, "id", "choices")
    assert choices is not None and "address" in choices and "朝阳区建国路 1 号" in choices
    # Review: nothing written yet, a confirmation page naming what moves.
    review = client.post(f"/duplicates/{pair.pk}/", {"keep": s.pk, "pick_address": "survivor"})
    assert review.status_code == 200
    assert "Merge 张伟 into 张伟?" in review.content.decode()
    assert not MergeRecord.objects.exists()
    done = client.post(
        f"/duplicates/{pair.pk}/", {"keep": s.pk, "pick_address": "survivor", "confirm": "1"}
    )
    assert done.status_code == 302
    record = MergeRecord.objects.get()
    assert (record.survivor_id, record.merged_id) == (s.pk, m.pk)
    assert Customer.objects.get(pk=s.pk).address == ""
    assert "Purchases: 1" in client.get(done["Location"]).content.decode()
    history = client.get("/duplicates/merges/")
    assert "Undo merge" in history.content.decode()
    assert client.get(f"/duplicates/merges/{record.pk}/undo/").status_code == 200
    undone = client.post(f"/duplicates/merges/{record.pk}/undo/")
    assert undone.status_code == 302
    assert Customer.objects.get(pk=m.pk).merged_into_id is None
    audit = AuditEvent.objects.get(
        object_type="dedupe.mergerecord", object_id=str(record.pk), note="unmerge"
    )
    assert (audit.actor.username, audit.interface, audit.changes["undone"]) == (
        "mgr_east",
        "web",
        [False, True],
    )


def test_keep_the_other_card(
    login: Callable[[str], Client], pair: DuplicatePair, twins: Twins
) -> None:
    client = login("admin")
    response = client.post(f"/duplicates/{pair.pk}/", {"keep": twins.merged.pk, "confirm": "1"})
    assert response.status_code == 302
    assert Customer.objects.get(pk=twins.survivor.pk).merged_into_id == twins.merged.pk


def test_dismiss_and_reopen(login: Callable[[str], Client], pair: DuplicatePair) -> None:
    client = login("mgr_east")
    assert client.get(f"/duplicates/{pair.pk}/dismiss/").status_code == 200
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.OPEN  # GET only asks
    assert client.post(f"/duplicates/{pair.pk}/dismiss/").status_code == 302
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.DISMISSED
    assert "张伟" not in client.get("/duplicates/").content.decode()
    assert "张伟" in client.get("/duplicates/?status=dismissed").content.decode()
    client.post(f"/duplicates/{pair.pk}/dismiss/")
    assert DuplicatePair.objects.get(pk=pair.pk).status == PairStatus.OPEN


def test_unmerge_refusal_is_shown_not_raised(
    login: Callable[[str], Client], twins: Twins, users: dict
) -> None:
    from tiercard.customers.services import customer_update
    from tiercard.dedupe.merge import customers_merge

    record = customers_merge(
        actor=users["admin"], survivor_id=twins.survivor.pk, merged_id=twins.merged.pk
    )
    customer_update(actor=users["admin"], customer_id=twins.survivor.pk, data={"address": "别处"})
    client = english(login("admin"))
    response = client.post(f"/duplicates/merges/{record.pk}/undo/")
    assert response.status_code == 409
    assert "edited since" in (block(response.content, "id", "unmerge-error") or "")
    assert MergeRecord.objects.get(pk=record.pk).undone_at is None
    assert not AuditEvent.objects.filter(note="unmerge").exists()


def test_create_form_warns_within_scope_then_creates_anyway(
    login: Callable[[str], Client], twins: Twins
) -> None:
    data = {
        "kind": "person",
        "name": "张伟",
        "status": "active",
        "birthday_calendar": "solar",
        "phones": "13800001111",
        "city": "北京",
    }
    before = Customer.objects.count()
    client = english(login("rep_east1"))
    warned = client.post("/customers/new/", data)
    assert warned.status_code == 200
    box = block(warned.content, "id", "possible-duplicates")
    assert box is not None and "张伟" in box and "same phone" in box
    assert Customer.objects.count() == before
    made = client.post("/customers/new/", {**data, "ignore_duplicates": "1"})
    assert made.status_code == 302
    assert Customer.objects.count() == before + 1
    # Another rep is not told about rep_east1's customers: no warning, created at once.
    other = english(login("rep_south"))
    assert other.post("/customers/new/", data).status_code == 302


# --- the whole-base scan ------------------------------------------------------------------------


def scan_state() -> tuple[int, list[tuple[int, int]], int]:
    state = ScanState.objects.filter(pk=1).first()
    pairs = sorted(DuplicatePair.objects.values_list("customer_a_id", "customer_b_id"))
    return (state.scan_no if state else 0, pairs, AuditEvent.objects.count())


def test_an_admin_runs_the_scan_and_sees_what_it_found(
    login: Callable[[str], Client], twins: Twins
) -> None:
    client = english(login("admin"))
    queue = client.get("/duplicates/").content.decode()
    assert 'action="/duplicates/scan/"' in queue  # the button
    assert not DuplicatePair.objects.exists()

    done = client.post("/duplicates/scan/", follow=True)

    assert done.redirect_chain == [("/duplicates/", 302)]
    page = done.content.decode()
    assert "Scan finished: 1 pairs found, 1 new." in page
    table = block(done.content, "id", "pairs")
    assert table is not None and "张伟" in table and "same phone" in table
    pair = DuplicatePair.objects.get()
    assert (pair.customer_a_id, pair.customer_b_id) == (twins.survivor.pk, twins.merged.pk)
    scan_no, _pairs, _logged = scan_state()
    assert scan_no == 1
    event = AuditEvent.objects.get(object_type="dedupe.scan")
    assert (event.actor.username, event.interface, event.changes["pairs_new"]) == (
        "admin",
        "web",
        1,
    )


@pytest.mark.parametrize("who", ["mgr_east", "rep_east1", "service", "marketing"])
def test_only_an_admin_may_scan_and_a_refusal_changes_nothing(
    login: Callable[[str], Client], twins: Twins, who: str
) -> None:
    client = login(who)
    before = scan_state()

    assert client.post("/duplicates/scan/").status_code == 403

    assert scan_state() == before
    if who == "mgr_east":  # a manager reviews the queue but has no scan button
        assert 'action="/duplicates/scan/"' not in client.get("/duplicates/").content.decode()


def test_the_scan_runs_on_post_only(login: Callable[[str], Client], twins: Twins) -> None:
    client = login("admin")
    before = scan_state()
    assert client.get("/duplicates/scan/").status_code == 405
    assert scan_state() == before
