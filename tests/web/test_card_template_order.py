"""The tier template's priorities order the card: sections, the fields in them and the history
column's panels, on the page as on the printed card (both read ``cards.templates.evaluate``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tiercard.accounts.models import User
from tiercard.cards.templates import card_template_save
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.printing.card import card_sheet

pytestmark = pytest.mark.django_db


def _field(name: str, priority: int) -> dict[str, Any]:
    return {"name": name, "shown": True, "required": False, "priority": priority}


def _section(key: str, priority: int, *fields: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "shown": True, "priority": priority, "fields": list(fields)}


# Priorities against the catalogue's order throughout, so only the priorities can explain
# the order on the page.
UPSIDE_DOWN = {
    "sections": [
        _section("preferences", 1, _field("needs", 2), _field("interests", 1)),
        _section("address", 2, _field("city", 2), _field("province", 1)),
        _section(
            "basic",
            3,
            _field("occupation", 3),
            _field("company_name", 2),
            _field("source_channel", 1),
        ),
        _section("notes", 1),
        _section("timeline", 2),
        _section("purchases", 3),
        _section("loyalty", 4),
    ]
}


@pytest.fixture
def customer(make_customer: Callable[..., Customer], users: dict[str, User]) -> Customer:
    card_template_save(actor=users["admin"], tier_code="basic", layout=UPSIDE_DOWN)
    return make_customer(
        "rep_east1",
        name="张三",
        phones="13812345678",
        province="浙江",
        city="杭州",
        needs="红茶",
        interests="书法",
        occupation="教师",
        company_name="某某茶庄",
        source_channel="referral",
    )


def _order(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html)


def _positions(html: str, *markers: str) -> list[int]:
    found = [html.find(m) for m in markers]
    assert -1 not in found, dict(zip(markers, found, strict=True))
    return found


def test_sections_fields_and_panels_follow_the_priorities(
    customer: Customer, login: Callable[[str], Client]
) -> None:
    html = login("rep_east1").get(f"/customers/{customer.pk}/").content.decode()

    sections = _order(html, r'id="section-(preferences|address|basic|business|consent)"')
    fields = _order(html, r'class="dl__row" data-field="(\w+)"')
    main = _positions(html, 'id="card-notes"', 'id="timeline"', 'id="totals"', 'class="quick"')

    assert sections == ["preferences", "address", "basic"]
    template_fields = [f for f in fields if f not in {"gender", "birthday", "position"}]
    assert template_fields[:7] == [
        "interests",
        "needs",
        "province",
        "city",
        "source_channel",
        "company_name",
        "occupation",
    ]
    assert main == sorted(main)  # notes, timeline, the purchase totals, then quick actions


def test_quick_actions_stay_on_top_when_the_template_hides_the_totals(
    customer: Customer, login: Callable[[str], Client], users: dict[str, User]
) -> None:
    layout = {
        "sections": [
            s
            for s in UPSIDE_DOWN["sections"]
            if s["key"] not in {"purchases"}  # not shown: left out
        ]
    }
    card_template_save(actor=users["admin"], tier_code="basic", layout=layout)

    html = login("rep_east1").get(f"/customers/{customer.pk}/").content.decode()

    assert 'id="totals"' not in html
    order = _positions(html, 'class="quick"', 'id="card-notes"', 'id="timeline"')
    assert order == sorted(order)


def test_the_printed_card_has_the_pages_order(
    customer: Customer, login: Callable[[str], Client], users: dict[str, User]
) -> None:
    html = login("rep_east1").get(f"/customers/{customer.pk}/").content.decode()
    sheet = card_sheet(viewer=users["rep_east1"], customer_id=customer.pk, today=business_today())

    printed = [b.key for b in sheet.blocks]
    page_sections = _order(html, r'id="section-(preferences|address|basic)"')
    assert [k for k in printed if k in page_sections] == page_sections
    assert [k for k in printed if k in {"notes", "timeline", "purchases"}] == [
        "notes",
        "timeline",
        "purchases",
    ]
    printed_fields = [r.name for b in sheet.blocks for r in b.rows]
    page_fields = [
        f for f in _order(html, r'class="dl__row" data-field="(\w+)"') if f in printed_fields
    ]
    assert printed_fields == page_fields[: len(printed_fields)]
