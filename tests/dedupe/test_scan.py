"""The whole-base scan and the candidates of new values."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.dedupe.conftest import Twins
from tiercard.accounts.models import User
from tiercard.customers.models import Customer
from tiercard.customers.services import customer_update
from tiercard.dedupe.candidates import candidates_for
from tiercard.dedupe.merge import customers_merge
from tiercard.dedupe.models import DuplicatePair, MatchKey, PairStatus
from tiercard.dedupe.scan import GROUP_CAP, dedupe_scan
from tiercard.dedupe.scoring import Reason


def test_scan_finds_scores_and_is_idempotent(twins: Twins) -> None:
    first = dedupe_scan()
    pair = DuplicatePair.objects.get()
    assert (pair.customer_a_id, pair.customer_b_id) == (twins.survivor.pk, twins.merged.pk)
    assert pair.reasons == Reason.PHONE | Reason.NAME_CITY and pair.score == 80
    assert (first.pairs_found, first.pairs_new, first.open) == (1, 1, 1)
    again = dedupe_scan()
    assert (again.cards_rekeyed, again.pairs_new, again.pairs_removed) == (0, 0, 0)
    assert list(DuplicatePair.objects.values_list("pk", "score")) == [(pair.pk, 80)]


def test_scan_is_incremental_and_drops_pairs_that_stop_matching(
    twins: Twins, users: dict[str, User]
) -> None:
    dedupe_scan()
    with time_machine.travel("2099-01-01 12:00 +08:00"):
        customer_update(
            actor=users["admin"],
            customer_id=twins.survivor.pk,
            data={"phones": "13700009999", "city": "上海"},
        )
    report = dedupe_scan()
    assert report.cards_rekeyed == 1
    assert report.pairs_removed == 1 and not DuplicatePair.objects.exists()


def test_decisions_survive_rescans(twins: Twins, users: dict[str, User]) -> None:
    dedupe_scan()
    DuplicatePair.objects.update(status=PairStatus.DISMISSED)
    dedupe_scan(full=True)
    assert DuplicatePair.objects.get().status == PairStatus.DISMISSED


def test_merged_cards_have_no_keys_and_no_open_pairs(
    twins: Twins, users: dict[str, User], make_customer: Callable[..., Customer]
) -> None:
    third = make_customer("rep_east1", name="张伟", phones="13900002222")
    dedupe_scan()
    assert DuplicatePair.objects.filter(status=PairStatus.OPEN).count() == 2
    customers_merge(actor=users["admin"], survivor_id=twins.survivor.pk, merged_id=twins.merged.pk)
    assert not MatchKey.objects.filter(customer_id=twins.merged.pk).exists()
    dedupe_scan()
    pairs = set(DuplicatePair.objects.values_list("customer_a_id", "customer_b_id", "status"))
    assert pairs == {
        (twins.survivor.pk, twins.merged.pk, PairStatus.MERGED),
        (twins.survivor.pk, third.pk, PairStatus.OPEN),  # the phone it gained from the merge
    }


def test_over_shared_values_are_skipped(make_customer: Callable[..., Customer]) -> None:
    for i in range(GROUP_CAP + 1):
        make_customer("rep_east1", name=f"门店客户{i}", phones="02155550000")
    report = dedupe_scan()
    assert report.groups_skipped == 1 and report.pairs_found == 0


def _scan_queries(full: bool) -> int:
    with CaptureQueriesContext(connection) as captured:
        dedupe_scan(full=full)
    return len(captured.captured_queries)


def test_scan_costs_the_same_queries_for_more_customers(
    make_customer: Callable[..., Customer],
) -> None:
    for i in range(3):
        make_customer("rep_east1", name=f"甲{i}", phones=f"1350000{i:04d}")
    small = _scan_queries(full=True)
    for i in range(3, 40):
        make_customer("rep_east1", name=f"乙{i}", phones=f"1350000{i % 20:04d}")
    assert _scan_queries(full=True) <= small + 2  # pair batches, not one query per card


def test_candidates_for_new_values(twins: Twins, users: dict[str, User]) -> None:
    found = candidates_for(
        viewer=users["rep_east1"],
        values={"name": "张伟", "phones": "+86 138-0000-1111", "city": "北京市"},
    )
    assert [c.customer.pk for c in found][:2] and {c.customer.pk for c in found} == {
        twins.survivor.pk,
        twins.merged.pk,
    }
    assert found[0].level in {"likely", "certain"} and Reason.PHONE in found[0].reasons
    # No scan has run: found from the source tables. Outside the scope: nothing.
    assert candidates_for(viewer=users["rep_east2"], values={"phones": "13800001111"}) == []
    assert candidates_for(viewer=users["rep_east1"], values={"name": "无关", "phones": "x"}) == []


def test_candidates_find_a_company_by_its_core_name(
    users: dict[str, User], make_customer: Callable[..., Customer]
) -> None:
    company = make_customer("rep_east1", name="广东省深圳市腾飞科技有限公司", kind="company")
    dedupe_scan()
    found = candidates_for(
        viewer=users["mgr_east"], values={"name": "腾飞科技（深圳）有限公司", "kind": "company"}
    )
    assert [c.customer.pk for c in found] == [company.pk]
    assert found[0].reasons[0] == Reason.COMPANY


@pytest.mark.parametrize("who", ["service", "marketing", "admin"])
def test_candidates_for_wide_scopes_see_all(twins: Twins, users: dict[str, User], who: str) -> None:
    assert len(candidates_for(viewer=users[who], values={"phones": "13800001111"})) == 2
