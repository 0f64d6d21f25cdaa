"""The API: streamed exports, the personal-data copy and erasure, with the usual error shape."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests.api.conftest import ApiClient
from tests.privacy.conftest import NAME, PHONE
from tiercard.accounts.services import api_token_create
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.customers.models import Customer
from tiercard.exports.writers import read_back

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(users: dict) -> Any:
    def make(username: str) -> ApiClient:
        token = api_token_create(actor=users[username], user=users[username], name="t")[1]
        return ApiClient({"Authorization": f"Bearer {token}", "Accept-Language": "en"})

    return make


def exports() -> int:
    return AuditEvent.objects.filter(action=AuditAction.EXPORT).count()


def test_an_export_streams_csv_scoped_and_audited(rich: Customer, api: Any, book: dict) -> None:
    response = api("mgr_south").get("/exports/customers", {"format": "csv"})
    assert response.status_code == 200 and response.streaming
    assert response["Cache-Control"] == "no-store"
    rows = read_back(b"".join(response.streaming_content))
    assert [r[0] for r in rows[1:]] == [str(book["south"].pk)]
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.interface, event.changes["kind"], event.changes["rows"]) == (
        "api",
        "customers",
        1,
    )


def test_purchases_with_a_date_range_as_xlsx(rich: Customer, api: Any) -> None:
    response = api("admin").get(
        "/exports/purchases", {"format": "xlsx", "date_from": "2020-01-01", "date_to": "2099-12-31"}
    )
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_bad_parameters_answer_422_with_fields(api: Any) -> None:
    response = api("admin").get("/exports/orders", {"format": "pdf", "date_from": "5/1"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {"kind", "format", "date_from"}
    assert exports() == 0


@pytest.mark.parametrize("who", ["rep_east1", "service"])
def test_roles_without_the_right_get_403(rich: Customer, api: Any, who: str) -> None:
    response = api(who).get("/exports/customers", {"format": "orders"})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert exports() == 0


def test_the_personal_data_copy(rich: Customer, api: Any) -> None:
    response = api("admin").get(f"/customers/{rich.pk}/personal-data")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    doc = archive.read(f"personal-data-{rich.pk}.json").decode()
    assert NAME in doc and PHONE in doc
    assert AuditEvent.objects.get(object_type="privacy.personal_data").interface == "api"


@pytest.mark.parametrize(("who", "status"), [("rep_south", 404), ("rep_east1", 403)])
def test_the_copy_is_refused(rich: Customer, api: Any, who: str, status: int) -> None:
    response = api(who).get(f"/customers/{rich.pk}/personal-data")
    assert response.status_code == status and NAME not in response.content.decode()
    assert exports() == 0


def state(customer: Customer) -> tuple[Any, ...]:
    row = Customer.objects.filter(pk=customer.pk).values_list("name", "erased_at", "version")
    return (*row.get(), AuditEvent.objects.count())


def test_erasure_through_the_api(rich: Customer, api: Any) -> None:
    client = api("admin")
    before = state(rich)
    wrong = client.post(f"/customers/{rich.pk}/erase", {"reason": "DSR", "confirm": 1})
    assert wrong.status_code == 422 and "confirm" in wrong.json()["fields"]
    assert state(rich) == before
    done = client.post(f"/customers/{rich.pk}/erase", {"reason": "DSR", "confirm": rich.pk})
    assert done.status_code == 200
    assert done.json()["name"] == f"已删除客户 #{rich.pk}" and done.json()["erased_at"]
    detail = client.get(f"/customers/{rich.pk}").json()
    assert NAME not in str(detail) and PHONE not in str(detail)
    after = state(rich)
    again = client.post(f"/customers/{rich.pk}/erase", {"reason": "DSR", "confirm": rich.pk})
    assert again.status_code == 409 and again.json()["code"] == "already_erased"
    assert state(rich) == after


@pytest.mark.parametrize(("who", "status"), [("mgr_east", 403), ("rep_south", 404)])
def test_erasure_refused_changes_nothing(rich: Customer, api: Any, who: str, status: int) -> None:
    client = api(who)  # its token is audited when it is made
    before = state(rich)
    response = client.post(f"/customers/{rich.pk}/erase", {"reason": "x", "confirm": rich.pk})
    assert response.status_code == status
    assert state(rich) == before
