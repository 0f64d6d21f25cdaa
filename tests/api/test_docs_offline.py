"""The API docs page works on an intranet: Swagger UI comes from the app's own static files."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_docs_page_loads_swagger_from_local_static_files(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
