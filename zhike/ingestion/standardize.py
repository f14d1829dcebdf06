"""Chinese-aware normalisation and validation of contact data.

Every write path (API, import, demo) calls these functions through the
service layer, so one rule holds wherever data comes from.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

# GB 32100-2015: the alphabet of the unified social credit code omits I, O, S, V and Z.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11643-1999: weights and check characters of the 18-digit resident ID number.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_EMAIL = re.compile(
    r"^[A-Za-z0-9._%+\-']+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$"
)


class StandardizationError(ValueError):
    """A value that cannot be normalised; ``code`` names the rule it broke."""

    def __init__(self, code: str, value: str, message: str) -> None:
        self.code = code
        self.value = value
        super().__init__(message)


def to_half_width(text: str) -> str:
    """Map full-width ASCII forms (ＡＢＣ１２３＠) to their ordinary characters."""
    return unicodedata.normalize("NFKC", text)


def clean_text(text: str) -> str:
    """Trim, fold full-width forms and collapse runs of white space."""
    if text.isascii():
        # NFKC leaves ASCII unchanged; most cells of an import are ASCII.
        return " ".join(text.split())
    return " ".join(to_half_width(text).split())


# Most numbers in Chinese CRM files are mobiles written as 13812345678, 138-1234-5678,
# +86 138 1234 5678 or 0086 13812345678. Parsing these with phonenumbers costs tens of
# microseconds each, so they are checked against phonenumbers' own CN mobile pattern
# directly; anything else takes the full phonenumbers path. A property test keeps the
# two paths in agreement.
_CN_MOBILE_SHAPE = re.compile(r"^(?:(?:\+|00)86[ -]?)?(1[0-9]{2})[ -]?([0-9]{4})[ -]?([0-9]{4})$")
_CN_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("CN")
assert _CN_METADATA is not None
_CN_MOBILE_PATTERN = re.compile(str(_CN_METADATA.mobile.national_number_pattern))  # type: ignore[union-attr]
_CN_GENERAL_PATTERN = re.compile(str(_CN_METADATA.general_desc.national_number_pattern))  # type: ignore[union-attr]


def fast_cn_mobile(text: str) -> str | None:
    """Return the E.164 form of a plainly written Chinese mobile number, else None."""
    match = _CN_MOBILE_SHAPE.match(text)
    if match is None:
        return None
    national = "".join(match.groups())
    if _CN_MOBILE_PATTERN.fullmatch(national) and _CN_GENERAL_PATTERN.fullmatch(national):
        return "+86" + national
    return None


def normalize_phone(value: str, region: str = "CN") -> str:
    """Return a phone number in E.164, with ``;ext=`` when it has an extension."""
    text = clean_text(value)
    if region == "CN":
        fast = fast_cn_mobile(text)
        if fast is not None:
            return fast
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise StandardizationError(
            "invalid_phone", value, f"invalid phone number {value!r}: {error}"
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise StandardizationError(
            "invalid_phone",
            value,
            f"invalid phone number {value!r}; write an 11-digit mobile number or a landline "
            "with its area code, such as 010-62345678",
        )
    formatted = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if number.extension:
        formatted += f";ext={number.extension}"
    return formatted


def is_mobile(e164: str, region: str = "CN") -> bool:
    number = phonenumbers.parse(e164.split(";")[0], region)
    return phonenumbers.number_type(number) in (
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def normalize_mobile(value: str, region: str = "CN") -> str:
    """Return a mobile number in E.164, rejecting landlines."""
    if region == "CN":
        fast = fast_cn_mobile(clean_text(value))
        if fast is not None:
            return fast
    formatted = normalize_phone(value, region)
    if not is_mobile(formatted, region):
        raise StandardizationError(
            "invalid_mobile", value, f"{value!r} is a landline, not a mobile number"
        )
    return formatted


def normalize_email(value: str) -> str:
    text = clean_text(value).lower()
    if len(text) > 254 or not _EMAIL.match(text):
        raise StandardizationError(
            "invalid_email", value, f"invalid email address {value!r}; write it as name@example.com"
        )
    return text


def normalize_credit_code(value: str) -> str:
    """Validate a unified social credit code (统一社会信用代码) and its check character."""
    code = clean_text(value).upper().replace(" ", "")
    if len(code) != 18 or any(char not in _USCC_ALPHABET for char in code):
        raise StandardizationError(
            "invalid_credit_code",
            value,
            f"invalid unified social credit code {value!r}; it has 18 characters "
            "from digits and capital letters other than I, O, S, V and Z",
        )
    total = sum(
        _USCC_ALPHABET.index(char) * weight
        for char, weight in zip(code, _USCC_WEIGHTS, strict=False)
    )
    expected = _USCC_ALPHABET[(31 - total % 31) % 31]
    if code[17] != expected:
        raise StandardizationError(
            "invalid_credit_code",
            value,
            f"unified social credit code {value!r} fails its check character; check for a typo",
        )
    return code


def credit_code_check_character(first_seventeen: str) -> str:
    total = sum(
        _USCC_ALPHABET.index(char) * weight
        for char, weight in zip(first_seventeen, _USCC_WEIGHTS, strict=False)
    )
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def id_number_check_character(first_seventeen: str) -> str:
    total = sum(
        int(char) * weight for char, weight in zip(first_seventeen, _ID_WEIGHTS, strict=True)
    )
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str) -> str:
    """Validate an 18-digit resident ID number (身份证号): birth date and check digit."""
    number = clean_text(value).upper().replace(" ", "")
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        raise StandardizationError(
            "invalid_id_number",
            value,
            f"invalid resident ID number {value!r}; it has 17 digits and a final digit or X",
        )
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as error:
        raise StandardizationError(
            "invalid_id_number", value, f"resident ID number {value!r} has an impossible birth date"
        ) from error
    if id_number_check_character(number[:17]) != number[17]:
        raise StandardizationError(
            "invalid_id_number",
            value,
            f"resident ID number {value!r} fails its check digit; check for a typo",
        )
    return number
