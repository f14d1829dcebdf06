"""Masking of personal data for display, logs and the audit trail.

The shapes follow common practice in Chinese business software: a mobile
number keeps its carrier prefix and last four digits, a resident ID number
its region digits and last four, an email its first character and domain, a
bank card its last four digits. A choice (picklist) value is replaced whole by
``***``, because any part of a short coded value such as ``female`` gives it
away. Field-level security and the audit log share these functions, so a value
looks the same wherever it is masked.
"""

from __future__ import annotations

import re
from enum import StrEnum

MASK = "*"
# The mask of a whole choice value. Its fixed length gives no hint of the value either.
CHOICE_MASK = MASK * 3

_MOBILE = re.compile(r"^(?:\+?86[- ]?)?(1\d{2})[- ]?(\d{4})[- ]?(\d{4})$")
_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")
_BANK_CARD = re.compile(r"^\d{12,19}$")


class MaskKind(StrEnum):
    """How a sensitive value is masked; ``auto`` recognises the value's shape."""

    AUTO = "auto"
    MOBILE = "mobile"
    ID_NUMBER = "id_number"
    EMAIL = "email"
    BANK_CARD = "bank_card"
    CHOICE = "choice"
    TEXT = "text"


def mask_mobile(value: str) -> str:
    """``13812345678`` → ``138****5678``; other phone numbers keep only their last four digits."""
    text = value.strip()
    match = _MOBILE.match(text)
    if match:
        return f"{match.group(1)}{MASK * 4}{match.group(3)}"
    digits = re.sub(r"\D", "", text)
    if len(digits) <= 4:
        return MASK * len(text)
    return MASK * (len(digits) - 4) + digits[-4:]


def mask_id_number(value: str) -> str:
    """``110101199003071234`` → ``110***********1234`` (first three and last four kept)."""
    text = value.strip()
    if len(text) <= 7:
        return MASK * len(text)
    return text[:3] + MASK * (len(text) - 7) + text[-4:]


def mask_email(value: str) -> str:
    """``zhang.san@example.com`` → ``z***@example.com``; the domain stays readable."""
    text = value.strip()
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return mask_text(text)
    return f"{local[0]}{MASK * 3}@{domain}"


def mask_bank_card(value: str) -> str:
    """Keep only the last four digits: ``6222021234567890123`` → ``***************0123``."""
    digits = re.sub(r"[\s-]", "", value.strip())
    if len(digits) <= 4:
        return MASK * len(digits)
    return MASK * (len(digits) - 4) + digits[-4:]


def mask_choice(value: str) -> str:
    """``female`` → ``***``: nothing of a choice's key or label stays readable."""
    return CHOICE_MASK


def mask_text(value: str) -> str:
    """Keep the first character only (for names, addresses and anything unrecognised)."""
    text = value.strip()
    if len(text) <= 1:
        return MASK * len(text)
    return text[0] + MASK * min(len(text) - 1, 8)


def detect_kind(value: str) -> MaskKind:
    """Guess how to mask ``value`` from its shape alone."""
    text = value.strip()
    compact = re.sub(r"[\s-]", "", text)
    if _MOBILE.match(text):
        return MaskKind.MOBILE
    if _ID_NUMBER.match(compact) and len(compact) == 18:
        return MaskKind.ID_NUMBER
    if "@" in text:
        return MaskKind.EMAIL
    if _BANK_CARD.match(compact):
        return MaskKind.BANK_CARD
    return MaskKind.TEXT


_MASKERS = {
    MaskKind.MOBILE: mask_mobile,
    MaskKind.ID_NUMBER: mask_id_number,
    MaskKind.EMAIL: mask_email,
    MaskKind.BANK_CARD: mask_bank_card,
    MaskKind.CHOICE: mask_choice,
    MaskKind.TEXT: mask_text,
}


def mask_value(value: object, kind: MaskKind | str = MaskKind.AUTO) -> object:
    """Mask one value; ``None`` stays ``None`` so that "was empty" remains visible.

    Non-text values (numbers, dates, lists) are masked through their text form,
    because a sensitive number such as a salary must not leak either.
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if text == "":
        return ""
    resolved = MaskKind(kind)
    if resolved is MaskKind.CHOICE:
        # A multiple choice is a list; masking it whole hides how many options were picked.
        return CHOICE_MASK
    if resolved is MaskKind.AUTO:
        resolved = detect_kind(text)
    return _MASKERS[resolved](text)
