"""Contact-point normalisation and masking: phones, email, WeChat ids.

Mainland mobiles are stored as ``+86`` E.164 (``+8613812345678``); landlines keep their area
code (``+86-10-12345678`` → ``+861012345678``); other countries must carry a ``+`` prefix.
Each normaliser returns the normalised value or raises ``ValueError`` with a reason code.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tiercard.core.text import fold_width

CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
CN_LANDLINE = re.compile(r"^0[1-9]\d{1,2}\d{7,8}$")
INTL = re.compile(r"^\+[1-9]\d{6,14}$")
WECHAT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{5,19}$")


def normalize_phone(raw: str) -> str:
    """Normalise a phone number to E.164. Raises ``ValueError`` when it is not a phone."""
    text = fold_width(raw).strip()
    text = re.sub(r"[\s\-()（）.]", "", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+86"):
        national = text[3:]
    elif text.startswith("+"):
        if not INTL.match(text):
            raise ValueError("invalid_phone")
        return text
    elif text.startswith("86") and len(text) == 13:
        national = text[2:]
    else:
        national = text
    if CN_MOBILE.match(national):
        return "+86" + national
    if CN_LANDLINE.match(national):
        return "+86" + national[1:]
    if text.startswith("+86") and CN_LANDLINE.match("0" + national):
        # A landline in international form drops the trunk 0 (+86 21 5555 0000): this is also
        # the stored form, so a stored number normalises to itself.
        return "+86" + national
    raise ValueError("invalid_phone")


def is_mobile(normalized: str) -> bool:
    return normalized.startswith("+86") and bool(CN_MOBILE.match(normalized[3:]))


def national_digits(normalized: str) -> str:
    """The number as people read it: mainland numbers without +86 (landlines with their 0)."""
    if normalized.startswith("+86"):
        rest = normalized[3:]
        return rest if CN_MOBILE.match(rest) else "0" + rest
    return normalized


def phone_tail(normalized: str) -> str:
    return normalized[-4:]


def mask_phone(normalized: str) -> str:
    """``138****5678``: first three and last four digits of the national number."""
    if not normalized:
        return ""
    digits = national_digits(normalized)
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 1)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def normalize_email(raw: str) -> str:
    text = fold_width(raw).strip()
    try:
        validate_email(text)
    except ValidationError as exc:
        raise ValueError("invalid_email") from exc
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def normalize_wechat(raw: str) -> str:
    text = fold_width(raw).strip()
    if WECHAT_ID.match(text):
        return text
    # A WeChat account may also be the bound phone number.
    try:
        return normalize_phone(text)
    except ValueError:
        raise ValueError("invalid_wechat") from None


def mask_generic(value: str) -> str:
    if len(value) <= 2:
        return "*" * len(value)
    return value[:1] + "*" * (len(value) - 2) + value[-1:]


# Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, check digit.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalize_credit_code(raw: str) -> str:
    text = fold_width(raw).strip().upper()
    if len(text) != 18 or any(ch not in _USCC_ALPHABET for ch in text):
        raise ValueError("invalid_credit_code")
    total = sum(
        _USCC_ALPHABET.index(ch) * w for ch, w in zip(text[:17], _USCC_WEIGHTS, strict=True)
    )
    check = (31 - total % 31) % 31
    if _USCC_ALPHABET[check] != text[17]:
        raise ValueError("invalid_credit_code")
    return text


def credit_code_with_check_digit(first17: str) -> str:
    """Complete a 17-character body with its check digit (for demo data and tests)."""
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return first17 + _USCC_ALPHABET[(31 - total % 31) % 31]
