"""Every message of the API's shape errors has a Chinese translation."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.api.conftest import has_cjk
from tiercard.api import errors

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
