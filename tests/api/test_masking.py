"""Masked contact values for service and marketing; reveal is permitted, refused and logged."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import ApiClient, snapshot
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.customers.contact_persons import contact_add
from tiercard.customers.models import Customer

pytestmark = pytest.mark.django_db

FULL_PHONE = "13712345670"
MASKED = "137****5670"


@pytest.fixture
def south(book: dict[str, Customer], users: dict[str, User]) -> Customer:
    customer = book["south"]
    contact_add(
        actor=users["rep_south"],
        customer_id=customer.pk,
        data={"name": "钱八", "mobile": "13698765432", "email": "qian@example.com"},
    )
    return customer


@pytest.mark.parametrize("role", ["service", "marketing", "service_reveal"])
def test_masked_roles_never_receive_full_values(
    role: str, south: Customer, api: Callable[..., ApiClient]
) -> None:
    client = api(role)

    detail = client.get(f"/customers/{south.pk}")
    listing = client.get("/customers", {"q": "王五"})
    contacts = client.get(f"/customers/{south.pk}/contacts")
    timeline = client.get(f"/customers/{south.pk}/timeline")

    card = detail.json()
    assert card["phone"] == MASKED
    assert card["email"] == "w***@example.com"
    assert card["pii_masked"] is True
    assert {p["value"] for p in card["contact_points"]} == {MASKED, "w***@example.com"}
    assert card["contacts"][0]["mobile"] == "136****5432"
    assert card["contacts"][0]["email"] == "q***@example.com"
    assert listing.json()["items"][0]["phone"] == MASKED
    assert contacts.json()[0]["mobile"] == "136****5432"
    for response in (detail, listing, contacts, timeline):
        assert response.status_code == 200
        text = response.content.decode()
        for secret in (FULL_PHONE, "13698765432", "wangwu@", "qian@"):
            assert secret not in text, (role, response.request["PATH_INFO"])


@pytest.mark.parametrize("role", ["rep_south", "mgr_south", "admin"])
def test_unmasked_roles_see_full_values(
    role: str, south: Customer, api: Callable[..., ApiClient]
) -> None:
    card = api(role).get(f"/customers/{south.pk}").json()

    assert card["phone"] == FULL_PHONE
    assert card["email"] == "wangwu@example.com"
    assert card["pii_masked"] is False
    assert card["contacts"][0]["mobile"] == "13698765432"


def test_reveal_by_a_permitted_masked_role_is_logged(
    south: Customer, api: Callable[..., ApiClient], users: dict[str, User]
) -> None:
    client = api("service_reveal")
    reveals_before = AuditEvent.objects.filter(action=AuditAction.REVEAL).count()

    response = client.post(f"/customers/{south.pk}/reveal")

    assert response.status_code == 200
    assert response.json() == {
        "customer_id": south.pk,
        "contact_points": {"mobile": [FULL_PHONE], "email": ["wangwu@example.com"]},
    }
    reveals = AuditEvent.objects.filter(action=AuditAction.REVEAL)
    assert reveals.count() == reveals_before + 1
    event = reveals.latest("id")
    assert event.actor == users["service_reveal"]
    assert event.customer_id == south.pk
    assert event.interface == "api"
    assert FULL_PHONE not in str(event.changes)


@pytest.mark.parametrize("role", ["service", "marketing"])
def test_reveal_without_the_right_is_403_and_not_logged(
    role: str, south: Customer, api: Callable[..., ApiClient]
) -> None:
    client = api(role)
    before = snapshot(south.pk)

    response = client.post(f"/customers/{south.pk}/reveal")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert FULL_PHONE not in response.content.decode()
    assert snapshot(south.pk) == before


def test_timeline_masks_contact_values_in_card_changes(
    south: Customer, api: Callable[..., ApiClient]
) -> None:
    api("rep_south").patch(f"/customers/{south.pk}", {"phones": "13812340000"})

    response = api("marketing").get(f"/customers/{south.pk}/timeline")

    text = response.content.decode()
    assert response.status_code == 200
    assert "138****0000" in text
    for secret in ("13812340000", FULL_PHONE, "wangwu@"):
        assert secret not in text


def test_timeline_masks_contact_values_of_older_audit_rows(
    south: Customer, api: Callable[..., ApiClient]
) -> None:
    """Rows written before the audit log masked values carry raw primary phone/email."""
    AuditEvent.objects.create(
        action=AuditAction.UPDATE,
        object_type="customers.customer",
        object_id=str(south.pk),
        customer_id=south.pk,
        changes={
            "primary_phone": ["+8613712345670", "+8613812340000"],
            "primary_email": ["", "wangwu@example.com"],
        },
    )

    items = api("service").get(f"/customers/{south.pk}/timeline").json()["items"]

    changes = next(
        i["details"]["changes"] for i in items if "primary_phone" in i["details"]["changes"]
    )
    assert changes["primary_phone"] == [MASKED, "138****0000"]
    assert changes["primary_email"] == ["", "w***@example.com"]


def test_reveals_are_rate_limited_per_user(
    south: Customer, api: Callable[..., ApiClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tiercard.api.throttles import reveal_throttle

    monkeypatch.setattr(reveal_throttle, "num_requests", 2)
    client = api("service_reveal")
    path = f"/customers/{south.pk}/reveal"
    assert [client.post(path).status_code for _ in range(2)] == [200, 200]
    logged = AuditEvent.objects.filter(action=AuditAction.REVEAL).count()

    refused = client.post(path)

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert FULL_PHONE not in refused.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.REVEAL).count() == logged
    assert api("admin").post(path).status_code == 200  # another user has their own budget


@pytest.mark.django_db
def test_contact_person_values_are_revealed_only_with_the_right_and_logged(
    users: dict[str, User], make_customer: Callable[..., Customer], api: Callable[..., ApiClient]
) -> None:
    company = make_customer("rep_east1", name="华为", kind="company")
    person = contact_add(
        actor=users["rep_east1"],
        customer_id=company.pk,
        data={"name": "刘经理", "mobile": "13800000001", "email": "liu@hw.cn"},
    )
    masked = api("service").get(f"/customers/{company.pk}/contacts").json()
    assert masked[0]["mobile"] == "138****0001"

    refused = api("service").post(f"/contacts/{person.pk}/reveal", {})
    assert refused.status_code == 403
    assert not AuditEvent.objects.filter(action="reveal").exists()

    shown = api("service_reveal").post(f"/contacts/{person.pk}/reveal", {})
    assert shown.status_code == 200
    assert shown.json()["values"] == {"mobile": "13800000001", "email": "liu@hw.cn"}
    event = AuditEvent.objects.get(action="reveal")
    assert event.customer_id == company.pk and event.actor == users["service_reveal"]

    foreign = api("rep_south").post(f"/contacts/{person.pk}/reveal", {})
    assert foreign.status_code == 404
    assert AuditEvent.objects.filter(action="reveal").count() == 1
