"""The web pages: 数据导出, and the card's 导出个人信息 / 匿名化删除 with their confirmations."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.utils import translation

from tests.privacy.conftest import NAME, PHONE
from tests.web.conftest import block
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.customers.models import Customer
from tiercard.exports.writers import read_back

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def english(settings: Any) -> Any:
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def exports_logged() -> int:
    return AuditEvent.objects.filter(action=AuditAction.EXPORT).count()


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("admin", True),
        ("mgr_east", True),
        ("marketing", True),
        ("rep_east1", False),
        ("service", False),
    ],
)
def test_the_nav_links_the_export_page_for_permitted_roles(
    login: Any, users: dict, who: str, shown: bool
) -> None:
    client = login(who)
    page = client.get("/customers/", **EN).content.decode()
    assert ('href="/exports/"' in page) is shown
    response = client.get("/exports/", **EN)
    assert response.status_code == (200 if shown else 403)
    if shown:
        text = block(response.content, "id", "export-form") or ""
        assert "Points ledger" in text and "Optional filters" in text
        assert 'aria-current="page" href="/exports/"' in response.content.decode()


def test_a_download_streams_the_file_and_is_audited_as_web(rich: Customer, login: Any) -> None:
    client = login("marketing")
    response = client.get("/exports/?kind=customers&format=csv&status=active", **EN)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = read_back(data)
    phones = [row[rows[0].index("Mobile / phone")] for row in rows[1:]]
    assert NAME in str(rows) and PHONE not in phones and "138****9876" in phones
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.interface, event.changes["filters"]) == ("web", {"status": "active"})


def test_an_xlsx_download(rich: Customer, login: Any) -> None:
    response = login("admin").get("/exports/?kind=points&format=xlsx", **EN)
    assert response.streaming and response["Content-Type"].startswith("application/vnd.openxml")
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_bad_choices_show_beside_the_fields_and_nothing_is_exported(login: Any) -> None:
    response = login("admin").get(
        "/exports/?kind=orders&format=pdf&date_from=2024-13-40&date_to=", **EN
    )
    assert response.status_code == 422
    page = response.content
    assert "Choose customers, purchases" in (block(page, "data-field", "kind") or "")
    assert "Choose CSV or Excel" in (block(page, "data-field", "format") or "")
    assert "YYYY-MM-DD" in (block(page, "data-field", "date_from") or "")
    assert exports_logged() == 0


def test_a_sales_rep_cannot_download_either(rich: Customer, login: Any) -> None:
    response = login("rep_east1").get("/exports/?kind=customers&format=csv", **EN)
    assert response.status_code == 403 and not response.streaming
    assert exports_logged() == 0


@pytest.mark.parametrize(
    ("who", "export", "erase"),
    [
        ("admin", True, True),
        ("mgr_east", True, False),
        ("rep_east1", False, False),
        ("service_reveal", False, False),
    ],
)
def test_the_card_shows_the_buttons_by_role(
    rich: Customer, login: Any, who: str, export: bool, erase: bool
) -> None:
    page = login(who).get(f"/customers/{rich.pk}/", **EN).content.decode()
    assert ('id="card-personal-data"' in page) is export
    assert ('id="card-erase"' in page) is erase


def test_the_personal_data_copy_from_the_card(rich: Customer, login: Any) -> None:
    client = login("mgr_east")
    confirm = client.get(f"/customers/{rich.pk}/personal-data/", **EN)
    assert confirm.status_code == 200 and exports_logged() == 0
    assert "unmasked" in (block(confirm.content, "id", "personal-data") or "")
    response = client.post(f"/customers/{rich.pk}/personal-data/", **EN)
    assert response.streaming and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 2
    event = AuditEvent.objects.get(object_type="privacy.personal_data")
    assert (event.interface, event.customer_id) == ("web", rich.pk)


@pytest.mark.parametrize(
    ("who", "status"), [("rep_south", 404), ("mgr_south", 404), ("rep_east1", 403)]
)
def test_the_copy_is_refused_out_of_scope_or_role(
    rich: Customer, login: Any, who: str, status: int
) -> None:
    client = login(who)
    for method in (client.get, client.post):
        response = method(f"/customers/{rich.pk}/personal-data/", **EN)
        assert response.status_code == status and not response.streaming
        assert NAME not in response.content.decode()
    assert exports_logged() == 0


def state(customer: Customer) -> tuple[Any, ...]:
    return (
        tuple(
            Customer.objects.filter(pk=customer.pk)
            .values_list("name", "erased_at", "version")
            .get()
        ),
        AuditEvent.objects.count(),
    )


def test_erasure_needs_the_typed_number_then_the_card_shows_it(rich: Customer, login: Any) -> None:
    client = login("admin")
    url = f"/customers/{rich.pk}/erase/"
    assert client.get(url, **EN).status_code == 200
    found = client.get("/search/", {"q": NAME}, **EN).content.decode()
    assert f"/customers/{rich.pk}/" in found
    before = state(rich)
    wrong = client.post(url, {"reason": "DSR-1", "confirm": str(rich.pk + 1)}, **EN)
    assert wrong.status_code == 422
    assert "Type the customer's number" in (block(wrong.content, "data-field", "confirm") or "")
    no_reason = client.post(url, {"reason": "", "confirm": str(rich.pk)}, **EN)
    assert no_reason.status_code == 422 and "reason" in (
        block(no_reason.content, "data-field", "reason") or ""
    )
    assert state(rich) == before

    done = client.post(url, {"reason": "DSR-1", "confirm": str(rich.pk)}, **EN, follow=True)
    assert done.redirect_chain[-1][0] == f"/customers/{rich.pk}/"
    page = done.content.decode()
    assert f"已删除客户 #{rich.pk}" in page and 'id="card-erased"' in page
    assert NAME not in page and 'id="card-erase"' not in page
    assert 'id="card-erased-note"' in page and 'id="card-completeness"' not in page
    search = client.get("/search/", {"q": NAME}, **EN).content.decode()
    assert f"/customers/{rich.pk}/" not in search

    after = state(rich)
    again = client.post(url, {"reason": "DSR-1", "confirm": str(rich.pk)}, **EN)
    assert again.status_code == 409 and "erased already" in again.content.decode()
    assert state(rich) == after


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "The customer's personal data was erased. Purchases and points stay."),
        ("zh-hans", "该客户的个人信息已删除，消费记录和积分保留。"),  # needs the zh catalogue
    ],
)
def test_the_message_after_erasure_is_in_the_users_language(
    rich: Customer, login: Any, language: str, said: str
) -> None:
    client = login("admin")
    client.cookies["django_language"] = language
    done = client.post(
        f"/customers/{rich.pk}/erase/",
        {"reason": "DSR-2", "confirm": str(rich.pk)},
        HTTP_ACCEPT_LANGUAGE=language,
        follow=True,
    )
    assert done.status_code == 200
    assert said in done.content.decode().replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("who", "status"), [("mgr_east", 403), ("rep_east1", 403), ("rep_south", 404)]
)
def test_erasure_is_for_admins_and_others_change_nothing(
    rich: Customer, login: Any, who: str, status: int
) -> None:
    client = login(who)
    before = state(rich)
    url = f"/customers/{rich.pk}/erase/"
    assert client.get(url, **EN).status_code == status
    response = client.post(url, {"reason": "x", "confirm": str(rich.pk)}, **EN)
    assert response.status_code == status
    assert state(rich) == before


def test_the_streamed_download_reads_in_chunks_not_per_row(
    rich: Customer, login: Any, make_customer: Any, users: dict
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.privacy.conftest import buy

    client = login("admin")

    def queries_while_streaming() -> tuple[int, int]:
        response = client.get("/exports/?kind=purchases&format=csv", **EN)
        assert response.streaming
        with CaptureQueriesContext(connection) as captured:
            rows = read_back(b"".join(response.streaming_content))
        return len(rows), len(captured)

    rows_before, queries_before = queries_while_streaming()
    for n in range(5):
        buy(users["rep_east1"], make_customer("rep_east1", name=f"买家{n}"), "80", f"W-{n}")
    rows_after, queries_after = queries_while_streaming()
    assert rows_after == rows_before + 10
    assert queries_after == queries_before
