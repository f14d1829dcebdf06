"""Metadata about objects: custom field definitions and their classification."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.models import RecordMixin

FIELD_TYPES = ("text", "integer", "decimal", "boolean", "date", "datetime", "choice", "money")
CLASSIFICATIONS = ("public", "internal", "sensitive", "highly_sensitive")


class FieldDefinition(RecordMixin, Base):
    """A custom field of an object; its value lives in the record's ``custom`` column."""

    __tablename__ = "field_definitions"
    __table_args__ = (UniqueConstraint("tenant_id", "object_name", "name"),)

    object_name: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(63))
    field_type: Mapped[str] = mapped_column(String(20), default="text")
    label_zh: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    classification: Mapped[str] = mapped_column(String(20), default="internal")
    choices: Mapped[list[str] | None] = mapped_column(default=None)
