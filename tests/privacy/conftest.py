"""A customer with something in every section: contacts, a contact person, purchases with
lines and a return, points, an interaction, a service ticket (answered, resolved, reopened and
resolved again), a note and an edit in the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from tiercard.accounts.models import User
from tiercard.cards.notes import note_add
from tiercard.customers.contact_persons import contact_add
from tiercard.customers.models import Customer
from tiercard.customers.services import customer_create, customer_update
from tiercard.interactions.services import interaction_log
from tiercard.loyalty.services.checkout import purchase_record, purchase_return
from tiercard.loyalty.services.points import points_adjust
from tiercard.sales.models import Purchase
from tiercard.servicedesk.services import (
    ticket_open,
    ticket_reopen,
    ticket_resolve,
    ticket_respond,
)

NAME = "赵敏敏"
PHONE = "13812349876"
EMAIL = "zhaominmin@example.com"
# Personal text only a ticket holds (no field of the card has it): the first resolution,
# which the reopening keeps in the audit log.
TICKET_SECRET = "寄到她女儿的宿舍"


def buy(user: User, customer: Customer, amount: str, ref: str, note: str = "") -> Purchase:
    data: dict[str, Any] = {
        "external_ref": ref,
        "note": note,
        "lines": [
            {"item_name": "龙井茶", "quantity": "1", "unit_price": amount},
            {"item_name": '=HYPERLINK("x")', "quantity": "2", "unit_price": "10"},
        ],
    }
    return purchase_record(actor=user, customer_id=customer.pk, data=data).purchase


@pytest.fixture
def rich(users: dict[str, User], book: dict[str, Customer]) -> Customer:
    """Owned by ``rep_east1`` (team 华东)."""
    rep = users["rep_east1"]
    customer = customer_create(
        actor=rep,
        data={
            "name": NAME,
            "kind": "person",
            "phones": PHONE,
            "emails": EMAIL,
            "wechat": "zmm_wx",
            "birthday": "1990-04-05",
            "address": "杭州市西湖区文三路 99 号",
            "city": "杭州",
            "company_name": "明教贸易有限公司",
            "notes": f"喜欢龙井，电话 {PHONE}",
            "consent_data": True,
            "tags": ["老客户"],
        },
    )
    customer_update(actor=rep, customer_id=customer.pk, data={"address": "杭州市上城区 1 号"})
    contact_add(
        actor=rep,
        customer_id=customer.pk,
        data={"name": "张无忌", "mobile": "13911112222", "email": "zwj@example.com"},
    )
    first = buy(rep, customer, "3000", "R-1", note=f"送货给{NAME}")
    buy(rep, customer, "120", "R-2")
    purchase_return(
        actor=rep,
        purchase_id=first.pk,
        data={"amount": "20", "reason": "破损", "external_ref": "RT-1"},
    )
    points_adjust(
        actor=users["mgr_east"], customer_id=customer.pk, points=50, reason="生日礼", key="adj-1"
    )
    interaction_log(
        actor=rep,
        customer_id=customer.pk,
        data={"kind": "call", "summary": f"{NAME}说下周来店，手机 {PHONE}", "next_step": "回访"},
    )
    ticket = ticket_open(
        actor=rep,
        customer_id=customer.pk,
        data={"kind": "complaint", "subject": f"{NAME}投诉龙井受潮", "detail": f"请回电 {PHONE}"},
    )
    ticket_respond(actor=rep, ticket_id=ticket.pk, data={"kind": "call", "summary": "已回电致歉"})
    ticket_resolve(actor=rep, ticket_id=ticket.pk, resolution=f"补发一盒，{TICKET_SECRET}")
    ticket_reopen(actor=rep, ticket_id=ticket.pk, reason="客户说还没收到")
    ticket_resolve(actor=rep, ticket_id=ticket.pk, resolution=f"{NAME}确认收到补发")
    note_add(actor=rep, customer_id=customer.pk, body=f"{NAME}的女儿在杭州读书")
    return Customer.objects.get(pk=customer.pk)


@pytest.fixture
def login(client: Any, users: dict[str, User]) -> Any:
    """``login("admin")`` signs the test client in as that user and returns it."""
    from tests.conftest import PASSWORD

    def sign_in(username: str) -> Any:
        client.logout()
        assert client.login(username=username, password=PASSWORD)
        return client

    return sign_in
