"""Owner and tag quick actions: rights, scope, audit, and nothing written on refusal."""

from __future__ import annotations

import pytest

from tiercard.audit.models import AuditEvent
from tiercard.core.errors import NotFound, PermissionDenied, ValidationFailed
from tiercard.customers.card_actions import (
    customer_assign_owner,
    customer_tag_add,
    customer_tag_remove,
)
from tiercard.customers.models import Customer, Tag

pytestmark = pytest.mark.django_db


def state(customer: Customer) -> tuple[object, ...]:
    customer.refresh_from_db()
    return (
        customer.owner_id,
        customer.team_id,
        customer.version,
        sorted(customer.tags.values_list("name", flat=True)),
        AuditEvent.objects.count(),
        Tag.objects.count(),
    )


def test_manager_hands_a_customer_to_a_rep_of_the_team_and_it_is_audited(users, book):
    # given a customer of rep_east1
    customer = book["east1"]
    version = customer.version
    # when the team's manager gives it to rep_east2
    customer_assign_owner(
        actor=users["mgr_east"], customer_id=customer.pk, owner_id=users["rep_east2"].pk
    )
    # then the owner changed, the version moved and one audit row says so
    customer.refresh_from_db()
    assert customer.owner == users["rep_east2"]
    assert customer.team == users["rep_east2"].team
    assert customer.version == version + 1
    event = AuditEvent.objects.filter(customer_id=customer.pk).first()
    assert event is not None and event.actor == users["mgr_east"]
    assert event.changes == {"owner_id": [users["rep_east1"].pk, users["rep_east2"].pk]}


def test_admin_moves_a_customer_across_teams_and_the_team_follows(users, book):
    customer = book["east1"]
    customer_assign_owner(
        actor=users["admin"], customer_id=customer.pk, owner_id=str(users["rep_south"].pk)
    )
    customer.refresh_from_db()
    assert customer.owner == users["rep_south"] and customer.team == users["rep_south"].team


def test_a_rep_cannot_hand_their_customer_to_someone_else(users, book):
    customer = book["east1"]
    before = state(customer)
    with pytest.raises(PermissionDenied):
        customer_assign_owner(
            actor=users["rep_east1"], customer_id=customer.pk, owner_id=users["rep_east2"].pk
        )
    assert state(customer) == before


def test_a_manager_cannot_give_to_another_teams_rep(users, book):
    customer = book["east1"]
    before = state(customer)
    with pytest.raises(ValidationFailed) as caught:
        customer_assign_owner(
            actor=users["mgr_east"], customer_id=customer.pk, owner_id=users["rep_south"].pk
        )
    assert "owner_id" in caught.value.fields
    assert state(customer) == before


def test_another_teams_manager_gets_not_found(users, book):
    customer = book["east1"]
    before = state(customer)
    with pytest.raises(NotFound):
        customer_assign_owner(
            actor=users["mgr_south"], customer_id=customer.pk, owner_id=users["rep_south"].pk
        )
    assert state(customer) == before


def test_same_owner_again_writes_nothing(users, book):
    customer = book["east1"]
    before = state(customer)
    customer_assign_owner(
        actor=users["admin"], customer_id=customer.pk, owner_id=users["rep_east1"].pk
    )
    assert state(customer) == before


def test_tag_add_creates_the_tag_once_and_audits_the_list(users, book):
    customer = book["east1"]
    customer_tag_add(actor=users["rep_east1"], customer_id=customer.pk, name="  重点客户 ")
    customer_tag_add(actor=users["rep_east1"], customer_id=customer.pk, name="重点客户")
    customer.refresh_from_db()
    assert list(customer.tags.values_list("name", flat=True)) == ["重点客户"]
    events = AuditEvent.objects.filter(customer_id=customer.pk, changes__has_key="tags")
    assert [e.changes["tags"] for e in events] == [[[], ["重点客户"]]]


def test_tag_remove_keeps_the_tag_for_others(users, book):
    first, second = book["east1"], book["east2"]
    customer_tag_add(actor=users["admin"], customer_id=first.pk, name="VIP候选")
    customer_tag_add(actor=users["admin"], customer_id=second.pk, name="VIP候选")
    customer_tag_remove(actor=users["rep_east1"], customer_id=first.pk, name="VIP候选")
    assert not first.tags.exists()
    assert list(second.tags.values_list("name", flat=True)) == ["VIP候选"]
    event = AuditEvent.objects.filter(customer_id=first.pk).first()
    assert event is not None and event.changes == {"tags": [["VIP候选"], []]}


@pytest.mark.parametrize("name", ["", "   ", "x" * 41])
def test_bad_tag_names_are_refused_next_to_the_field(users, book, name):
    customer = book["east1"]
    before = state(customer)
    with pytest.raises(ValidationFailed) as caught:
        customer_tag_add(actor=users["rep_east1"], customer_id=customer.pk, name=name)
    assert list(caught.value.fields) == ["tag"]
    assert state(customer) == before


def test_service_and_other_reps_cannot_tag(users, book):
    customer = book["east1"]
    before = state(customer)
    with pytest.raises(PermissionDenied):
        customer_tag_add(actor=users["service"], customer_id=customer.pk, name="x")
    with pytest.raises(NotFound):
        customer_tag_add(actor=users["rep_east2"], customer_id=customer.pk, name="x")
    with pytest.raises(NotFound):
        customer_tag_remove(actor=users["rep_south"], customer_id=customer.pk, name="x")
    assert state(customer) == before
