"""The top navigation: the programme pages are offered to administrators only; the page's own
section is marked current."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_admin_sees_the_programme_link_and_the_current_section(users):
    page = signed_in(users["admin"]).get("/programme/rewards/").content.decode()

    assert 'href="/programme/"' in page
    assert 'class="is-active" aria-current="page" href="/programme/rewards/"' in page
    assert 'class="is-active" aria-current="page" href="/customers/"' not in page


@pytest.mark.parametrize("role", ["rep_east1", "mgr_east", "service", "marketing"])
def test_other_roles_get_no_programme_link(users, role):
    page = signed_in(users[role]).get("/customers/").content.decode()

    assert 'href="/programme/"' not in page
    assert 'class="is-active" aria-current="page" href="/customers/"' in page
