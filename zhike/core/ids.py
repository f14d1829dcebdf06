"""Sortable identifiers: UUID version 7, whose first 48 bits are the creation time in ms."""

from __future__ import annotations

import uuid

import uuid_utils


def new_id() -> uuid.UUID:
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def parse_id(value: str) -> uuid.UUID | None:
    """Return the UUID in ``value``, or None when it is not a UUID."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


def new_id_hex() -> str:
    """Return a new id as 32 hex digits, the form databases without a UUID type store."""
    return uuid_utils.uuid7().hex
