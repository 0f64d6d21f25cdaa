"""Dates typed into text fields say their format; the page names its language.

Chromium draws ``<input type=date>`` in the browser's own locale (mm/dd/yyyy in an en-US
browser) whatever the page's ``lang`` says, so the app cannot change those; the text date
fields of the customer form carry the format below them instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _help_after(html: str, field_id: str) -> str:
    """The text of the help line that follows the input ``field_id``."""
    found = re.search(rf'id="{field_id}".*?class="help[^"]*"[^>]*>([^<]*)<', html, re.S)
    assert found, field_id
    return found.group(1).strip()


def test_text_date_fields_say_their_format(login: Callable[[str], Client]) -> None:
    client = login("rep_east1")
    client.cookies["django_language"] = "en"

    html = client.get("/customers/new/").content.decode()

    assert re.search(r'<html lang="en"', html)
    assert _help_after(html, "id_registered_on") == "Format: 2024-05-01"
    assert _help_after(html, "id_birthday") == "Format: 2024-05-01"
    assert html.count("Format: 2024-05-01") == 2


def test_the_page_is_chinese_by_default(login: Callable[[str], Client]) -> None:
    html = login("rep_east1").get("/customers/new/").content.decode()

    assert '<html lang="zh-Hans">' in html
