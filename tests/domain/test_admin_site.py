"""The Django admin opens for the administrator role only, whatever the staff flag says."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("admin", True), ("mgr_east", False), ("rep_east1", False), ("service", False)],
)
def test_admin_site_needs_the_admin_role(users, book, role, allowed):
    user = users[role]
    user.is_staff = True
    user.is_superuser = role == "admin"
    user.save()
    client = Client()
    client.force_login(user)
    response = client.get("/admin/customers/customer/")
    if allowed:
        assert response.status_code == 200
        assert "张三" in response.content.decode()
    else:
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
