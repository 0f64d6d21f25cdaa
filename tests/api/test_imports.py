"""The imports API: upload (multipart) → mapping → check → commit → undo, refusals, scope."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import BASE, ApiClient
from tests.imports import fixtures as fx
from tests.imports.interface_support import (
    INTERACTIONS,
    PURCHASES,
    assert_good_rows_written,
    assert_nothing_stored,
    csv_bytes,
    store,
)
from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.imports.models import ImportBatch, ImportStatus

GOOD = [
    ("姓名", "手机号", "注册时间"),
    ("张伟", "13812340001", "2024年5月1日"),
    ("王芳", "+86 138-1234-0002", "2024/5/2"),
]


__all__ = ["store"]
pytestmark = pytest.mark.usefixtures("store")


def post_file(
    client: ApiClient, data: bytes, *, name: str = "会员.csv", kind: str = "customers"
) -> Any:
    return client.client.post(
        BASE + "/imports",
        {"kind": kind, "file": SimpleUploadedFile(name, data)},
    )


def put(client: ApiClient, path: str, body: Any) -> Any:
    import json

    return client.client.put(BASE + path, json.dumps(body), content_type="application/json")


def test_flow_end_to_end(api: Callable[..., ApiClient]) -> None:
    client = api("rep_east1", lang="en")
    response = post_file(client, csv_bytes(GOOD))
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["status"] == "uploaded" and batch["encoding"] == "gb18030"
    assert batch["headers"] == ["姓名", "手机号", "注册时间"]
    assert batch["mapping"] == {"0": "name", "1": "phones", "2": "registered_on"}
    assert batch["missing_required"] == []
    pk = batch["id"]

    response = put(client, f"/imports/{pk}/mapping", {"mapping": {"0": "name", "1": "phones"}})
    assert response.status_code == 200 and response.json()["mapping"] == {
        "0": "name",
        "1": "phones",
    }

    response = client.post(f"/imports/{pk}/commit", {})
    assert response.status_code == 409 and response.json()["code"] == "import_not_checked"

    checked = client.post(f"/imports/{pk}/check").json()
    assert checked["status"] == "checked"
    assert checked["counts"]["new"] == 2 and checked["counts"]["invalid"] == 0
    assert Customer.objects.count() == 0

    done = client.post(f"/imports/{pk}/commit", {"skip_invalid": False}).json()
    assert done["status"] == "committed"
    assert Customer.objects.count() == 2
    assert client.get(f"/imports/{pk}").json()["counts"]["new"] == 2

    # Re-running the same file changes nothing.
    again = post_file(client, csv_bytes(GOOD)).json()
    put(client, f"/imports/{again['id']}/mapping", {"mapping": {"0": "name", "1": "phones"}})
    client.post(f"/imports/{again['id']}/check")
    rerun = client.post(f"/imports/{again['id']}/commit", {}).json()
    assert rerun["counts"]["new"] == 0 and rerun["counts"]["unchanged"] == 2
    assert Customer.objects.count() == 2


def test_problems_paging_and_error_report(api: Callable[..., ApiClient]) -> None:
    client = api("rep_east1", lang="en")
    rows = [GOOD[0]] + [(f"客户{i}", f"1381234{i:04d}", "2024年13月40日") for i in range(5)]
    pk = post_file(client, csv_bytes(rows)).json()["id"]
    checked = client.post(f"/imports/{pk}/check").json()
    assert checked["counts"]["invalid"] == 5
    first = client.get(f"/imports/{pk}/problems", {"limit": 2}).json()
    assert [p["row"] for p in first["items"]] == [2, 3]
    assert first["items"][0]["column"] == "注册时间"
    assert first["items"][0]["code"] == "bad_date"
    assert first["items"][0]["message"].startswith("Not a valid date")
    rest = client.get(f"/imports/{pk}/problems", {"limit": 10, "cursor": first["next"]}).json()
    assert [p["row"] for p in rest["items"]] == [4, 5, 6] and rest["next"] is None
    bad = client.get(f"/imports/{pk}/problems", {"cursor": "x"})
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"

    refused = client.post(f"/imports/{pk}/commit", {})
    assert refused.status_code == 409 and refused.json()["code"] == "import_invalid_rows"
    assert Customer.objects.count() == 0
    report = client.get(f"/imports/{pk}/errors.xlsx")
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("a.csv", b"", "import_empty"),
        ("b.csv", b"name,phone\r\n\xff\xfe\xff\xfa,1\r\n", "import_encoding"),
        ("c.pdf", b"%PDF-1.4\n", "import_format"),
        ("d.xlsx", b"PK\x03\x04not really a zip", "import_unsafe_file"),
        (
            "e.csv",
            b",".join(f"c{i}".encode() for i in range(10_000)) + b"\r\n1\r\n",
            "import_too_many_columns",
        ),
    ],
)
def test_bad_files_answer_400_with_their_code(
    api: Callable[..., ApiClient], store: Path, name: str, data: bytes, code: str
) -> None:
    client = api("rep_east1", lang="en")
    audit = AuditEvent.objects.count()
    response = post_file(client, data, name=name)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and body["message"]
    assert ImportBatch.objects.count() == 0 and AuditEvent.objects.count() == audit
    assert_nothing_stored(store)


def test_hostile_xlsx_and_size_limit(
    api: Callable[..., ApiClient], settings: Any, tmp_path: Path
) -> None:
    client = api("rep_east1", lang="en")
    xlsx = fx.write_xlsx(tmp_path / "m.xlsx", [("姓名", "手机"), ("张三", "13812345678")])
    bomb = fx.billion_laughs(xlsx, tmp_path / "lol.xlsx", cell_text="张三")
    response = post_file(client, bomb.read_bytes(), name="lol.xlsx")
    assert response.status_code == 400 and response.json()["code"] == "import_unsafe_file"
    merged = fx.write_xlsx(
        tmp_path / "h.xlsx",
        [("a", None, "b"), ("姓名", "手机", "c"), ("x", "1", "2")],
        merges=["A1:B1"],
    )
    response = post_file(client, merged.read_bytes(), name="h.xlsx")
    assert (
        response.json()["code"] == "import_merged_header" and "A1:B1" in response.json()["message"]
    )
    settings.TIERCARD_IMPORT_MAX_BYTES = 50
    response = post_file(client, csv_bytes(GOOD))
    assert response.status_code == 400 and response.json()["code"] == "import_too_large"
    assert ImportBatch.objects.count() == 0


def test_mapping_errors_are_422_with_fields(api: Callable[..., ApiClient]) -> None:
    client = api("rep_east1", lang="en")
    pk = post_file(client, csv_bytes(GOOD)).json()["id"]
    response = put(
        client, f"/imports/{pk}/mapping", {"mapping": {"0": "name", "9": "phones", "2": "nope"}}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "import_mapping" and "mapping" in body["fields"]
    response = put(client, f"/imports/{pk}/mapping", {"mapping": {"0": "name"}})
    assert response.status_code == 422 and "mapping" in response.json()["fields"]
    assert ImportBatch.objects.get().field_of_column() == {
        0: "name",
        1: "phones",
        2: "registered_on",
    }


def test_roles_and_scope(api: Callable[..., ApiClient]) -> None:
    owner = api("rep_east1", lang="en")
    pk = post_file(owner, csv_bytes(GOOD)).json()["id"]
    owner.post(f"/imports/{pk}/check")
    marketing, other, service = (api(u, lang="en") for u in ("marketing", "rep_east2", "service"))
    before = (
        ImportBatch.objects.get().status,
        Customer.objects.count(),
        AuditEvent.objects.count(),
    )

    assert marketing.get("/imports").status_code == 403
    assert post_file(marketing, csv_bytes(GOOD)).status_code == 403
    assert marketing.post(f"/imports/{pk}/commit", {}).status_code == 403

    for path in (f"/imports/{pk}", f"/imports/{pk}/problems", f"/imports/{pk}/errors.xlsx"):
        assert other.get(path).status_code == 404
    assert other.post(f"/imports/{pk}/commit", {}).status_code == 404
    assert other.post(f"/imports/{pk}/check").status_code == 404
    assert put(other, f"/imports/{pk}/mapping", {"mapping": {"0": "name"}}).status_code == 404
    assert other.get("/imports").json()["items"] == []
    assert post_file(service, csv_bytes(GOOD)).status_code == 403  # customers: not for service
    after = (ImportBatch.objects.get().status, Customer.objects.count(), AuditEvent.objects.count())
    assert after == before

    # A sales rep may not undo; the manager of the team may.
    owner.post(f"/imports/{pk}/commit", {})
    assert owner.post(f"/imports/{pk}/undo").status_code == 403
    manager = api("mgr_east", lang="en")
    assert manager.get(f"/imports/{pk}").status_code == 200
    undone = manager.post(f"/imports/{pk}/undo")
    assert undone.status_code == 200 and undone.json()["status"] == ImportStatus.UNDONE


def test_list_query_count(
    api: Callable[..., ApiClient], django_assert_max_num_queries: Any
) -> None:
    client = api("rep_east1")
    for _ in range(4):
        post_file(client, csv_bytes(GOOD))
    with django_assert_max_num_queries(8):
        response = client.get("/imports", {"limit": 3})
    body = response.json()
    assert len(body["items"]) == 3 and body["next"]
    rest = client.get("/imports", {"cursor": body["next"]}).json()
    assert len(rest["items"]) == 1 and rest["next"] is None


def test_fields_catalogue(api: Callable[..., ApiClient]) -> None:
    client = api("rep_east1", lang="en")
    fields = client.get("/imports/fields", {"kind": "customers"}).json()
    by_name = {f["name"]: f for f in fields}
    assert by_name["name"]["required"] is True and by_name["name"]["label"]
    assert "phones" in by_name and "registered_on" in by_name
    assert client.get("/imports/fields", {"kind": "x"}).status_code == 422


def test_a_phone_of_another_reps_customer_leaks_nothing(
    api: Callable[..., ApiClient], book: dict[str, Customer]
) -> None:
    client = api("rep_east1", lang="en")
    south = book["south"]  # 王五, 13712345670, owned by rep_south
    rows = [("姓名", "手机号"), ("冒名顶替", "13712345670")]
    pk = post_file(client, csv_bytes(rows)).json()["id"]
    checked = client.post(f"/imports/{pk}/check").json()
    assert checked["counts"]["invalid"] == 1
    body = client.get(f"/imports/{pk}/problems")
    assert [p["code"] for p in body.json()["items"]] == ["key_taken"]
    problems = body.content.decode()
    for secret in (south.name, "wangwu@example.com", str(south.pk), "rep_south"):
        assert secret not in problems
    client.post(f"/imports/{pk}/commit", {"skip_invalid": True})
    south.refresh_from_db()
    assert south.name == "王五" and south.owner.username == "rep_south"


# --- purchases and interactions, mapping profiles, zip bombs, Chinese -----------------------


@pytest.mark.parametrize(
    ("kind", "rows", "bad"),
    [
        ("purchases", PURCHASES, (4, "实付金额", "negative_amount")),
        ("interactions", INTERACTIONS, (4, "方式", "bad_choice")),
    ],
)
def test_purchases_and_interactions_end_to_end(
    api: Callable[..., ApiClient],
    book: dict[str, Customer],
    kind: str,
    rows: list[tuple[str, ...]],
    bad: tuple[int, str, str],
) -> None:
    from tiercard.interactions.models import Interaction
    from tiercard.sales.models import Purchase

    client = api("rep_east1", lang="en")
    response = post_file(client, csv_bytes(rows), kind=kind)
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["kind"] == kind and batch["missing_required"] == []
    pk = batch["id"]
    checked = client.post(f"/imports/{pk}/check").json()
    assert checked["counts"] | {"warnings": 0} == {
        "rows": 3,
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "invalid": 1,
        "duplicates": 0,
        "possible_duplicates": 0,
        "warnings": 0,
    }
    problems = client.get(f"/imports/{pk}/problems").json()["items"]
    assert [(p["row"], p["column"], p["code"]) for p in problems] == [bad]
    assert not Purchase.objects.exists() and not Interaction.objects.exists()

    refused = client.post(f"/imports/{pk}/commit", {})
    assert refused.status_code == 409 and not Purchase.objects.exists()
    done = client.post(f"/imports/{pk}/commit", {"skip_invalid": True}).json()
    assert done["status"] == "committed" and done["counts"]["new"] == 2
    assert_good_rows_written(kind, book)


def test_mapping_profiles_saved_shared_and_listed_by_scope(
    api: Callable[..., ApiClient], users: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    from tiercard.imports.models import MappingProfile

    rep, other, manager = (api(u, lang="en") for u in ("rep_east1", "rep_east2", "mgr_east"))
    rows = [("会员", "电话号"), ("张伟", "13812340001")]
    body = {"mapping": {"0": "name", "1": "phones"}, "mode": "create", "profile_name": "门店表"}

    pk = post_file(rep, csv_bytes(rows)).json()["id"]
    refused = put(rep, f"/imports/{pk}/mapping", body | {"share_profile": True})
    assert refused.status_code == 422 and "share_profile" in refused.json()["fields"]
    assert not MappingProfile.objects.exists()
    assert put(rep, f"/imports/{pk}/mapping", body).status_code == 200
    mine = MappingProfile.objects.get()
    assert (mine.owner.username, mine.shared, mine.mapping) == (
        "rep_east1",
        False,
        {"会员": "name", "电话号": "phones"},
    )
    # The next upload with those headers is mapped (and set to create-only) by the profile.
    again = post_file(rep, csv_bytes(rows)).json()
    assert again["mapping"] == {"0": "name", "1": "phones"} and again["mode"] == "create"

    pk = post_file(manager, csv_bytes(rows)).json()["id"]
    shared = body | {"profile_name": "总部模板", "share_profile": True, "mode": "upsert"}
    assert put(manager, f"/imports/{pk}/mapping", shared).status_code == 200
    MappingProfile.objects.create(owner=users["rep_east1"], kind="purchases", name="小票")

    with django_assert_max_num_queries(6):
        listed = rep.get("/imports/profiles").json()
    assert [(p["name"], p["kind"], p["own"], p["shared"], p["owner"]) for p in listed] == [
        ("小票", "purchases", True, False, "rep_east1"),
        ("总部模板", "customers", False, True, "mgr_east"),
        ("门店表", "customers", True, False, "rep_east1"),
    ]
    assert listed[2]["mapping"] == {"会员": "name", "电话号": "phones"}
    assert [p["name"] for p in rep.get("/imports/profiles", {"kind": "customers"}).json()] == [
        "总部模板",
        "门店表",
    ]
    # Another rep sees the shared profile only, never rep_east1's private ones.
    assert [p["name"] for p in other.get("/imports/profiles").json()] == ["总部模板"]
    # A service user may not import customers: no customer profile, not even a shared one.
    assert api("service").get("/imports/profiles").json() == []
    assert api("marketing").get("/imports/profiles").status_code == 403
    assert rep.get("/imports/profiles", {"kind": "x"}).status_code == 422


def test_a_zip_bomb_is_refused_and_nothing_is_stored(
    api: Callable[..., ApiClient], store: Path, tmp_path: Path
) -> None:
    client = api("rep_east1", lang="en")
    xlsx = fx.write_xlsx(tmp_path / "m.xlsx", [fx.HEADERS, fx.ROWS[0]])
    bomb = fx.zip_bomb(xlsx, tmp_path / "bomb.xlsx", megabytes=4)  # ~1000:1
    audit = AuditEvent.objects.count()
    response = post_file(client, bomb.read_bytes(), name="bomb.xlsx")
    assert response.status_code == 400 and response.json()["code"] == "import_unsafe_file"
    assert ImportBatch.objects.count() == 0 and AuditEvent.objects.count() == audit
    assert_nothing_stored(store)


def test_problems_read_in_chinese(api: Callable[..., ApiClient], book: dict[str, Customer]) -> None:
    client = api("rep_east1", lang="zh-hans")
    rows = [("姓名", "手机号", "注册时间"), ("赵六", "13812340009", "2024年13月40日")]
    pk = post_file(client, csv_bytes(rows)).json()["id"]
    client.post(f"/imports/{pk}/check")
    items = client.get(f"/imports/{pk}/problems").json()["items"]
    assert [(p["column"], p["message"]) for p in items] == [
        ("注册时间", "日期无效：请使用 2024-05-01 或 2024年5月1日 这样的格式。")
    ]
