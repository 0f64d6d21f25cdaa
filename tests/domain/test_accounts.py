"""Sign-ins are audited; owner assignment follows the role rules; language preference."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from tiercard.accounts.selectors import assignable_owners, owner_filter_choices
from tiercard.accounts.services import user_set_language
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def test_sign_in_is_audited_with_the_interface(users):
    client = Client()
    assert client.login(username="rep_east1", password=PASSWORD)  # not through a view
    response = Client().post("/login/", {"username": "rep_east1", "password": PASSWORD})
    assert response.status_code == 302
    events = AuditEvent.objects.filter(action="login", actor=users["rep_east1"])
    assert events.count() == 2
    assert set(events.values_list("interface", flat=True)) == {"system", "web"}


def test_failed_sign_in_is_not_logged_as_a_login(users):
    Client().post("/login/", {"username": "rep_east1", "password": "wrong"})
    assert not AuditEvent.objects.filter(action="login").exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", {"admin", "mgr_east", "mgr_south", "rep_east1", "rep_east2", "rep_south"}),
        ("mgr_east", {"mgr_east", "rep_east1", "rep_east2"}),
        ("rep_east1", {"rep_east1"}),
        ("service", set()),
        ("marketing", set()),
    ],
)
def test_assignable_owners_by_role(users, role, expected):
    assert set(assignable_owners(users[role]).values_list("username", flat=True)) == expected


def test_service_filters_by_every_owner_but_sales_by_none(users):
    assert "rep_south" in owner_filter_choices(users["service"]).values_list("username", flat=True)
    assert not owner_filter_choices(users["rep_east1"]).exists()


def test_language_preference_is_validated(users):
    user_set_language(user=users["rep_east1"], language="en")
    users["rep_east1"].refresh_from_db()
    assert users["rep_east1"].language == "en"
    with pytest.raises(ValidationFailed):
        user_set_language(user=users["rep_east1"], language="fr")
    users["rep_east1"].refresh_from_db()
    assert users["rep_east1"].language == "en"
