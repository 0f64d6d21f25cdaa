"""Fixtures of the printing tests: a VIP company with every section filled, a basic-tier
person, and helpers that read a PDF back (text, pages, embedded fonts) with pypdf."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from tests.api.conftest import _fresh_cache, api, token_for  # noqa: F401 (fixtures)
from tests.web.conftest import login  # noqa: F401 (fixture)
from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction, AuditEvent
from tiercard.cards.notes import note_add
from tiercard.customers.contact_persons import contact_add
from tiercard.customers.models import Customer
from tiercard.interactions.services import interaction_log
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.printing import fonts

VIP_PHONE = "13800138000"
BASIC_PHONE = "13912345679"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Assertions read English text: the Chinese catalogue is merged by the lead later."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_font_lookup() -> Iterator[None]:
    fonts._locate.cache_clear()
    yield
    fonts._locate.cache_clear()


def buy(users: dict[str, User], customer: Customer, amount: str, ref: str, item: str) -> None:
    data = {
        "external_ref": ref,
        "lines": [{"item_name": item, "quantity": "1", "unit_price": amount}],
    }
    purchase_record(actor=users["rep_east1"], customer_id=customer.pk, data=data)


@pytest.fixture
def vip(users: dict[str, User], make_customer: Callable[..., Customer]) -> Customer:
    """A company of rep_east1 that one large order made VIP, with a contact person, an
    interaction with a next step, a note and tags."""
    customer = make_customer(
        "rep_east1",
        kind="company",
        name="深圳联嘉电气有限公司",
        phones=VIP_PHONE,
        emails="buyer@lianjia.example",
        city="深圳",
        province="广东",
        address="解放路321号",
        industry="制造业",
        needs="家电以旧换新",
        tags="大客户",
    )
    buy(users, customer, "12800", "vip-1", "武夷山大红袍")
    buy(users, customer, "3600", "vip-2", "宁夏贺兰山赤霞珠")
    contact_add(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={
            "name": "杨兴嘉",
            "title": "总经理",
            "mobile": "15693418446",
            "is_decision_maker": True,
        },
    )
    interaction_log(
        actor=users["rep_east1"],
        customer_id=customer.pk,
        data={
            "kind": "call",
            "summary": "邀请参加新品品鉴会，客户确认出席。",
            "outcome": "positive",
            "next_step": "寄送邀请函",
        },
    )
    note_add(actor=users["rep_east1"], customer_id=customer.pk, body="偏好周三上午拜访。")
    customer.refresh_from_db()
    return customer


@pytest.fixture
def basic(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer("rep_east1", name="陈雅静", phones=BASIC_PHONE, city="呼和浩特")


@dataclass(frozen=True)
class ReadPdf:
    pages: int
    text: str
    page_texts: list[str]
    fonts: list[dict[str, Any]]  # per font: name, subset, embedded


def _font_facts(font: DictionaryObject) -> dict[str, Any]:
    base = str(font.get("/BaseFont", ""))
    descriptor = None
    if "/DescendantFonts" in font:
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant.get("/FontDescriptor")
    else:
        descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    subset = len(base) > 8 and base[7] == "+" and base[1:7].isupper()
    return {"name": base, "subset": subset, "embedded": embedded}


def read_pdf(content: bytes) -> ReadPdf:
    """Parse a PDF (raises on a malformed one) and collect its text and fonts."""
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content), strict=True)
    # pypdf reads fpdf2's embedded Identity CMap and puts a NUL before each character; the
    # ToUnicode map it decodes them with is right (pdftotext reads the same text).
    texts = [(page.extract_text() or "").replace("\x00", "") for page in reader.pages]
    found: dict[str, dict[str, Any]] = {}
    for page in reader.pages:
        resources = page.get("/Resources")
        page_fonts = resources.get_object().get("/Font") if resources is not None else None
        for ref in (page_fonts.get_object() if page_fonts is not None else {}).values():
            facts = _font_facts(ref.get_object())
            found[facts["name"]] = facts
    return ReadPdf(len(reader.pages), "\n".join(texts), texts, list(found.values()))


@pytest.fixture
def exports() -> Callable[[], list[AuditEvent]]:
    """The export rows written so far, oldest first."""

    def rows() -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("id"))

    return rows
