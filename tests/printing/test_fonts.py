"""Finding the Chinese font: the setting, the search list, and clear errors without one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tiercard.audit.models import AuditEvent
from tiercard.customers.models import Customer
from tiercard.printing import fonts
from tiercard.printing.fonts import PrintFontMissing, print_fonts
from tiercard.printing.services import card_print

pytestmark = pytest.mark.django_db

NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
LATIN_ONLY = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.mark.skipif(not Path(NOTO).is_file(), reason="fonts-noto-cjk is not installed")
def test_the_search_list_finds_the_simplified_chinese_face_of_noto(settings: Any) -> None:
    settings.TIERCARD_PDF_FONT = ""
    found = print_fonts()
    assert found.regular.path == NOTO
    assert found.bold.path.endswith("NotoSansCJK-Bold.ttc")
    # Noto Sans CJK holds JP, KR, SC, TC and HK faces: the SC one is chosen, by name.
    assert found.regular.index == fonts._face(NOTO).index  # type: ignore[union-attr]
    from fontTools.ttLib import TTCollection

    names = [f["name"].getDebugName(4) for f in TTCollection(NOTO, lazy=True).fonts]
    assert names[found.regular.index] == "Noto Sans CJK SC"


def test_a_missing_configured_font_is_a_clear_error(settings: Any, tmp_path: Path) -> None:
    settings.TIERCARD_PDF_FONT = str(tmp_path / "nowhere.ttf")
    with pytest.raises(PrintFontMissing) as caught:
        print_fonts()
    assert caught.value.code == "pdf_font_missing"
    assert "TIERCARD_PDF_FONT" in str(caught.value.message)
    assert "nowhere.ttf" in str(caught.value.message)


@pytest.mark.skipif(not Path(LATIN_ONLY).is_file(), reason="fonts-dejavu is not installed")
def test_a_font_without_chinese_glyphs_is_refused(settings: Any) -> None:
    settings.TIERCARD_PDF_FONT = LATIN_ONLY
    with pytest.raises(PrintFontMissing):
        print_fonts()


def test_no_font_anywhere_names_the_package_and_the_setting(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings.TIERCARD_PDF_FONT = ""
    monkeypatch.setattr(fonts, "SEARCH", (str(tmp_path / "a.ttc"), str(tmp_path / "b.ttf")))
    with pytest.raises(PrintFontMissing) as caught:
        print_fonts()
    assert "fonts-noto-cjk" in str(caught.value.message)
    assert "TIERCARD_PDF_FONT" in str(caught.value.message)


def test_without_a_font_nothing_is_printed_or_audited(
    settings: Any, tmp_path: Path, users: dict, book: dict[str, Customer], api: Callable
) -> None:
    settings.TIERCARD_PDF_FONT = str(tmp_path / "nowhere.ttf")
    before = AuditEvent.objects.count()
    with pytest.raises(PrintFontMissing):
        card_print(actor=users["rep_east1"], customer_id=book["east1"].pk)
    assert AuditEvent.objects.count() == before
    client = api("rep_east1")
    before = AuditEvent.objects.count()
    response = client.get(f"/customers/{book['east1'].pk}/card.pdf")
    assert response.status_code == 503
    assert response.json()["code"] == "pdf_font_missing"
    assert AuditEvent.objects.count() == before
