"""The bulk service writes what ``customer_create`` writes, and refuses what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import PermissionDenied, ValidationFailed
from tiercard.customers.bulk_create import (
    NewCard,
    customers_bulk_create,
    customers_bulk_validate,
)
from tiercard.customers.models import ContactPoint, Customer, Tag
from tiercard.customers.services import customer_create

TIMESTAMPS = {"id", "created_at", "updated_at", "consent_data_at", "consent_marketing_at"}

CARDS: list[dict[str, Any]] = [
    {"name": "张伟"},
    {
        "name": " 单　伟 ",
        "phones": "138 1234 5678；010-12345678",
        "emails": "Shan@QQ.com",
        "wechat": "shanwei_88",
        "qq": "123456",
        "tags": "重点，新客",
        "birthday": "1985年5月1日",
        "credit_limit": "¥50,000",
        "gender": "male",
        "city": "上海",
        "address": "浦东新区\n1 号",
        "notes": "老客户介绍",
        "registered_on": "2024-05-01",
        "consent_data": True,
        "consent_marketing": "是",
        "source_channel": "import",
    },
    {
        "name": "长沙星辰贸易有限公司",
        "kind": "company",
        "company_name": "长沙星辰贸易有限公司",
        "name_en": "Star Trading",
        "external_id": "C-9",
        "credit_code": "91350100M000100Y43",
        "emails": "a@example.com, b@example.com",
        "industry": "批发",
    },
    {
        "name": "李四",
        "birthday_calendar": "lunar",
        "lunar_birth_year": "1990",
        "lunar_birth_month": "8",
        "lunar_birth_day": "15",
        "status": "at_risk",
    },
]


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


def stored(customer: Customer) -> dict[str, Any]:
    """Everything the database holds for a card, but its id and timestamps."""
    card = Customer.objects.get(pk=customer.pk)
    columns = {
        f.attname: getattr(card, f.attname)
        for f in Customer._meta.concrete_fields
        if f.attname not in TIMESTAMPS
    }
    columns["consent_at_set"] = (
        card.consent_data_at is not None,
        card.consent_marketing_at is not None,
    )
    columns["contacts"] = list(
        ContactPoint.objects.filter(customer=card)
        .order_by("kind", "-is_primary", "id")
        .values_list("kind", "value", "normalized", "label", "is_primary", "opted_out")
    )
    columns["tags"] = sorted(card.tags.values_list("name", flat=True))
    event = AuditEvent.objects.get(object_type="customers.customer", object_id=str(card.pk))
    columns["audit"] = (
        event.actor_id,
        event.actor_label,
        event.interface,
        event.action,
        event.customer_id == card.pk,
        event.changes,
        event.note,
    )
    return columns


def without_unique(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("external_id", "credit_code")}


@pytest.mark.parametrize("data", CARDS, ids=["name only", "person", "company", "lunar"])
@pytest.mark.parametrize("actor", ["rep_east1", "mgr_east", "admin"])
def test_same_columns_contacts_tags_and_audit_as_customer_create(
    users: dict[str, User], data: dict[str, Any], actor: str
) -> None:
    one = customer_create(actor=users[actor], data=data)
    expected = stored(one)
    Customer.objects.filter(pk=one.pk).delete()  # the unique values are free again

    [made] = customers_bulk_create(actor=users[actor], items=[data])

    assert made.pk is not None and made.pk != one.pk
    assert stored(made) == expected
    assert made.owner_id == users[actor].pk and made.team_id == users[actor].team_id


def test_a_chunk_of_many_cards_each_as_customer_create_would_write_it(
    users: dict[str, User],
) -> None:
    actor = users["rep_east1"]
    items = [without_unique(d) for d in CARDS]
    expected = []
    for data in items:
        card = customer_create(actor=actor, data=data)
        expected.append(stored(card))
        Customer.objects.filter(pk=card.pk).delete()
    made = customers_bulk_create(actor=actor, items=items)
    assert [stored(card) for card in made] == expected


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"name": ""},
        {"name": "张" * 101},
        {"name": "张三", "phones": "12345"},
        {"name": "张三", "phones": "1", "emails": "x", "credit_limit": "-3"},
        {"name": "张三", "address": "路" * 201},
        {"name": "张三", "status": "archived"},
        {"name": "张三", "gender": "robot", "kind": "alien"},
        {"name": "张三", "birthday": "2999-01-01"},
        {"name": "张三", "qq": "12"},
        {"name": "张三", "nickname": "x"},
        {"name": "张三", "birthday_calendar": "lunar", "lunar_birth_month": "13"},
    ],
)
def test_refuses_what_customer_create_refuses_with_the_same_field_errors(
    users: dict[str, User], data: dict[str, Any]
) -> None:
    actor = users["rep_east1"]
    with pytest.raises(ValidationFailed) as single:
        customer_create(actor=actor, data=data)
    [result] = customers_bulk_validate(actor=actor, items=[data])
    assert isinstance(result, ValidationFailed)
    assert {k: sorted(map(str, v)) for k, v in result.fields.items()} == {
        k: sorted(map(str, v)) for k, v in single.value.fields.items()
    }
    assert Customer.objects.count() == 0


def counts() -> tuple[int, int, int, int]:
    return (
        Customer.objects.count(),
        ContactPoint.objects.count(),
        Tag.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_duplicate_external_id_refuses_the_whole_chunk_and_writes_nothing(
    users: dict[str, User], make_customer
) -> None:
    make_customer("rep_south", name="王五", external_id="M1", credit_code="91350100M000100Y43")
    before = counts()
    items = [
        {"name": "张三", "phones": "13812345678", "tags": "新标签", "external_id": "M2"},
        {"name": "李四", "external_id": "M1"},  # another rep's card holds it
        {"name": "赵六", "external_id": "M2"},  # the first item of this chunk takes it
        {"name": "钱七", "credit_code": "91350100M000100Y43"},
    ]
    with pytest.raises(ValidationFailed) as refused:
        customers_bulk_create(actor=users["rep_east1"], items=items)
    assert set(refused.value.fields) == {
        "items.1.external_id",
        "items.2.external_id",
        "items.3.credit_code",
    }
    assert str(refused.value.fields["items.1.external_id"][0]) == (
        "Another customer already has this external id."
    )
    assert counts() == before


def test_validate_gives_one_result_per_item_and_a_refused_card_frees_its_value(
    users: dict[str, User],
) -> None:
    results = customers_bulk_validate(
        actor=users["rep_east1"],
        items=[
            {"name": "", "external_id": "M9"},  # refused: its id is not held against the next
            {"name": "张三", "external_id": "M9"},
            {"name": "李四", "external_id": "M9"},
        ],
    )
    assert isinstance(results[0], ValidationFailed) and set(results[0].fields) == {"name"}
    assert isinstance(results[1], NewCard) and results[1].customer.pk is None
    assert isinstance(results[2], ValidationFailed)
    assert set(results[2].fields) == {"external_id"}
    assert Customer.objects.count() == 0


def test_naming_an_owner_is_refused_here(users: dict[str, User]) -> None:
    [result] = customers_bulk_validate(
        actor=users["mgr_east"], items=[{"name": "张三", "owner_id": users["rep_east1"].pk}]
    )
    assert isinstance(result, ValidationFailed) and set(result.fields) == {"owner_id"}


@pytest.mark.parametrize("role", ["service", "marketing"])
def test_an_actor_who_may_not_create_customers_is_refused(
    users: dict[str, User], role: str
) -> None:
    before = counts()
    with pytest.raises(PermissionDenied):
        customers_bulk_create(actor=users[role], items=[{"name": "张三"}])
    with pytest.raises(PermissionDenied):
        customers_bulk_validate(actor=users[role], items=[{"name": "张三"}])
    assert counts() == before
