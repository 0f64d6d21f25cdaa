"""Cancelling a quota benefit use recorded by mistake: the quota gets it back, the log keeps
both rows, and every refusal leaves everything as it was."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from tests.loyalty.test_benefits import frozen, state, use
from tests.loyalty.tiers_support import member
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.loyalty.models import BenefitCounter, BenefitUse
from tiercard.loyalty.services.benefits import benefit_use_cancel

pytestmark = pytest.mark.django_db


def counter_used(customer) -> int:
    return BenefitCounter.objects.get(customer=customer, code="free_delivery").used


@frozen
def test_cancelling_gives_the_use_back_and_keeps_both_rows(users, book):
    customer = book["east1"]
    member(customer, "vip")
    first = use(users, customer, key="k1")
    use(users, customer, key="k2")
    assert counter_used(customer) == 2

    cancel = benefit_use_cancel(actor=users["mgr_east"], use_id=first.pk, reason=" 误操作 ")

    assert (cancel.cancels_id, cancel.key, cancel.note, cancel.code) == (
        first.pk,
        f"cancel:{first.pk}",
        "误操作",
        "free_delivery",
    )
    assert counter_used(customer) == 1
    assert BenefitUse.objects.filter(pk=first.pk).exists()  # never deleted
    event = AuditEvent.objects.get(
        object_type="loyalty.benefituse", object_id=str(first.pk), action="update"
    )
    assert event.note == "误操作" and event.actor_id == users["mgr_east"].pk
    use(users, customer, key="k3")  # the freed use can be used again
    assert counter_used(customer) == 2
    # The same cancellation again answers the first one; another reason is a conflict.
    again = benefit_use_cancel(actor=users["mgr_east"], use_id=first.pk, reason="误操作")
    assert again.pk == cancel.pk and counter_used(customer) == 2
    before = state()
    with pytest.raises(Conflict) as caught:
        benefit_use_cancel(actor=users["admin"], use_id=first.pk, reason="别的原因")
    assert caught.value.code == "already_cancelled"
    with pytest.raises(Conflict) as caught:
        benefit_use_cancel(actor=users["admin"], use_id=cancel.pk, reason="x")
    assert caught.value.code == "not_a_use"
    assert state() == before


@frozen
def test_refusals_change_nothing(users, book):
    customer = book["east1"]
    member(customer, "vip")
    first = use(users, customer, key="k1")
    before = state()

    with pytest.raises(PermissionDenied):
        benefit_use_cancel(actor=users["rep_east1"], use_id=first.pk, reason="x")
    with pytest.raises(NotFound):  # another team's manager: not found, nothing revealed
        benefit_use_cancel(actor=users["mgr_south"], use_id=first.pk, reason="x")
    with pytest.raises(NotFound):
        benefit_use_cancel(actor=users["admin"], use_id=10**9, reason="x")
    with pytest.raises(ValidationFailed) as caught:
        benefit_use_cancel(actor=users["admin"], use_id=first.pk, reason="  ")
    assert list(caught.value.fields) == ["reason"]

    assert state() == before


@frozen
def test_api_cancels_and_answers_the_cancellation(users, book):
    customer = book["east1"]
    member(customer, "vip")
    first = use(users, customer, key="k1")
    client = Client()
    client.login(username="mgr_east", password=PASSWORD)

    answer = client.post(
        f"/api/v1/benefits/uses/{first.pk}/cancel",
        {"reason": "重复登记"},
        content_type="application/json",
    )

    assert answer.status_code == 201, answer.content
    assert answer.json()["cancels"] == first.pk
    assert counter_used(customer) == 0
    refused = client.post(
        f"/api/v1/benefits/uses/{first.pk}/cancel",
        {"reason": "另一个原因"},
        content_type="application/json",
    )
    assert refused.status_code == 409 and refused.json()["code"] == "already_cancelled"
    assert counter_used(customer) == 0
