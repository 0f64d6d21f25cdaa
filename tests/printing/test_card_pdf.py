"""The printed customer card: content by tier template, masking, scope, audit, and the three
doors (web, API, CLI)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from tests.printing.conftest import BASIC_PHONE, VIP_PHONE, read_pdf
from tiercard.audit.models import AuditEvent
from tiercard.cards.layout import default_layouts
from tiercard.cards.notes import note_add
from tiercard.cards.templates import card_template_save
from tiercard.core.context import interface
from tiercard.core.errors import NotFound
from tiercard.customers.models import Customer
from tiercard.interactions.services import interaction_log
from tiercard.printing.services import card_print

pytestmark = pytest.mark.django_db


def test_a_vip_card_prints_every_section_of_its_template(
    users: dict, vip: Customer, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(40):  # a fixed number whatever the history's length
        printed = card_print(actor=users["rep_east1"], customer_id=vip.pk)
    pdf = read_pdf(printed.content)
    assert pdf.text.count("深圳联嘉电气有限公司") >= 1
    assert "VIP" in pdf.text  # the tier badge (English name under an English UI)
    for section in (
        "Basic information",
        "Address",
        "Contact persons",
        "Business information",
        "Financial information",
        "Needs and preferences",
        "Purchases",
        "Tier and points",
        "Timeline",
        "Notes",
    ):
        assert section in pdf.text, section
    assert "This is the highest tier." in pdf.text
    assert "杨兴嘉" in pdf.text and "武夷山大红袍" in pdf.text  # contact person, purchase
    assert "邀请参加新品品鉴会" in pdf.text and "寄送邀请函" in pdf.text  # interaction, step
    assert "偏好周三上午拜访" in pdf.text  # note
    assert "大客户" in pdf.text  # tag
    assert "Points balance" in pdf.text
    assert 1 <= pdf.pages <= 3
    # The owner sees contact data unmasked, as on the card page.
    assert VIP_PHONE in pdf.text


def test_a_basic_card_is_short_and_shows_the_way_up(users: dict, basic: Customer) -> None:
    pdf = read_pdf(card_print(actor=users["rep_east1"], customer_id=basic.pk).content)
    assert "陈雅静" in pdf.text
    assert "Basic" in pdf.text
    assert "On the way to Standard" in pdf.text
    # The basic template asks for little: no business or financial sections.
    assert "Business information" not in pdf.text
    assert "Financial information" not in pdf.text
    assert "No purchases in this period." in pdf.text
    assert pdf.pages == 1


def test_the_chinese_font_is_embedded_as_a_subset(users: dict, vip: Customer) -> None:
    pdf = read_pdf(card_print(actor=users["rep_east1"], customer_id=vip.pk).content)
    assert pdf.fonts
    for font in pdf.fonts:
        assert font["embedded"], font
        assert font["subset"], font
    assert any("CJK" in f["name"] or "Hei" in f["name"] for f in pdf.fonts)


def test_a_chinese_card_reads_in_chinese(users: dict, basic: Customer) -> None:
    with translation.override("zh-hans"):
        printed = card_print(actor=users["rep_east1"], customer_id=basic.pk)
        pdf = read_pdf(printed.content)
    assert "基础级" in pdf.text
    assert "陈雅静" in pdf.text


def test_roles_that_see_masked_phones_print_them_masked(users: dict, vip: Customer) -> None:
    for role in ("service", "marketing"):
        pdf = read_pdf(card_print(actor=users[role], customer_id=vip.pk).content)
        digits = re.sub(r"\D", "", pdf.text)
        assert VIP_PHONE not in digits, role
        assert "15693418446" not in digits, role  # the contact person's mobile too
        assert "buyer@lianjia.example" not in pdf.text, role
        assert "138****8000" in pdf.text, role
        assert "Contact data is masked for your role." in pdf.text


def test_printing_is_audited_as_an_export_of_that_customer(
    users: dict, vip: Customer, exports: Callable[[], list[AuditEvent]]
) -> None:
    with interface("api"):
        card_print(actor=users["service"], customer_id=vip.pk)
    (row,) = exports()
    assert row.actor == users["service"]
    assert row.interface == "api"
    assert row.object_type == "printing.card"
    assert row.customer_id == vip.pk and row.object_id == str(vip.pk)
    assert row.changes["format"] == "pdf" and row.changes["masked"] is True


def test_another_reps_customer_is_not_found_and_nothing_is_audited(
    users: dict, vip: Customer, exports: Callable[[], list[AuditEvent]]
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(NotFound):
        card_print(actor=users["rep_south"], customer_id=vip.pk)
    with pytest.raises(NotFound):
        card_print(actor=users["rep_east1"], customer_id=10**9)
    assert AuditEvent.objects.count() == before
    assert exports() == []


# --- Web --------------------------------------------------------------------------------------


def test_web_serves_the_card_inline_under_its_chinese_name(
    login: Callable[[str], Client], vip: Customer, exports: Callable[[], list[AuditEvent]]
) -> None:
    client = login("rep_east1")
    page = client.get(f"/customers/{vip.pk}/").content.decode()
    assert f'href="/customers/{vip.pk}/card.pdf"' in page  # the print button
    with translation.override("zh-hans"):
        response = client.get(f"/customers/{vip.pk}/card.pdf", headers={"Accept-Language": "zh"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline; ")
    assert f'filename="card-{vip.pk}-' in disposition
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert "深圳联嘉电气有限公司" in unquote(encoded)
    assert read_pdf(response.content).pages >= 1
    (row,) = exports()
    assert row.interface == "web"


def test_web_answers_404_for_another_reps_customer(
    login: Callable[[str], Client], vip: Customer, exports: Callable[[], list[AuditEvent]]
) -> None:
    response = login("rep_south").get(f"/customers/{vip.pk}/card.pdf")
    assert response.status_code == 404
    assert exports() == []


# --- API --------------------------------------------------------------------------------------


def test_api_card_pdf(
    api: Callable, vip: Customer, exports: Callable[[], list[AuditEvent]]
) -> None:
    response = api("service").get(f"/customers/{vip.pk}/card.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert VIP_PHONE not in re.sub(r"\D", "", read_pdf(response.content).text)
    (row,) = exports()
    assert row.interface == "api" and row.customer_id == vip.pk


def test_api_card_pdf_of_another_reps_customer_is_404_in_the_error_shape(
    api: Callable, vip: Customer, exports: Callable[[], list[AuditEvent]]
) -> None:
    response = api("rep_south").get(f"/customers/{vip.pk}/card.pdf")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert exports() == []


# --- CLI --------------------------------------------------------------------------------------


def test_cli_prints_a_card_to_a_file(
    users: dict, basic: Customer, tmp_path: Path, exports: Callable[[], list[AuditEvent]]
) -> None:
    target = tmp_path / "card.pdf"
    with interface("cli"):  # what the ``tiercard`` wrapper sets around every command
        call_command("print_card", str(basic.pk), "--as", "service", "-o", str(target))
    pdf = read_pdf(target.read_bytes())
    assert "陈雅静" in pdf.text
    assert BASIC_PHONE not in re.sub(r"\D", "", pdf.text)  # service prints masked
    (row,) = exports()
    assert row.interface == "cli" and row.actor == users["service"]


def test_cli_refuses_another_reps_customer_and_writes_nothing(
    users: dict, vip: Customer, tmp_path: Path, exports: Callable[[], list[AuditEvent]]
) -> None:
    target = tmp_path / "card.pdf"
    with pytest.raises(CommandError, match="not_found"):
        call_command("print_card", str(vip.pk), "--as", "rep_south", "-o", str(target))
    assert not target.exists()
    assert exports() == []


def test_long_texts_are_cut_to_fit_rather_than_breaking_the_page(
    users: dict, basic: Customer
) -> None:
    interaction_log(
        actor=users["rep_east1"],
        customer_id=basic.pk,
        data={"kind": "visit", "summary": "拜访" * 1900},
    )
    note_add(actor=users["rep_east1"], customer_id=basic.pk, body="备注" * 990)
    pdf = read_pdf(card_print(actor=users["rep_east1"], customer_id=basic.pk).content)
    assert "拜访拜访" in pdf.text and "…" in pdf.text
    assert pdf.pages <= 3


def test_the_card_follows_its_tiers_template_as_the_administrator_set_it(
    users: dict, basic: Customer
) -> None:
    layout = default_layouts()["basic"].to_json()
    for section in layout["sections"]:
        if section["key"] == "address":
            section["shown"] = False
            for item in section["fields"]:
                item["required"] = False
        if section["key"] == "preferences":
            section["priority"] = 1  # first of all
    card_template_save(actor=users["admin"], tier_code="basic", layout=layout)
    text = read_pdf(card_print(actor=users["rep_east1"], customer_id=basic.pk).content).text
    assert "Address" not in text.split("Other information")[0]  # hidden by the template
    assert text.index("Needs and preferences") < text.index("Basic information")
    assert "呼和浩特" in text  # a value outside the template still prints, under Other


def test_cli_prints_the_member_table_of_a_filter(
    users: dict, vip: Customer, basic: Customer, tmp_path: Path
) -> None:
    target = tmp_path / "table.pdf"
    with interface("cli"):
        call_command("print_table", "--as", "mgr_east", "--tier", "vip", "-o", str(target))
    pdf = read_pdf(target.read_bytes())
    assert "深圳联嘉电气" in pdf.text and "陈雅静" not in pdf.text  # the name is cut to fit
    row = AuditEvent.objects.get(action="export")
    assert row.interface == "cli" and row.changes["view"]["filters"] == {"tier": "vip"}
    with pytest.raises(CommandError, match="permission_denied"):
        call_command("print_table", "--as", "rep_east1", "-o", str(tmp_path / "no.pdf"))
    assert not (tmp_path / "no.pdf").exists()
