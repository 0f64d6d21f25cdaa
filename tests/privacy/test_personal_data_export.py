"""One customer's copy of their data (PIPL art. 45): complete, unmasked, audited, scoped."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from tests.privacy.conftest import EMAIL, NAME, PHONE
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.core.errors import NotFound, PermissionDenied
from tiercard.core.timeutils import business_today, business_tz
from tiercard.customers.models import Customer
from tiercard.dedupe.merge import customers_merge
from tiercard.loyalty.models import PointsEntry
from tiercard.privacy.subject_export import personal_data_export
from tiercard.servicedesk.models import ServiceTicket
from tiercard.servicedesk.services import ticket_open

pytestmark = pytest.mark.django_db

SECTIONS = {
    "customer",
    "contact_points",
    "contact_persons",
    "consent",
    "purchases",
    "purchase_lines",
    "returns",
    "points_ledger",
    "tier_history",
    "benefit_uses",
    "redemptions",
    "interactions",
    "service_tickets",
    "override_requests",
    "notes",
    "audit",
}


def unzip(user: Any, customer: Customer) -> tuple[str, dict[str, Any], Any]:
    exported = personal_data_export(actor=user, customer_id=customer.pk)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(exported.chunks)))
    stem = f"personal-data-{customer.pk}"
    assert sorted(archive.namelist()) == [f"{stem}.json", f"{stem}.xlsx"]
    doc = json.loads(archive.read(f"{stem}.json"))
    book = load_workbook(io.BytesIO(archive.read(f"{stem}.xlsx")), read_only=True)
    return exported.filename, doc, book


def test_the_copy_holds_every_section_unmasked(rich: Customer, users: dict) -> None:
    with translation.override("en"):
        filename, doc, book = unzip(users["admin"], rich)
    assert filename.startswith(f"personal-data-{rich.pk}-") and filename.endswith(".zip")
    assert SECTIONS - {"customer", "consent"} <= set(doc) and doc["customer_id"] == rich.pk
    card = doc["customer"]
    assert (card["name"], card["birthday"], card["owner"], card["tags"]) == (
        NAME,
        "1990-04-05",
        "rep_east1",
        "老客户",
    )
    assert (card["kind"], card["status"]) == ("person", "active")  # stored codes
    assert {p["value"] for p in doc["contact_points"]} == {PHONE, EMAIL, "zmm_wx"}
    assert {p["kind_code"] for p in doc["contact_points"]} == {"mobile", "email", "wechat"}
    assert doc["contact_persons"][0]["mobile"] == "13911112222"
    assert doc["consent"]["consent_data"] is True
    assert len(doc["purchases"]) == 2 and len(doc["purchase_lines"]) == 4
    assert doc["returns"][0]["amount"] == "20.00" and doc["returns"][0]["reason"] == "破损"
    assert len(doc["points_ledger"]) == PointsEntry.objects.filter(customer=rich).count()
    assert doc["tier_history"] and doc["interactions"][0]["summary"].startswith(NAME)
    assert doc["notes"][0]["body"].startswith(NAME)
    assert {a["object_type"] for a in doc["audit"]} >= {"customers.customer", "customers.contact"}
    assert book.sheetnames[:3] == ["Customer card", "Contact details", "Contact persons"]
    assert len(book.sheetnames) == 16
    lines = [list(r) for r in book["Purchase lines"].iter_rows(values_only=True)]
    assert '\'=HYPERLINK("x")' in [r[2] for r in lines[1:]]


def test_the_copy_holds_the_service_tickets(rich: Customer, users: dict) -> None:
    # given a second, open ticket with no detail beside the resolved one of ``rich``
    ticket_open(
        actor=users["rep_east1"],
        customer_id=rich.pk,
        data={"kind": "enquiry", "subject": "会员日是哪天"},
    )
    resolved, still_open = ServiceTicket.objects.filter(customer=rich).order_by("opened_at", "id")

    with translation.override("en"):
        _filename, doc, book = unzip(users["admin"], rich)

    first, second = doc["service_tickets"]
    assert (first["id"], first["kind"], first["kind_code"]) == (
        resolved.pk,
        "Complaint",
        "complaint",
    )
    assert (first["subject"], first["detail"]) == (f"{NAME}投诉龙井受潮", f"请回电 {PHONE}")
    assert (first["status"], first["status_code"]) == ("Resolved", "resolved")
    assert first["resolution"] == f"{NAME}确认收到补发"
    assert first["tier"] == resolved.tier
    for key in ("opened_at", "responded_at", "resolved_at"):
        assert (
            first[key] == timezone.localtime(getattr(resolved, key), business_tz()).isoformat()
        ), key
    assert (second["id"], second["status_code"], second["detail"]) == (still_open.pk, "open", "")
    assert (second["responded_at"], second["resolved_at"], second["resolution"]) == (
        None,
        None,
        "",
    )
    sheet = [list(r) for r in book["Service tickets"].iter_rows(values_only=True)]
    assert sheet[0][:4] == ["Ticket no.", "received", "type", "subject"]
    assert [r[0] for r in sheet[1:]] == [resolved.pk, still_open.pk]
    assert f"{NAME}投诉龙井受潮" in sheet[1]


def test_cards_merged_into_the_customer_are_in_the_copy(
    rich: Customer, users: dict, make_customer: Any
) -> None:
    # given a second card of the same person, merged into this one
    twin = make_customer("rep_east1", name="旧卡张", phones="13722223333", city="杭州")
    customers_merge(actor=users["admin"], survivor_id=rich.pk, merged_id=twin.pk)

    with translation.override("en"):
        _filename, doc, book = unzip(users["admin"], rich)

    card = doc[f"merged_card_{twin.pk}"]
    assert (card["id"], card["name"], card["city"]) == (twin.pk, "旧卡张", "杭州")
    points = doc[f"merged_contact_points_{twin.pk}"]
    assert [p["value"] for p in points] == ["13722223333"]
    assert f"Merged card no. {twin.pk}" in book.sheetnames


# Labels written the same way in Chinese: names of products and codes, not English words.
SAME_IN_CHINESE = {"QQ", "SKU", "ID"}


def sheet_labels(book: Any) -> list[tuple[str, list[str], list[str]]]:
    """Each sheet's name, header row, and first column (the labels of a field/value sheet)."""
    found = []
    for name in book.sheetnames:
        rows = [
            [str(c) for c in r if c is not None] for r in book[name].iter_rows(values_only=True)
        ]
        found.append((name, rows[0], [r[0] for r in rows[1:] if r]))
    return found


def untranslated(english: list[Any], chinese: list[Any]) -> list[str]:
    """Labels the Chinese book shows in English: equal to the English book's, word for word."""
    assert len(english) == len(chinese)
    same = []
    for (en_name, en_head, en_first), (zh_name, zh_head, zh_first) in zip(
        english, chinese, strict=True
    ):
        if en_name == zh_name:
            same.append(f"sheet {en_name!r}")
        pairs = list(zip(en_head, zh_head, strict=True))
        if en_head[:1] == ["Field"]:  # a card: one row per field, labelled in column one
            pairs += zip(en_first, zh_first, strict=True)
        same += [f"{en_name}: {en!r}" for en, zh in pairs if en == zh and en not in SAME_IN_CHINESE]
    return same


def test_sheet_names_and_headers_follow_the_language(rich: Customer, users: dict) -> None:
    """Every sheet name and column header differs from the English one (needs the zh catalogue)."""
    with translation.override("en"):
        english = sheet_labels(unzip(users["admin"], rich)[2])
    with translation.override("zh-hans"):
        chinese = sheet_labels(unzip(users["admin"], rich)[2])

    assert english[0][0] == "Customer card" and chinese[0][0] == "客户档案"
    assert untranslated(english, chinese) == []


def test_the_export_is_audited(rich: Customer, users: dict) -> None:
    unzip(users["mgr_east"], rich)
    event = AuditEvent.objects.get(object_type="privacy.personal_data")
    assert (event.action, event.customer_id, event.actor) == (
        AuditAction.EXPORT,
        rich.pk,
        users["mgr_east"],
    )
    assert event.changes["format"] == "zip" and event.changes["sections"]["purchases"] == 2
    assert PHONE not in json.dumps(event.changes)


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("rep_east1", PermissionDenied),
        ("marketing", PermissionDenied),
        ("service_reveal", PermissionDenied),
        ("rep_south", NotFound),
        ("mgr_south", NotFound),
    ],
)
def test_others_are_refused_and_nothing_is_logged(
    rich: Customer, users: dict, who: str, error: type[Exception]
) -> None:
    count = AuditEvent.objects.count()
    with pytest.raises(error):
        personal_data_export(actor=users[who], customer_id=rich.pk)
    assert AuditEvent.objects.count() == count


def test_the_copy_holds_the_tier_override_requests(rich: Customer, users: dict) -> None:
    from tiercard.loyalty.services.override_requests import override_reject, override_request

    asked = override_request(
        actor=users["rep_east1"],
        customer_id=rich.pk,
        tier_code="vip",
        reason=f"{NAME}是年度战略客户",
        until=business_today() + dt.timedelta(days=30),
    )
    override_reject(actor=users["mgr_east"], request_id=asked.pk, note="消费不足")

    with translation.override("en"):
        _filename, doc, _book = unzip(users["admin"], rich)

    (row,) = doc["override_requests"]
    assert (row["tier"], row["reason"], row["status_code"], row["note"]) == (
        "vip",
        f"{NAME}是年度战略客户",
        "rejected",
        "消费不足",
    )
