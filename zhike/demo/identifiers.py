"""Made-up identifiers that pass the same checks real ones must pass."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime

import phonenumbers

from zhike.demo.vocabulary import MOBILE_PREFIXES
from zhike.ingestion.standardize import credit_code_check_character, id_number_check_character

_ORGANIZATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def demo_id(rng: random.Random, created_at: datetime) -> uuid.UUID:
    """A UUIDv7 whose time part is ``created_at`` and whose random part comes from ``rng``.

    The demo is seeded, so its ids are reproducible and still sort by creation time.
    """
    milliseconds = int(created_at.timestamp() * 1000) & ((1 << 48) - 1)
    value = (milliseconds << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64)
    value |= (0b10 << 62) | rng.getrandbits(62)
    return uuid.UUID(int=value)


def organization_code(rng: random.Random) -> str:
    """A nine-character organisation code (GB 11714) with its check character."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    total = sum(
        int(char) * weight for char, weight in zip(body, _ORGANIZATION_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, division_code: str) -> str:
    """A unified social credit code of an enterprise registered in ``division_code``."""
    # "91": registered with the market regulator, as an enterprise.
    first_seventeen = "91" + division_code + organization_code(rng)
    return first_seventeen + credit_code_check_character(first_seventeen)


def resident_id_number(rng: random.Random, division_code: str, birth: date, male: bool) -> str:
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first_seventeen = f"{division_code}{birth:%Y%m%d}{sequence:03d}"
    return first_seventeen + id_number_check_character(first_seventeen)


def mobile_number(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline_number(rng: random.Random, area_code: str) -> str:
    """A landline that the phone-number rules accept; some cities still have seven-digit numbers."""
    for _ in range(50):
        number = f"0{area_code}-{rng.randrange(5, 9)}{rng.randrange(10**7):07d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number, "CN")):
            return number
    return f"0{area_code}-{rng.randrange(2, 9)}{rng.randrange(10**6):06d}"
