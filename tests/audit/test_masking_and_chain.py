"""Masking helpers and the canonical form that the hash is computed over."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from zhike.audit.chain import canonical_json, event_document, hash_document, to_json_value
from zhike.security.masking import (
    MaskKind,
    detect_kind,
    mask_bank_card,
    mask_email,
    mask_id_number,
    mask_mobile,
    mask_value,
)


class TestMasking:
    def test_mobile_keeps_prefix_and_last_four(self) -> None:
        assert mask_mobile("13812345678") == "138****5678"
        assert mask_mobile("+86 138 1234 5678") == "138****5678"

    def test_id_number_keeps_first_three_and_last_four(self) -> None:
        assert mask_id_number("110101199003071234") == "110***********1234"

    def test_email_keeps_first_character_and_domain(self) -> None:
        assert mask_email("zhang.san@example.com") == "z***@example.com"

    def test_bank_card_keeps_last_four(self) -> None:
        assert mask_bank_card("6222 0212 3456 7890 123") == "***************0123"

    @pytest.mark.parametrize(
        ("value", "kind", "masked"),
        [
            ("13812345678", MaskKind.MOBILE, "138****5678"),
            ("11010119900307123X", MaskKind.ID_NUMBER, "110***********123X"),
            ("li@example.cn", MaskKind.EMAIL, "l***@example.cn"),
            ("6222021234567890", MaskKind.BANK_CARD, "************7890"),
            ("张三丰", MaskKind.TEXT, "张**"),
        ],
    )
    def test_auto_detects_the_shape(self, value: str, kind: MaskKind, masked: str) -> None:
        assert detect_kind(value) is kind
        assert mask_value(value) == masked

    def test_choice_is_masked_whole(self) -> None:
        assert mask_value("female", MaskKind.CHOICE) == "***"
        assert mask_value("m", MaskKind.CHOICE) == "***"
        assert mask_value(["vip", "partner"], MaskKind.CHOICE) == "***"
        assert mask_value(None, MaskKind.CHOICE) is None

    def test_empty_values_stay_empty(self) -> None:
        assert mask_value(None) is None
        assert mask_value("") == ""

    def test_numbers_are_masked_through_their_text(self) -> None:
        assert mask_value(Decimal("35000.00"), MaskKind.TEXT) == "3*******"


class TestCanonicalForm:
    def test_members_sorted_by_utf16_code_units_without_whitespace(self) -> None:
        # U+1F600 sorts before U+FF21 in UTF-16 (a surrogate 0xD83D < 0xFF21), not by code point.
        value = {"b": 1, "a": [True, None, "x"], "\uff21": 2, "\U0001f600": 3}
        assert canonical_json(value) == '{"a":[true,null,"x"],"b":1,"\U0001f600":3,"\uff21":2}'

    def test_strings_escaped_minimally_and_written_as_utf8(self) -> None:
        assert canonical_json('客户"\\\n\x01') == '"客户\\"\\\\\\n\\u0001"'

    def test_values_are_normalised_to_strings_and_integers(self) -> None:
        when = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        normalised = to_json_value(
            {"amount": Decimal("12.50"), "ratio": 0.25, "at": when, "big": 2**60, "nul": "a\x00b"}
        )
        assert normalised == {
            "amount": "12.50",
            "ratio": "0.25",
            "at": "2026-03-01T08:00:00.000000Z",
            "big": "1152921504606846976",
            "nul": "a\ufffdb",
        }

    def test_hash_is_sha256_of_the_documented_canonical_bytes(self) -> None:
        document = event_document(
            event_id=uuid.UUID("01900000-0000-7000-8000-000000000001"),
            tenant_id=uuid.UUID("01900000-0000-7000-8000-0000000000aa"),
            sequence=1,
            occurred_at=datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC),
            actor_id=None,
            actor_kind="system",
            action="record.update",
            object_name="contact",
            record_id="r1",
            changes={"mobile": ["138****5678", "139****0000"]},
            details=None,
            ip="127.0.0.1",
            user_agent=None,
            previous_hash="0" * 64,
        )
        expected = (
            '{"action":"record.update","actor_id":null,"actor_kind":"system",'
            '"changes":{"mobile":["138****5678","139****0000"]},"details":null,'
            '"id":"01900000-0000-7000-8000-000000000001","ip":"127.0.0.1","object_name":"contact",'
            '"occurred_at":"2026-03-01T08:00:00.123456Z","previous_hash":"' + "0" * 64 + '",'
            '"record_id":"r1","sequence":1,"tenant_id":"01900000-0000-7000-8000-0000000000aa",'
            '"user_agent":null}'
        )
        assert canonical_json(document) == expected
        assert hash_document(document) == hashlib.sha256(expected.encode("utf-8")).hexdigest()

    def test_floats_have_no_canonical_form(self) -> None:
        with pytest.raises(TypeError, match="float has no canonical JSON form"):
            canonical_json({"x": 0.5})
