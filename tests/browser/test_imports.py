"""Importing a GBK CSV in a real browser: upload, fix a mapping, dry run, commit, see the rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import screenshot, sign_in
from tiercard.customers.models import Customer
from tiercard.imports.models import ImportBatch, ImportStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = [
    ("客户姓名", "号码", "注册时间", "城市"),
    ("欧阳娜娜", "138-1234-0001", "2024年5月1日", "杭州"),
    ("司马光", "+86 138 1234 0002", "2024/5/2", "上海"),
]


def gbk_csv() -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(ROWS)
    return out.getvalue().encode("gbk")


def test_gbk_csv_import_end_to_end(
    live_server: Any, page: Any, users: Any, settings: Any, tmp_path: Path
) -> None:
    settings.TIERCARD_IMPORT_DIR = tmp_path / "store"
    base = live_server.url
    sign_in(page, base, "rep_east1")
    page.click("nav.mainnav details:has(a[href='/imports/']) > summary")  # the Data menu
    page.click("nav.mainnav a[href='/imports/']")
    page.wait_for_url(f"{base}/imports/")
    page.click("#import-new")
    page.wait_for_url(f"{base}/imports/new/")
    page.check("input[name=kind][value=customers]")
    page.set_input_files(
        "#id_file", files=[{"name": "会员表.csv", "mimeType": "text/csv", "buffer": gbk_csv()}]
    )
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/mapping/")
    batch = ImportBatch.objects.get()
    assert batch.encoding == "gb18030"

    table = page.locator("#mapping-table")
    assert "欧阳娜娜" in table.inner_text()  # sample values, decoded from GBK
    # "号码" is not a header the guesser knows: map it to the phone field by hand.
    phone_select = page.locator("select[name=col_1]")
    assert phone_select.input_value() == ""
    assert page.locator("#missing-fields").is_visible()
    phone_select.select_option("phones")
    page.locator("#missing-fields").wait_for(state="detached")  # the htmx preview updated it
    screenshot(page, "browser-import-mapping")
    page.click("#run-check")
    page.wait_for_url(f"{base}/imports/{batch.pk}/")
    assert page.locator("[data-count=new]").inner_text() == "2"
    assert page.locator("[data-count=invalid]").inner_text() == "0"
    assert Customer.objects.count() == 0
    screenshot(page, "browser-import-dry-run")

    page.check("#id_confirm")
    page.click("#commit-button")
    page.locator("#flash .alert--success").wait_for()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED
    screenshot(page, "browser-import-committed")

    page.goto(f"{base}/customers/")
    members = page.locator("table.table--members").inner_text()
    assert "欧阳娜娜" in members and "司马光" in members
