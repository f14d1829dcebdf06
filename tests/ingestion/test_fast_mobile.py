"""The fast path for Chinese mobile numbers agrees with phonenumbers."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from zhike.ingestion.standardize import clean_text, fast_cn_mobile

separators = st.sampled_from(["", " ", "-"])
prefixes = st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "86"])


@settings(max_examples=3000, deadline=None)
@given(
    prefix=prefixes,
    digits=st.text("0123456789٠１", min_size=11, max_size=11),
    first=separators,
    second=separators,
)
def test_fast_path_agrees_with_phonenumbers(
    prefix: str, digits: str, first: str, second: str
) -> None:
    text = clean_text(f"{prefix}{digits[:3]}{first}{digits[3:7]}{second}{digits[7:]}")
    fast = fast_cn_mobile(text)
    if fast is None:
        return
    number = phonenumbers.parse(text, "CN")
    assert phonenumbers.is_valid_number(number)
    assert phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == fast


@settings(max_examples=2000, deadline=None)
@given(digits=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_valid_mobiles_take_the_fast_path(digits: str) -> None:
    number = phonenumbers.parse(digits, "CN")
    expected = phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    assert (fast_cn_mobile(digits) is not None) == expected
