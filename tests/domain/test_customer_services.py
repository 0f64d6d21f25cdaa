"""Customer services: create, update, archive, reveal — values, rights, audit, no partial writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from tiercard.audit.models import AuditEvent
from tiercard.core.context import interface
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.models import ContactPoint, Customer, CustomerStatus, Tag
from tiercard.customers.services import (
    customer_archive,
    customer_create,
    customer_restore,
    customer_reveal_pii,
    customer_update,
)

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[int, int, int, int]:
    return (
        Customer.objects.count(),
        ContactPoint.objects.count(),
        Tag.objects.count(),
        AuditEvent.objects.count(),
    )


def test_create_stores_normalised_contacts_pinyin_tags_and_audits(users):
    # given a sales rep
    rep = users["rep_east1"]
    # when they create a customer with messy input
    with interface("web"):
        customer = customer_create(
            actor=rep,
            data={
                "name": " 单　伟 ",
                "phones": "138 1234 5678；010-12345678",
                "emails": "Shan@QQ.com",
                "wechat": "shanwei_88",
                "tags": "重点，新客",
                "birthday": "1985年5月1日",
                "credit_limit": "¥50,000",
            },
        )
    # then everything is stored normalised, owned by the rep, in the rep's team
    customer.refresh_from_db()
    assert customer.name == "单 伟"
    assert customer.name_pinyin == "shanwei" and customer.name_initials == "sw"
    assert customer.primary_phone == "+8613812345678" and customer.phone_tail == "5678"
    assert customer.primary_email == "Shan@qq.com"
    assert customer.owner == rep and customer.team == rep.team
    assert customer.birthday == dt.date(1985, 5, 1)
    assert customer.credit_limit == Decimal("50000")
    assert sorted(customer.tags.values_list("name", flat=True)) == ["新客", "重点"]
    points = {(p.kind, p.normalized, p.is_primary) for p in customer.contact_points.all()}
    assert points == {
        ("mobile", "+8613812345678", True),
        ("phone", "+861012345678", True),
        ("email", "Shan@qq.com", True),
        ("wechat", "shanwei_88", True),
    }
    event = AuditEvent.objects.get(customer_id=customer.pk)
    assert (event.action, event.actor, event.interface) == ("create", rep, "web")
    assert event.changes["name"] == [None, "单 伟"]


BAD_INPUTS = [
    ({"name": "张三", "phones": "12345"}, "phones"),
    ({"name": "张三", "emails": "zhang@"}, "emails"),
    ({"name": "张三", "birthday": "2024年13月40日"}, "birthday"),
    ({"name": "张三", "birthday": "2999-01-01"}, "birthday"),
    ({"name": "张三", "credit_limit": "-1"}, "credit_limit"),
    ({"name": "张三", "credit_limit": "lots"}, "credit_limit"),
    ({"name": "张" * 101}, "name"),
    ({"name": ""}, "name"),
    ({"name": "张三", "notes": "x" * 5001}, "notes"),
    ({"name": "张三", "gender": "robot"}, "gender"),
    ({"name": "张三", "credit_code": "91110108MA01ABCD20"}, "credit_code"),
    ({"name": "张三", "registered_on": "2999-01-01"}, "registered_on"),
    ({"name": "张三", "favourite_colour": "red"}, "favourite_colour"),
    (
        {
            "name": "张三",
            "birthday_calendar": "lunar",
            "lunar_birth_year": "1990",
            "lunar_birth_month": "13",
            "lunar_birth_day": "1",
        },
        "lunar_birth_month",
    ),
    ({"name": "张三", "tags": "x" * 41}, "tags"),
]


@pytest.mark.parametrize(("data", "field"), BAD_INPUTS)
def test_bad_input_names_the_field_and_writes_nothing(users, data, field):
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        customer_create(actor=users["rep_east1"], data=data)
    assert field in exc.value.fields
    assert snapshot() == before


def test_error_messages_follow_the_active_language(users):
    with translation.override("en"):
        with pytest.raises(ValidationFailed) as exc:
            customer_create(actor=users["rep_east1"], data={"name": "张三", "phones": "12345"})
        assert "is not a valid phone number" in exc.value.as_dict()["fields"]["phones"][0]
    with translation.override("zh-hans"):
        with pytest.raises(ValidationFailed) as exc:
            customer_create(actor=users["rep_east1"], data={"name": "张" * 101})
        message = exc.value.as_dict()["fields"]["name"][0]
    assert "100" in message and "字符" in message


def test_over_long_text_is_refused_not_truncated(users):
    with pytest.raises(ValidationFailed):
        customer_create(actor=users["rep_east1"], data={"name": "张三", "address": "路" * 201})
    assert not Customer.objects.filter(address__startswith="路").exists()


def test_every_bad_field_is_reported_at_once(users):
    with pytest.raises(ValidationFailed) as exc:
        customer_create(
            actor=users["rep_east1"],
            data={"name": "张三", "phones": "1", "emails": "x", "credit_limit": "-3"},
        )
    assert set(exc.value.fields) == {"phones", "emails", "credit_limit"}


def test_sales_cannot_give_a_new_customer_to_someone_else(users):
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        customer_create(
            actor=users["rep_east1"], data={"name": "张三", "owner_id": users["rep_east2"].pk}
        )
    assert "owner_id" in exc.value.fields
    assert snapshot() == before


def test_manager_assigns_within_team_only(users):
    ok = customer_create(
        actor=users["mgr_east"], data={"name": "张三", "owner_id": users["rep_east2"].pk}
    )
    assert ok.owner == users["rep_east2"] and ok.team == users["rep_east2"].team
    with pytest.raises(ValidationFailed):
        customer_create(
            actor=users["mgr_east"], data={"name": "李四", "owner_id": users["rep_south"].pk}
        )


@pytest.mark.parametrize("role", ["service", "marketing"])
def test_roles_without_create_right_are_refused(users, role):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        customer_create(actor=users[role], data={"name": "张三"})
    assert snapshot() == before


def test_external_id_and_credit_code_are_unique(users, make_customer):
    from tiercard.core.contacts import credit_code_with_check_digit

    code = credit_code_with_check_digit("91310000MA1FL0AB1")
    make_customer(name="甲公司", kind="company", external_id="E-1", credit_code=code)
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        make_customer(name="乙公司", kind="company", external_id="E-1", credit_code=code)
    assert {"external_id", "credit_code"} <= set(exc.value.fields)
    assert snapshot() == before


def test_update_records_a_field_diff_and_bumps_the_version(users, book):
    customer = book["east1"]
    updated = customer_update(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={"city": "杭州", "tags": "老客户"},
        expected_version=1,
    )
    assert updated.version == 2 and updated.city == "杭州"
    event = AuditEvent.objects.filter(customer_id=customer.pk, action="update").get()
    assert event.changes == {"city": ["", "杭州"], "tags": [[], ["老客户"]]}


def test_an_update_that_changes_nothing_is_not_audited(users, book):
    customer = book["east1"]
    customer_update(actor=users["rep_east1"], customer_id=customer.pk, data={"name": "张三"})
    assert not AuditEvent.objects.filter(customer_id=customer.pk, action="update").exists()


def test_stale_version_is_a_conflict_and_changes_nothing(users, book):
    customer = book["east1"]
    customer_update(actor=users["rep_east1"], customer_id=customer.pk, data={"city": "杭州"})
    with pytest.raises(Conflict):
        customer_update(
            actor=users["rep_east1"],
            customer_id=customer.pk,
            data={"city": "宁波"},
            expected_version=1,
        )
    customer.refresh_from_db()
    assert customer.city == "杭州" and customer.version == 2


def test_bad_update_changes_nothing(users, book):
    customer = book["east1"]
    before = snapshot()
    with pytest.raises(ValidationFailed):
        customer_update(
            actor=users["rep_east1"],
            customer_id=customer.pk,
            data={"city": "杭州", "phones": "bogus"},
        )
    customer.refresh_from_db()
    assert customer.city == "" and customer.version == 1 and snapshot() == before


def test_only_managers_reassign_existing_customers(users, book):
    customer = book["east1"]
    with pytest.raises(ValidationFailed):
        customer_update(
            actor=users["rep_east1"],
            customer_id=customer.pk,
            data={"owner_id": users["rep_east2"].pk},
        )
    moved = customer_update(
        actor=users["mgr_east"], customer_id=customer.pk, data={"owner_id": users["rep_east2"].pk}
    )
    assert moved.owner == users["rep_east2"]


def test_lunar_birthday_is_converted_for_age_and_kept_for_greetings(users):
    customer = customer_create(
        actor=users["rep_east1"],
        data={
            "name": "张三",
            "birthday_calendar": "lunar",
            "lunar_birth_year": "1990",
            "lunar_birth_month": "8",
            "lunar_birth_day": "15",
        },
    )
    assert customer.birthday == dt.date(1990, 10, 3)  # 中秋 1990
    assert (customer.lunar_birth_month, customer.lunar_birth_day) == (8, 15)
    no_year = customer_create(
        actor=users["rep_east1"],
        data={
            "name": "李四",
            "birthday_calendar": "lunar",
            "lunar_birth_month": "1",
            "lunar_birth_day": "1",
        },
    )
    assert no_year.birthday is None and no_year.lunar_birth_month == 1


def test_lunar_date_that_does_not_exist_is_refused(users):
    with pytest.raises(ValidationFailed) as exc:
        customer_create(
            actor=users["rep_east1"],
            data={
                "name": "张三",
                "birthday_calendar": "lunar",
                "lunar_birth_year": "2023",
                "lunar_birth_month": "1",
                "lunar_birth_day": "30",
            },
        )  # 2023 正月 has 29 days
    assert "lunar_birth_year" in exc.value.fields


def test_consent_is_timestamped_when_given_and_cleared_when_withdrawn(users):
    customer = customer_create(
        actor=users["rep_east1"], data={"name": "张三", "consent_marketing": True}
    )
    assert customer.consent_marketing and customer.consent_marketing_at is not None
    customer = customer_update(
        actor=users["rep_east1"], customer_id=customer.pk, data={"consent_marketing": False}
    )
    assert not customer.consent_marketing and customer.consent_marketing_at is None


def test_archive_and_restore_need_a_manager(users, book):
    customer = book["east1"]
    with pytest.raises(PermissionDenied):
        customer_archive(actor=users["rep_east1"], customer_id=customer.pk)
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.ACTIVE
    customer_archive(actor=users["mgr_east"], customer_id=customer.pk, reason="duplicate")
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.ARCHIVED
    customer_restore(actor=users["admin"], customer_id=customer.pk)
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.ACTIVE
    actions = list(
        AuditEvent.objects.filter(customer_id=customer.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "archive", "restore"]


def test_archive_via_update_is_refused(users, book):
    with pytest.raises(ValidationFailed):
        customer_update(
            actor=users["mgr_east"], customer_id=book["east1"].pk, data={"status": "archived"}
        )


def test_reveal_is_logged_and_needs_the_right(users, book):
    customer = book["south"]
    with pytest.raises(PermissionDenied):
        customer_reveal_pii(actor=users["service"], customer_id=customer.pk)
    assert not AuditEvent.objects.filter(action="reveal").exists()
    revealed = customer_reveal_pii(actor=users["service_reveal"], customer_id=customer.pk)
    assert revealed["mobile"] == ["13712345670"]
    assert revealed["email"] == ["wangwu@example.com"]
    event = AuditEvent.objects.get(action="reveal")
    assert event.actor == users["service_reveal"] and event.customer_id == customer.pk


def test_reveal_of_a_customer_outside_scope_is_not_found(users, book):
    with pytest.raises(NotFound):
        customer_reveal_pii(actor=users["rep_east1"], customer_id=book["south"].pk)
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_contact_changes_are_audited_masked(users, book):
    customer = book["east1"]
    customer_update(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={"phones": "13812345678, 13998765432", "emails": "zs@qq.com"},
    )
    event = AuditEvent.objects.get(customer_id=customer.pk, action="update")
    assert event.changes["contacts.mobile"] == [["138****5678"], ["138****5678", "139****5432"]]
    assert event.changes["contacts.email"] == [[], ["z***@qq.com"]]
    assert "13998765432" not in str(event.changes)
    created = AuditEvent.objects.get(customer_id=customer.pk, action="create")
    assert created.changes["contacts.mobile"] == [[], ["138****5678"]]


def test_a_no_op_update_keeps_the_version(users, book):
    customer = book["east1"]
    same = customer_update(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={"name": "张三", "phones": "13812345678"},
        expected_version=1,
    )
    assert same.version == 1
    customer.refresh_from_db()
    assert customer.version == 1


def test_age_is_derived_in_business_time(users, time_machine):
    # 2026-05-01 00:30 in Shanghai is still 30 April in UTC
    time_machine.move_to("2026-04-30T16:30:00+00:00")
    customer = customer_create(
        actor=users["rep_east1"], data={"name": "张三", "birthday": "2012-05-01"}
    )
    assert customer.age == 14 and not customer.is_minor_under_14
    young = customer_create(
        actor=users["rep_east1"], data={"name": "李四", "birthday": "2012-05-02"}
    )
    assert young.age == 13 and young.is_minor_under_14


def test_domain_messages_are_chinese_by_default(users):
    with translation.override("zh-hans"):
        with pytest.raises(ValidationFailed) as exc:
            customer_create(actor=users["rep_east1"], data={"name": "张三", "phones": "12345"})
        body = exc.value.as_dict()
    assert body["message"] == "部分字段填写有误。"
    assert body["fields"]["phones"] == ["“12345”不是有效的电话号码。"]


def test_an_archived_card_is_restored_only_by_the_restore_action(users, book):
    customer = book["east1"]
    customer_archive(actor=users["mgr_east"], customer_id=customer.pk)
    with pytest.raises(ValidationFailed) as exc:
        customer_update(actor=users["mgr_east"], customer_id=customer.pk, data={"status": "active"})
    assert "status" in exc.value.fields
    customer.refresh_from_db()
    assert customer.status == "archived"


def test_clearing_the_lunar_birthday(users):
    customer = customer_create(
        actor=users["rep_east1"],
        data={
            "name": "张三",
            "birthday_calendar": "lunar",
            "lunar_birth_year": "1990",
            "lunar_birth_month": "8",
            "lunar_birth_day": "15",
        },
    )
    cleared = customer_update(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={
            "birthday_calendar": "lunar",
            "lunar_birth_year": "",
            "lunar_birth_month": "",
            "lunar_birth_day": "",
        },
    )
    assert (cleared.birthday, cleared.lunar_birth_month, cleared.lunar_birth_day) == (
        None,
        None,
        None,
    )
