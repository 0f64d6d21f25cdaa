"""The import pages: upload → mapping → dry run → commit → batch page → undo, and refusals."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from tests.imports import fixtures as fx
from tests.imports.interface_support import (
    INTERACTIONS,
    PURCHASES,
    assert_good_rows_written,
    assert_nothing_stored,
    csv_bytes,
    store,
)
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.imports.models import ImportBatch, ImportStatus, MappingProfile

__all__ = ["store"]

HEADERS = ("姓名", "手机号", "注册时间", "城市")


@pytest.fixture(autouse=True)
def english(store: Path, settings: Any, client: Client, users: dict) -> None:
    """Uploads go to the test's own folder (``store``); pages in English (each user's saved
    language wins over the cookie once signed in, so the users are switched too)."""
    User.objects.update(language="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    translation.activate("en")


def csv_upload(
    rows: list[tuple[str, ...]], *, name: str = "会员.csv", encoding: str = "gbk"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(rows, encoding), content_type="text/csv")


GOOD = [
    HEADERS,
    ("张伟", "13812340001", "2024年5月1日", "杭州"),
    ("王芳", "13812340002", "45413", "上海"),
]


def upload(client: Client, file: SimpleUploadedFile, kind: str = "customers") -> Any:
    return client.post("/imports/new/", {"kind": kind, "file": file})


def state() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "batches": ImportBatch.objects.count(),
        "profiles": MappingProfile.objects.count(),
    }


def mapping_post(batch: ImportBatch, **extra: str) -> dict[str, str]:
    data = {f"col_{i}": name for i, name in batch.field_of_column().items()}
    data.update({"mode": "upsert", "match_key": "phone"})
    data.update(extra)
    return data


def test_full_flow_gbk_csv(
    login: Callable[[str], Client], users: dict[str, User], store: Path
) -> None:
    client = login("rep_east1")
    response = upload(client, csv_upload(GOOD))
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.encoding == "gb18030" and batch.created_by == users["rep_east1"]
    assert response["Location"] == f"/imports/{batch.pk}/mapping/"

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "张伟" in html and "王芳" in html  # sample values
    assert 'value="phones" selected' in html  # the guess is pre-filled

    response = client.post(f"/imports/{batch.pk}/mapping/", mapping_post(batch))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKED
    assert (batch.new_count, batch.invalid_count) == (2, 0)
    assert Customer.objects.count() == 0  # the dry run wrote nothing

    detail = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'data-count="new">2<' in detail and "Import now" in detail

    refused = client.post(f"/imports/{batch.pk}/commit/", {})  # no confirmation
    assert refused.status_code == 302 and Customer.objects.count() == 0

    client.post(f"/imports/{batch.pk}/commit/", {"confirm": "on"})
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED
    assert set(Customer.objects.values_list("name", flat=True)) == {"张伟", "王芳"}

    listing = client.get("/imports/").content.decode()
    assert "会员.csv" in listing and "Imported" in listing


def test_bad_files_are_explained_beside_the_field_and_nothing_is_stored(
    login: Callable[[str], Client], settings: Any, store: Path
) -> None:
    client = login("rep_east1")
    before = state()
    cases = {
        "empty": SimpleUploadedFile("a.csv", b""),
        "encoding": SimpleUploadedFile("b.csv", b"name,phone\r\n\xff\xfe\xff,1\r\n"),
        "format": SimpleUploadedFile("c.pdf", b"%PDF-1.4"),
    }
    for expected, file in cases.items():
        response = upload(client, file)
        assert response.status_code == 400, expected
        html = response.content.decode()
        assert 'data-field="file"' in html and "has-error" in html
    settings.TIERCARD_IMPORT_MAX_BYTES = 100
    response = upload(client, csv_upload(GOOD * 10))
    assert response.status_code == 400 and "the limit is" in response.content.decode()
    assert state() == before
    assert_nothing_stored(store)


def test_merged_header_xlsx_names_the_range(login: Callable[[str], Client], tmp_path: Path) -> None:
    path = fx.write_xlsx(
        tmp_path / "m.xlsx",
        [("基本信息", None, "x"), ("姓名", "手机", "y"), ("张三", "13812345678", "z")],
        merges=["A1:B1"],
    )
    client = login("rep_east1")
    response = upload(client, SimpleUploadedFile("m.xlsx", path.read_bytes()))
    assert response.status_code == 400
    assert "A1:B1" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_mapping_fix_missing_required_and_profile(
    login: Callable[[str], Client], users: dict[str, User]
) -> None:
    client = login("mgr_east")
    rows = [("甲", "乙", "城市"), ("张伟", "13812340001", "杭州")]
    upload(client, csv_upload(rows, encoding="utf-8"))
    batch = ImportBatch.objects.get()
    page = client.get(f"/imports/{batch.pk}/mapping/").content.decode()
    assert 'id="missing-fields"' in page
    response = client.post(
        f"/imports/{batch.pk}/mapping/", {"mode": "upsert", "match_key": "phone"}
    )
    assert response.status_code == 422
    assert "required" in response.content.decode()
    assert ImportBatch.objects.get().status == ImportStatus.UPLOADED

    data = {
        "col_0": "name",
        "col_1": "phones",
        "mode": "upsert",
        "match_key": "phone",
        "profile_name": "门店表",
        "share_profile": "on",
    }
    assert client.post(f"/imports/{batch.pk}/mapping/", data).status_code == 302
    profile = MappingProfile.objects.get()
    assert (profile.owner, profile.shared, profile.name) == (users["mgr_east"], True, "门店表")
    # The next upload with the same headers is mapped by the profile; loading it works too.
    upload(client, csv_upload(rows, encoding="utf-8"))
    second = ImportBatch.objects.latest("id")
    assert second.field_of_column() == {0: "name", 1: "phones"}
    page = client.get(f"/imports/{second.pk}/mapping/?profile={profile.pk}").content.decode()
    assert "门店表" in page


def test_invalid_rows_listed_and_commit_choices(login: Callable[[str], Client]) -> None:
    client = login("rep_east1")
    rows = [
        HEADERS,
        ("张伟", "13812340001", "2024年13月40日", "杭州"),
        ("王芳", "13812340002", "2024-5-1", "上海"),
    ]
    upload(client, csv_upload(rows))
    batch = ImportBatch.objects.get()
    client.post(f"/imports/{batch.pk}/mapping/", mapping_post(batch))
    batch.refresh_from_db()
    assert batch.invalid_count == 1
    html = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "注册时间" in html and "Not a valid date" in html and ">2<" in html
    # All or nothing refuses; skipping invalid rows imports the other one.
    client.post(f"/imports/{batch.pk}/commit/", {"confirm": "on"})
    assert Customer.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKED
    client.post(f"/imports/{batch.pk}/commit/", {"confirm": "on", "skip_invalid": "on"})
    assert list(Customer.objects.values_list("name", flat=True)) == ["王芳"]
    report = client.get(f"/imports/{batch.pk}/errors.xlsx")
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")


def test_undo_needs_confirmation_and_a_manager(login: Callable[[str], Client]) -> None:
    client = login("mgr_east")
    upload(client, csv_upload(GOOD))
    batch = ImportBatch.objects.get()
    client.post(f"/imports/{batch.pk}/mapping/", mapping_post(batch))
    client.post(f"/imports/{batch.pk}/commit/", {"confirm": "on"})
    assert Customer.objects.filter(status="active").count() == 2
    assert "undo-button" in client.get(f"/imports/{batch.pk}/").content.decode()
    client.post(f"/imports/{batch.pk}/undo/", {})
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED
    client.post(f"/imports/{batch.pk}/undo/", {"confirm": "on"})
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UNDONE
    assert Customer.objects.filter(status="active").count() == 0


def test_roles_that_may_not_import_get_403_and_change_nothing(
    login: Callable[[str], Client], users: dict[str, User]
) -> None:
    client = login("rep_east1")
    upload(client, csv_upload(GOOD))
    batch = ImportBatch.objects.get()
    client = login("marketing")
    assert "/imports/" not in client.get("/customers/").content.decode()
    before = state()
    audit = AuditEvent.objects.count()
    assert client.get("/imports/").status_code == 403
    assert client.get("/imports/new/").status_code == 403
    assert upload(client, csv_upload(GOOD)).status_code == 403
    assert client.post(f"/imports/{batch.pk}/mapping/", mapping_post(batch)).status_code == 403
    assert client.post(f"/imports/{batch.pk}/commit/", {"confirm": "on"}).status_code == 403
    assert state() == before and AuditEvent.objects.count() == audit
    # A service user may import purchases but not customers: the kind is not offered.
    client = login("service")
    page = client.get("/imports/new/").content.decode()
    assert 'value="purchases"' in page and 'value="customers"' not in page
    assert upload(client, csv_upload(GOOD), kind="customers").status_code == 400
    assert state() == before


def test_another_reps_batch_is_not_found(login: Callable[[str], Client]) -> None:
    client = login("rep_east1")
    upload(client, csv_upload(GOOD))
    batch = ImportBatch.objects.get()
    client.post(f"/imports/{batch.pk}/mapping/", mapping_post(batch))
    client = login("rep_east2")
    for url in ("", "mapping/", "errors.xlsx"):
        assert client.get(f"/imports/{batch.pk}/{url}").status_code == 404
    assert client.post(f"/imports/{batch.pk}/commit/", {"confirm": "on"}).status_code == 404
    assert "会员.csv" not in client.get("/imports/").content.decode()
    assert Customer.objects.count() == 0
    # Their manager sees it.
    client = login("mgr_east")
    assert client.get(f"/imports/{batch.pk}/").status_code == 200


def test_nav_entry_for_importers(login: Callable[[str], Client]) -> None:
    html = login("rep_east1").get("/imports/").content.decode()
    assert (
        'href="/imports/"' in html
        and 'class="is-active" aria-current="page" href="/imports/"' in html
    )


def test_list_and_detail_query_counts(
    login: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    client = login("rep_east1")
    for _ in range(3):
        upload(client, csv_upload(GOOD))
    batch = ImportBatch.objects.latest("id")
    client.post(f"/imports/{batch.pk}/mapping/", mapping_post(batch))
    with django_assert_max_num_queries(12):
        assert client.get("/imports/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/imports/{batch.pk}/").status_code == 200


def test_mapping_preview_updates_the_required_fields(login: Callable[[str], Client]) -> None:
    client = login("rep_east1")
    upload(client, csv_upload([("甲", "乙"), ("张伟", "13812340001")], encoding="utf-8"))
    batch = ImportBatch.objects.get()
    url = f"/imports/{batch.pk}/mapping/"
    assert 'id="missing-fields"' in client.get(url).content.decode()
    preview = client.get(
        url, {"mode": "upsert", "match_key": "phone", "col_0": "name", "col_1": "phones"}
    )
    assert preview.status_code == 200
    assert 'id="missing-fields"' not in preview.content.decode()
    assert ImportBatch.objects.get().mapping == batch.mapping  # a preview saves nothing


@pytest.mark.django_db(transaction=True)
def test_large_files_run_in_the_background_and_the_page_polls(
    login: Callable[[str], Client], settings: Any
) -> None:
    from django.core.management import call_command

    settings.TIERCARD_IMPORT_BACKGROUND_BYTES = 10
    client = login("rep_east1")
    upload(client, csv_upload(GOOD))
    batch = ImportBatch.objects.get()
    client.post(f"/imports/{batch.pk}/mapping/", mapping_post(batch))
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="import-running"' in page and 'hx-trigger="every 2s"' in page
    assert ImportBatch.objects.get().status == ImportStatus.UPLOADED
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'id="import-running"' not in page and 'data-count="new">2<' in page

    client.post(f"/imports/{batch.pk}/commit/", {"confirm": "on"})
    assert 'id="import-running"' in client.get(f"/imports/{batch.pk}/").content.decode()
    assert Customer.objects.count() == 0
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert ImportBatch.objects.get().status == ImportStatus.COMMITTED
    assert Customer.objects.count() == 2


def test_problems_are_paged(login: Callable[[str], Client], monkeypatch: Any) -> None:
    from tiercard.web.views import imports as views

    monkeypatch.setattr(views, "PROBLEMS_PAGE", 2)
    client = login("rep_east1")
    rows = [HEADERS] + [(f"客户{i}", f"1381234{i:04d}", "2024年13月40日", "") for i in range(5)]
    upload(client, csv_upload(rows))
    batch = ImportBatch.objects.get()
    client.post(f"/imports/{batch.pk}/mapping/", mapping_post(batch))
    seen: list[str] = []
    url = f"/imports/{batch.pk}/"
    for _ in range(5):
        html = client.get(url).content.decode()
        seen += re.findall(r'<td class="num mono">(\d+)</td>', html)
        more = re.search(r'href="\?after=(\d+)" id="problems-next"', html)
        if not more:
            break
        url = f"/imports/{batch.pk}/?after={more.group(1)}"
    assert seen == ["2", "3", "4", "5", "6"]


def test_upload_sizes_django_lets_through_and_the_limit_in_the_users_language(
    login: Callable[[str], Client], users: dict[str, User], settings: Any, store: Path
) -> None:
    """Django's own request limits never refuse an import file first (file parts do not count
    towards DATA_UPLOAD_MAX_MEMORY_SIZE; large ones spool to disk), so the import's limit
    decides, and its refusal reads in the user's language beside the field."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    rows = [HEADERS] + [(f"客户{i}", f"1381234{i:04d}", "2024-05-01", "杭州") for i in range(200)]
    file = csv_upload(rows)
    assert file.size is not None and file.size > 4 * 1024
    client = login("rep_east1")
    assert upload(client, file).status_code == 302
    assert ImportBatch.objects.get().size == file.size

    before = state()
    settings.TIERCARD_IMPORT_MAX_BYTES = 2 * 2**20
    big = SimpleUploadedFile("大.csv", b"a,b\r\n" + b"1,2\r\n" * (2**20 // 2), "text/csv")
    User.objects.filter(username="rep_east1").update(language="zh-hans")
    response = upload(client, big)
    assert response.status_code == 400
    html = response.content.decode()
    assert "文件大小为 2.5 MB，上限为 2 MB。请拆分为较小的文件。" in html
    assert "文件最大 2 MB" in html
    assert state() == before and len(list(store.iterdir())) == 1


def test_a_company_sheet_with_contact_persons_through_the_pages(
    login: Callable[[str], Client],
) -> None:
    from tiercard.customers.models import Contact

    client = login("rep_east1")
    rows = [
        ("企业名称", "联系人姓名", "联系人职务", "手机"),
        ("杭州明远茶业有限公司", "陈静", "采购经理", "13812340001"),
    ]
    upload(client, csv_upload(rows))
    batch = ImportBatch.objects.get()
    page = client.get(f"/imports/{batch.pk}/mapping/").content.decode()
    assert 'value="contact_name" selected' in page and 'value="contact_title" selected' in page
    assert "Contact person: position" in page
    client.post(f"/imports/{batch.pk}/mapping/", mapping_post(batch))
    client.post(f"/imports/{batch.pk}/commit/", {"confirm": "on"})
    batch.refresh_from_db()
    assert (batch.status, batch.new_count) == (ImportStatus.COMMITTED, 1)
    card = Customer.objects.get()
    assert (card.name, card.kind) == ("杭州明远茶业有限公司", "company")
    assert list(Contact.objects.values_list("customer", "name", "title")) == [
        (card.pk, "陈静", "采购经理")
    ]
    assert "陈静" in client.get(f"/customers/{card.pk}/").content.decode()


@pytest.mark.parametrize(
    ("kind", "rows", "bad"),
    [
        ("purchases", PURCHASES, ("实付金额", "The amount must not be negative.")),
        ("interactions", INTERACTIONS, ("方式", "is not one of the choices")),
    ],
)
def test_purchases_and_interactions_through_the_pages(
    login: Callable[[str], Client],
    book: dict[str, Customer],
    kind: str,
    rows: list[tuple[str, ...]],
    bad: tuple[str, str],
) -> None:
    from tiercard.interactions.models import Interaction
    from tiercard.sales.models import Purchase

    client = login("rep_east1")
    assert upload(client, csv_upload(rows), kind=kind).status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.kind == kind
    assert client.get(f"/imports/{batch.pk}/mapping/").status_code == 200
    assert client.post(f"/imports/{batch.pk}/mapping/", mapping_post(batch)).status_code == 302
    batch.refresh_from_db()
    assert (batch.rows_total, batch.new_count, batch.invalid_count) == (3, 2, 1)
    html = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'data-count="new">2<' in html and bad[0] in html and bad[1] in html
    assert not Purchase.objects.exists() and not Interaction.objects.exists()

    client.post(f"/imports/{batch.pk}/commit/", {"confirm": "on"})  # all or nothing: refused
    assert not Purchase.objects.exists() and not Interaction.objects.exists()
    client.post(f"/imports/{batch.pk}/commit/", {"confirm": "on", "skip_invalid": "on"})
    batch.refresh_from_db()
    assert (batch.status, batch.new_count, batch.invalid_count) == (ImportStatus.COMMITTED, 2, 1)
    assert_good_rows_written(kind, book)


def test_a_zip_bomb_is_explained_and_nothing_is_stored(
    login: Callable[[str], Client], store: Path, tmp_path: Path
) -> None:
    client = login("rep_east1")
    xlsx = fx.write_xlsx(tmp_path / "m.xlsx", [fx.HEADERS, fx.ROWS[0]])
    bomb = fx.zip_bomb(xlsx, tmp_path / "bomb.xlsx", megabytes=4)  # ~1000:1
    before, audit = state(), AuditEvent.objects.count()
    response = upload(client, SimpleUploadedFile("bomb.xlsx", bomb.read_bytes()))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="file"' in html and "has-error" in html
    assert state() == before and AuditEvent.objects.count() == audit
    assert_nothing_stored(store)


def test_row_errors_on_the_batch_page_read_in_chinese(
    login: Callable[[str], Client], users: dict[str, User]
) -> None:
    client = login("rep_east1")
    rows = [HEADERS, ("张伟", "13812340001", "2024年13月40日", "杭州")]
    upload(client, csv_upload(rows))
    batch = ImportBatch.objects.get()
    client.post(f"/imports/{batch.pk}/mapping/", mapping_post(batch))
    User.objects.filter(username="rep_east1").update(language="zh-hans")
    html = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "日期无效：请使用 2024-05-01 或 2024年5月1日 这样的格式。" in html
    assert "Not a valid date" not in html
