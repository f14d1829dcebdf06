"""Columns every tenant-owned record carries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now


class RecordMixin:
    """Identity, tenancy, timestamps, version, soft delete and custom field values."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)

    @declared_attr
    @classmethod
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)

    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)

    @declared_attr.directive
    @classmethod
    def __mapper_args__(cls) -> dict[str, Any]:
        # The ORM adds "AND version = :old" to every UPDATE, so two writers that read
        # the same version cannot both succeed even if the service check races.
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class OwnedMixin:
    """A record with an owning user, used by record-level access rules."""

    @declared_attr
    @classmethod
    def owner_id(cls) -> Mapped[uuid.UUID | None]:
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None)


class ExternalIdMixin:
    """The id a record has in the system it was imported from; upserts match on it."""

    external_id: Mapped[str | None] = mapped_column(default=None)
    source: Mapped[str | None] = mapped_column(default=None)
