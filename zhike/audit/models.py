"""The audit trail tables: one row per event, and one chain head per tenant.

Events are never updated. The only removal is the retention purge, which
first moves the tenant's checkpoint past the events it removes, so that the
remaining chain still verifies from the checkpoint onwards.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    """Who did what to which record, linked to the previous event of the tenant by hash."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sequence"),
        Index("ix_audit_events_tenant_id_occurred_at", "tenant_id", "occurred_at"),
        Index(
            "ix_audit_events_tenant_id_object_name_record_id",
            "tenant_id",
            "object_name",
            "record_id",
        ),
        Index("ix_audit_events_tenant_id_actor_id", "tenant_id", "actor_id"),
        Index("ix_audit_events_tenant_id_action", "tenant_id", "action"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # No cascade: a tenant cannot be dropped while its audit trail is still inside retention.
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    sequence: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime]
    # A plain id, not a foreign key: the trail must outlive the user it names.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_kind: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(64))
    object_name: Mapped[str | None] = mapped_column(String(64), default=None)
    record_id: Mapped[str | None] = mapped_column(String(64), default=None)
    changes: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    details: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(512), default=None)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The end of a tenant's chain (appends lock this row) and its retention checkpoint."""

    __tablename__ = "audit_chain_heads"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    last_occurred_at: Mapped[datetime | None] = mapped_column(default=None)
    checkpoint_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    checkpoint_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    checkpoint_at: Mapped[datetime | None] = mapped_column(default=None)


# The guards live next to the tables they protect; importing them here makes sure
# that every path which creates these tables (Alembic, create_all) installs them.
from zhike.audit import guards as _guards  # noqa: E402, F401
