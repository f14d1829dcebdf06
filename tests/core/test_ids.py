"""Record ids: UUIDv7 values that behave as any other ``uuid.UUID``."""

from __future__ import annotations

import copy
import uuid

from zhike.core.ids import new_id


def test_new_id_is_uuid_version_7() -> None:
    value = new_id()

    assert type(value) is uuid.UUID
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert value.is_safe is uuid.SafeUUID.unknown


def test_new_id_equals_parsed_forms() -> None:
    value = new_id()

    assert uuid.UUID(str(value)) == value
    assert uuid.UUID(bytes=value.bytes) == value
    assert hash(uuid.UUID(value.hex)) == hash(value)
    assert copy.deepcopy(value) == value


def test_new_ids_sort_by_creation() -> None:
    values = [new_id() for _ in range(1000)]

    assert len(set(values)) == 1000
    assert sorted(values) == values
