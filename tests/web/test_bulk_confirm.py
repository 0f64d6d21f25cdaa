"""Bulk actions through the web and their confirmations: a bulk tag is added at once; handing
customers over and changing their status first show how many customers will change, and
change nothing until confirmed; the × of a tag on the card asks first, with htmx and without
JavaScript. Rows changed, audit rows written, customers not selected or out of scope untouched.

The confirmation texts are new msgids: they are asserted in English (their Chinese comes
with the lead's merge of the translations)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.web.conftest import block
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.customers.card_actions import customer_tag_add
from tiercard.customers.models import Customer, CustomerStatus

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
QUERY = "city=上海&sort=name&cursor=abc"
TABLE = "/customers/?city=%E4%B8%8A%E6%B5%B7&sort=name"  # the view, without the page cursor


def snapshot() -> list[tuple]:
    rows = Customer.objects.order_by("pk").prefetch_related("tags")
    return [
        (c.pk, c.owner_id, c.team_id, c.status, c.version, sorted(t.name for t in c.tags.all()))
        for c in rows
    ]


def audit_count() -> int:
    """Audit rows other than sign-ins (the tests sign in after taking their snapshot)."""
    return AuditEvent.objects.exclude(action=AuditAction.LOGIN).count()


def updates(after: int = 0) -> list[tuple[int | None, dict]]:
    """Customer updates audited after the audit row ``after``, by customer."""
    events = AuditEvent.objects.filter(action=AuditAction.UPDATE, pk__gt=after)
    return [(e.customer_id, e.changes) for e in events.order_by("customer_id", "pk")]


def last_audit() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def east(make_customer: Callable[..., Customer]) -> list[Customer]:
    """Three 上海 customers of the east team (two of rep_east1, one of rep_east2)."""
    return [
        make_customer("rep_east1", name="张一", city="上海"),
        make_customer("rep_east1", name="张二", city="上海"),
        make_customer("rep_east2", name="李三", city="上海"),
    ]


@pytest.fixture
def others(make_customer: Callable[..., Customer]) -> list[Customer]:
    """Customers nobody selects: one of the east team, one of the south team."""
    return [
        make_customer("rep_east1", name="赵四", city="上海", tags="老客户"),
        make_customer("rep_south", name="王南", city="广州"),
    ]


def english(client: Client) -> Client:
    assert client.post("/language/", {"language": "en"}).status_code == 302
    return client


def pks(customers: list[Customer]) -> list[int]:
    return [c.pk for c in customers]


# --- Bulk add tag -----------------------------------------------------------------------------


def test_a_bulk_tag_is_added_to_the_ticked_rows_at_once(
    login: Callable[[str], Client], east: list[Customer], others: list[Customer], users: dict
) -> None:
    customer_tag_add(actor=users["rep_east2"], customer_id=east[2].pk, name="重点")
    before = {row[0]: row for row in snapshot()}
    audits, mark = audit_count(), last_audit()
    client = english(login("mgr_east"))
    response = client.post(
        "/customers/bulk/",
        {"action": "tag", "tag": " 重点 ", "ids": pks(east), "query": QUERY},
    )
    assert response.status_code == 302 and response["Location"] == TABLE
    page = client.get(response["Location"]).content.decode()
    assert "2 customers changed." in page
    tagged = Customer.objects.filter(tags__name="重点").values_list("pk", flat=True)
    assert sorted(tagged) == pks(east)
    # Two changed (the third had the tag already): one audit row each, naming the tag.
    assert audit_count() == audits + 2
    assert updates(mark) == [
        (east[0].pk, {"tags": [[], ["重点"]]}),
        (east[1].pk, {"tags": [[], ["重点"]]}),
    ]
    after = {row[0]: row for row in snapshot()}
    assert after[east[2].pk] == before[east[2].pk]  # already tagged: no version bump
    for other in others:
        assert after[other.pk] == before[other.pk]
    for customer in east[:2]:
        assert after[customer.pk][4] == before[customer.pk][4] + 1  # version


# --- Bulk status: confirm first ---------------------------------------------------------------


def test_a_bulk_status_change_asks_first_saying_how_many_will_change(
    login: Callable[[str], Client], east: list[Customer], others: list[Customer]
) -> None:
    Customer.objects.filter(pk=east[1].pk).update(status=CustomerStatus.AT_RISK)
    before, audits = snapshot(), audit_count()
    client = english(login("mgr_east"))
    data = {"action": "status", "status": "at_risk", "ids": pks(east), "query": QUERY}
    response = client.post("/customers/bulk/", data)
    assert response.status_code == 200
    html = response.content.decode()
    confirm = block(html, "id", "bulk-confirm") or ""
    assert "Set the status of 2 customers to “At risk”?" in confirm
    assert "3 customers selected." in confirm
    assert "1 of them already has this and stays as it is." in confirm
    assert f'href="{TABLE.replace("&", "&amp;")}"' in html  # Cancel: back to the same view
    for pk in pks(east):
        assert f'name="ids" value="{pk}"' in html
    assert 'name="confirm" value="1"' in html and 'name="status" value="at_risk"' in html
    assert snapshot() == before and audit_count() == audits  # nothing yet

    done = client.post("/customers/bulk/", {**data, "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == TABLE
    assert "2 customers changed." in client.get(done["Location"]).content.decode()
    statuses = dict(Customer.objects.values_list("pk", "status"))
    assert {statuses[pk] for pk in pks(east)} == {CustomerStatus.AT_RISK}
    assert [statuses[pk] for pk in pks(others)] == [CustomerStatus.ACTIVE] * 2
    assert audit_count() == audits + 2
    assert [(c, ch["status"]) for c, ch in updates()] == [
        (east[0].pk, ["active", "at_risk"]),
        (east[2].pk, ["active", "at_risk"]),
    ]


def test_a_status_change_nobody_needs_says_so_and_offers_nothing_to_confirm(
    login: Callable[[str], Client], east: list[Customer]
) -> None:
    before, audits = snapshot(), audit_count()
    client = english(login("mgr_east"))
    data = {"action": "status", "status": "active", "ids": pks(east)}
    html = client.post("/customers/bulk/", data).content.decode()
    confirm = block(html, "id", "bulk-confirm") or ""
    assert "Nothing to change" in confirm
    assert "3 of them already have this and stay as they are." in confirm
    assert 'name="confirm"' not in html
    assert snapshot() == before and audit_count() == audits


# --- Bulk owner: confirm first ----------------------------------------------------------------


def test_handing_customers_over_asks_first_and_changes_them_on_confirmation(
    login: Callable[[str], Client], east: list[Customer], others: list[Customer], users: dict
) -> None:
    before, audits = snapshot(), audit_count()
    client = english(login("mgr_east"))
    new_owner = users["rep_east2"]
    data = {"action": "owner", "owner": new_owner.pk, "ids": pks(east), "query": QUERY}
    response = client.post("/customers/bulk/", data)
    assert response.status_code == 200
    confirm = block(response.content, "id", "bulk-confirm") or ""
    assert "Hand 2 customers to rep_east2?" in confirm  # 李三 is rep_east2's already
    assert "1 of them already has this and stays as it is." in confirm
    assert snapshot() == before and audit_count() == audits

    done = client.post("/customers/bulk/", {**data, "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == TABLE
    owners = dict(Customer.objects.values_list("pk", "owner_id"))
    assert {owners[pk] for pk in pks(east)} == {new_owner.pk}
    assert owners[others[0].pk] == users["rep_east1"].pk
    assert owners[others[1].pk] == users["rep_south"].pk
    assert audit_count() == audits + 2
    assert sorted(c for c, _ in updates()) == [east[0].pk, east[1].pk]


def test_the_confirmation_shows_nothing_for_a_foreign_id_and_nothing_changes(
    login: Callable[[str], Client], east: list[Customer], others: list[Customer], users: dict
) -> None:
    before, audits = snapshot(), audit_count()
    client = english(login("mgr_east"))
    south = others[1]
    for data in (
        {"action": "owner", "owner": users["rep_east2"].pk},
        {"action": "status", "status": "churned"},
    ):
        for confirmed in ({}, {"confirm": "1"}):
            response = client.post(
                "/customers/bulk/",
                {**data, **confirmed, "ids": [east[0].pk, south.pk]},
                follow=True,
            )
            html = response.content.decode()
            assert "Some selected customers are not available to you; nothing was changed." in html
            assert 'id="bulk-confirm"' not in html and "王南" not in html
    assert snapshot() == before and audit_count() == audits


def test_a_rep_cannot_reach_the_owner_confirmation_and_bad_values_are_refused_before_it(
    login: Callable[[str], Client], east: list[Customer], users: dict
) -> None:
    before, audits = snapshot(), audit_count()
    mine = pks(east[:2])
    rep = login("rep_east1")
    response = rep.post(
        "/customers/bulk/", {"action": "owner", "owner": users["rep_east2"].pk, "ids": mine}
    )
    assert response.status_code == 403
    client = english(login("mgr_east"))
    refused = {
        "status": ("archived", "Choose active, at risk or churned."),
        "owner": (str(users["rep_south"].pk), "You may not assign customers to this account"),
    }
    for action, (value, message) in refused.items():
        page = client.post(
            "/customers/bulk/", {"action": action, action: value, "ids": mine}, follow=True
        ).content.decode()
        assert message in page and 'id="bulk-confirm"' not in page
    assert snapshot() == before and audit_count() == audits


# --- Removing a tag from the card -------------------------------------------------------------


@pytest.fixture
def tagged(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer("rep_east1", name="刘备", tags="回头客,重点")


def tag_names(customer: Customer) -> list[str]:
    return sorted(customer.tags.values_list("name", flat=True))


def test_the_tag_cross_asks_in_place_with_htmx_and_removes_only_when_confirmed(
    login: Callable[[str], Client], tagged: Customer
) -> None:
    before, audits = snapshot(), audit_count()
    client = english(login("rep_east1"))
    url = f"/customers/{tagged.pk}/tags/remove/"
    asked = client.post(url, {"tag": "回头客"}, headers=HTMX)
    assert asked.status_code == 200
    assert (asked["HX-Retarget"], asked["HX-Reswap"]) == ("closest li", "outerHTML")
    html = asked.content.decode()
    assert html.lstrip().startswith('<li class="tag" id="tag-confirm"')
    assert "Remove the tag “回头客” from this card?" in html
    assert 'name="confirm" value="1"' in html and 'hx-target="#card-facts"' in html
    assert f'hx-get="/customers/{tagged.pk}/part/facts/"' in html  # Cancel restores the chips
    assert snapshot() == before and audit_count() == audits
    assert tag_names(tagged) == ["回头客", "重点"]

    done = client.post(url, {"tag": "回头客", "confirm": "1"}, headers=HTMX)
    assert done.status_code == 200
    chips = done.content.decode()
    assert ">重点</a>" in chips and ">回头客</a>" not in chips
    assert tag_names(tagged) == ["重点"]
    assert audit_count() == audits + 1
    assert updates()[-1] == (tagged.pk, {"tags": [["回头客", "重点"], ["重点"]]})


def test_without_javascript_the_tag_cross_shows_a_confirmation_page(
    login: Callable[[str], Client], tagged: Customer
) -> None:
    before, audits = snapshot(), audit_count()
    client = english(login("rep_east1"))
    url = f"/customers/{tagged.pk}/tags/remove/"
    for asked in (client.post(url, {"tag": "重点"}), client.get(url, {"tag": "重点"})):
        assert asked.status_code == 200
        confirm = block(asked.content, "id", "tag-confirm") or ""
        assert "Remove the tag “重点” from this card?" in confirm
        assert "name=confirm value=1" in confirm and "Cancel" in confirm
        assert f'href="/customers/{tagged.pk}/#card-facts"' in asked.content.decode()
    assert snapshot() == before and audit_count() == audits

    done = client.post(url, {"tag": "重点", "confirm": "1"})
    assert done.status_code == 302
    assert done["Location"] == f"/customers/{tagged.pk}/#card-facts"
    assert tag_names(tagged) == ["回头客"]
    assert audit_count() == audits + 1
    assert "Tag removed." in client.get(done["Location"]).content.decode()


def test_the_tag_confirmation_refuses_what_the_removal_would_refuse(
    login: Callable[[str], Client], tagged: Customer, others: list[Customer]
) -> None:
    before, audits = snapshot(), audit_count()
    url = f"/customers/{tagged.pk}/tags/remove/"
    service = login("service")  # sees the card, may not change tags
    assert service.post(url, {"tag": "重点"}).status_code == 403
    assert service.post(url, {"tag": "重点"}, headers=HTMX).status_code == 403
    assert service.post(url, {"tag": "重点", "confirm": "1"}).status_code == 403
    rep = login("rep_east1")
    assert rep.post(url, {"tag": "没有的"}).status_code == 404  # not on this card
    foreign = f"/customers/{others[1].pk}/tags/remove/"  # rep_south's customer
    assert rep.post(foreign, {"tag": "重点"}, headers=HTMX).status_code == 404
    assert rep.get(foreign, {"tag": "重点"}).status_code == 404
    assert snapshot() == before and audit_count() == audits
