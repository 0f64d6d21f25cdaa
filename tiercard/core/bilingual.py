"""Names kept in both languages (tiers, rewards): the one to show in the current language."""

from __future__ import annotations

from django.utils.translation import get_language


def localised(name_zh: str, name_en: str) -> str:
    """The Chinese name on a Chinese page, the English one otherwise (falling back)."""
    if (get_language() or "").startswith("zh"):
        return name_zh or name_en
    return name_en or name_zh
