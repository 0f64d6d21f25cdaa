"""Service tickets on the printed card, as the card page shows their panel beside every
template: those still being worked (whatever their age) first, then those resolved in the
period; none, no section."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests.printing.conftest import read_pdf
from tiercard.cards.layout import default_layouts
from tiercard.cards.templates import card_template_save
from tiercard.core.timeutils import business_today
from tiercard.customers.models import Customer
from tiercard.printing.card import TICKET_ROWS, card_sheet
from tiercard.printing.services import card_print
from tiercard.servicedesk.services import ticket_open, ticket_resolve

pytestmark = pytest.mark.django_db


def _open(users: dict, customer: Customer, subject: str, **data: str) -> int:
    data = {"kind": "complaint", "subject": subject, **data}
    return ticket_open(actor=users["rep_east1"], customer_id=customer.pk, data=data).pk


def test_open_and_recently_resolved_tickets_print_under_the_key_figures(
    users: dict, vip: Customer
) -> None:
    # given an old ticket resolved long ago, an old one never answered (VIP: 4 hours), and
    # one resolved today
    with time_machine.travel(timezone.now() - dt.timedelta(days=500)):
        old = _open(users, vip, "去年的发票问题")
        ticket_resolve(actor=users["rep_east1"], ticket_id=old, resolution="已重开发票")
        _open(users, vip, "礼盒少了一瓶")
    recent = _open(users, vip, "配送延误", kind="after_sales")
    ticket_resolve(actor=users["rep_east1"], ticket_id=recent, resolution="已加急送达")

    # when
    text = read_pdf(card_print(actor=users["rep_east1"], customer_id=vip.pk).content).text

    # then
    part = text.split("Service tickets")[1].split("Basic information")[0]
    assert "Points balance" in text.split("Service tickets")[0]  # after the key figures
    assert "Subject and resolution" in part
    assert "礼盒少了一瓶" in part and "Awaiting response · overdue" in part
    assert "配送延误" in part and "已加急送达" in part and "After-sales" in part
    assert "去年的发票问题" not in text and "已重开发票" not in text
    assert part.index("礼盒少了一瓶") < part.index("配送延误")  # unresolved first


def test_tickets_print_whatever_the_template(users: dict, basic: Customer) -> None:
    # given a template without the timeline panel
    layout = default_layouts()["basic"].to_json()
    layout["sections"] = [s for s in layout["sections"] if s["key"] != "timeline"]
    card_template_save(actor=users["admin"], tier_code="basic", layout=layout)
    _open(users, basic, "会员卡补办", kind="enquiry")

    text = read_pdf(card_print(actor=users["rep_east1"], customer_id=basic.pk).content).text

    assert "Timeline" not in text
    assert "Service tickets" in text and "会员卡补办" in text and "Enquiry" in text


def test_a_card_without_tickets_prints_no_ticket_section(users: dict, basic: Customer) -> None:
    pdf = read_pdf(card_print(actor=users["rep_east1"], customer_id=basic.pk).content)
    assert "Timeline" in pdf.text and "Service tickets" not in pdf.text
    assert pdf.pages == 1


def test_at_most_a_few_tickets_print(users: dict, basic: Customer) -> None:
    for n in range(TICKET_ROWS + 2):
        _open(users, basic, f"第{n}号问题")

    sheet = card_sheet(viewer=users["rep_east1"], customer_id=basic.pk, today=business_today())

    assert [t.text for t in sheet.tickets] == [
        f"第{n}号问题" for n in reversed(range(2, TICKET_ROWS + 2))
    ]
    assert sheet.tickets_more == 2  # not listed, but said
    text = read_pdf(card_print(actor=users["rep_east1"], customer_id=basic.pk).content).text
    assert "第6号问题" in text and "第1号问题" not in text
    assert "2 more not listed" in text
