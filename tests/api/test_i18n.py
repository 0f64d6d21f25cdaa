"""The API's own message catalog is compiled and complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from tests.api.conftest import has_cjk
from tiercard.api import errors

PO = Path(errors.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ENTRY = re.compile(r'msgid "((?:[^"\\]|\\.)+)"\nmsgstr "((?:[^"\\]|\\.)*)"')


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


def test_compiled_catalog_matches_the_po_file() -> None:
    entries = [(_unescape(a), _unescape(b)) for a, b in ENTRY.findall(PO.read_text("utf-8"))]
    assert entries
    with translation.override("zh-hans"):
        for msgid, msgstr in entries:
            assert msgstr, msgid
            assert translation.gettext(msgid) == msgstr, msgid


with translation.override("en"):  # the msgids themselves, whatever language is active
    SHAPE_MESSAGES = sorted({str(m) for m in errors._MESSAGES.values()})


@pytest.mark.parametrize("message", SHAPE_MESSAGES)
def test_every_shape_error_message_has_chinese(message: str) -> None:
    with translation.override("zh-hans"):
        chinese = translation.gettext(message)
    with translation.override("en"):
        english = translation.gettext(message)

    assert has_cjk(chinese), message
    assert english == message
