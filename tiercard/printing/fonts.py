"""The Chinese font every printed PDF embeds (as a subset), found at run time.

``settings.TIERCARD_PDF_FONT`` (or the environment variable of the same name) names a TrueType
or OpenType font file or collection (``.ttf``, ``.otf``, ``.ttc``), CFF outlines included;
``TIERCARD_PDF_FONT_BOLD`` optionally names its bold face. Without them the usual places of
the common CJK fonts are searched (Debian's fonts-noto-cjk first). In a collection the
Simplified Chinese face is chosen (Noto Sans CJK holds JP, KR, SC, TC and HK faces whose glyphs
for the same character differ).

No font, or a file without Chinese glyphs, is :class:`PrintFontMissing` with a message naming the
setting: a PDF is never produced with missing characters.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from fontTools.ttLib import TTCollection, TTFont, TTLibError

from tiercard.core.errors import DomainError

SEARCH = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian / Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",  # macOS
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",  # Windows: Microsoft YaHei
    "C:/Windows/Fonts/simhei.ttf",
)
PROBE = "客户管理卡级积分"  # a font that draws these draws the card
SIMPLIFIED_HINTS = (" SC", "SC ", "CN", "GB", "Hans", "YaHei", "Hei", "WenQuanYi")


class PrintFontMissing(DomainError):
    code = "pdf_font_missing"
    http_status = 503
    default_message = _(
        "No Chinese font was found for printing. Install the fonts-noto-cjk package or set "
        "TIERCARD_PDF_FONT to a .ttf, .otf or .ttc font file."
    )


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int  # the face within a collection (0 for a single font)


@dataclass(frozen=True)
class PrintFonts:
    regular: FontFace
    bold: FontFace


def _setting(name: str) -> str:
    return str(getattr(settings, name, "") or os.environ.get(name, "")).strip()


def _draws_chinese(font: TTFont) -> bool:
    cmap = font.getBestCmap() or {}
    return all(ord(c) in cmap for c in PROBE)


def _preference(name: str) -> tuple[bool, bool]:
    """Simplified Chinese faces first, proportional before monospaced."""
    return (not any(h in name for h in SIMPLIFIED_HINTS), "Mono" in name)


def _face(path: str) -> FontFace | None:
    """The face of ``path`` to print with, or None when it is missing, unreadable or holds no
    Chinese glyphs. In a collection: the first Simplified Chinese face that draws the probe."""
    if not Path(path).is_file():
        return None
    try:
        if Path(path).suffix.lower() in {".ttc", ".otc"}:
            faces = TTCollection(path, lazy=True).fonts
            names = [str(f["name"].getDebugName(4) or "") for f in faces]
            order = sorted(
                range(len(faces)),
                key=lambda i: (
                    not any(h in names[i] for h in SIMPLIFIED_HINTS),
                    "Mono" in names[i],
                ),
            )
            for i in order:
                if _draws_chinese(faces[i]):
                    return FontFace(path, i)
            return None
        return FontFace(path, 0) if _draws_chinese(TTFont(path, lazy=True)) else None
    except (TTLibError, OSError, KeyError, AssertionError):
        return None


def _bold_sibling(path: str) -> str:
    """``…-Regular.ttc`` → ``…-Bold.ttc`` when that file exists, else ``path`` itself."""
    name = Path(path).name
    if "Regular" in name:
        sibling = Path(path).with_name(name.replace("Regular", "Bold"))
        if sibling.is_file():
            return str(sibling)
    return path


@functools.lru_cache(maxsize=4)
def _locate(configured: str, configured_bold: str) -> PrintFonts:
    candidates = (configured,) if configured else SEARCH
    for path in candidates:
        regular = _face(path)
        if regular is None:
            continue
        bold = _face(configured_bold or _bold_sibling(path)) or regular
        return PrintFonts(regular, bold)
    if configured:
        raise PrintFontMissing(
            _(
                "The font set in TIERCARD_PDF_FONT (%(path)s) is missing or has no Chinese "
                "characters."
            )
            % {"path": configured}
        )
    raise PrintFontMissing()


def print_fonts() -> PrintFonts:
    """The fonts to print with (looked up once per setting), or :class:`PrintFontMissing`."""
    return _locate(_setting("TIERCARD_PDF_FONT"), _setting("TIERCARD_PDF_FONT_BOLD"))
