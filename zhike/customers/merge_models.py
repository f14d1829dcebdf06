"""The duplicate review queue and the merge records that make a merge reversible."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now


class DuplicateCandidate(Base):
    """A pair of records the matcher thinks may be one customer, waiting for a decision.

    The pair is stored in id order, so a pair has one row in whatever order a scan
    finds it. A rejected row stays, because it is what keeps the pair out of later scans.
    """

    __tablename__ = "duplicate_candidates"
    __table_args__ = (
        Index(
            "ix_duplicate_candidates_pair",
            "tenant_id",
            "object_name",
            "first_id",
            "second_id",
            unique=True,
        ),
        Index("ix_duplicate_candidates_status", "tenant_id", "status", "score"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    object_name: Mapped[str] = mapped_column(String(40))
    first_id: Mapped[uuid.UUID]
    second_id: Mapped[uuid.UUID]
    score: Mapped[float]
    matched_fields: Mapped[list[str]] = mapped_column(default=list)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    # open, merged or rejected.
    status: Mapped[str] = mapped_column(String(20), default="open")
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    merge_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class RecordMerge(Base):
    """Everything a merge changed, kept so that an unmerge can put it back exactly.

    ``survivor_before`` contains the survivor's columns the merge overwrote (only those),
    ``merged_snapshot`` every column of the retired record, and ``repointed`` each
    related row moved to the survivor as ``{"table", "column", "row_id"}``.
    """

    __tablename__ = "record_merges"
    __table_args__ = (
        Index("ix_record_merges_survivor", "tenant_id", "object_name", "survivor_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    object_name: Mapped[str] = mapped_column(String(40))
    survivor_id: Mapped[uuid.UUID]
    merged_id: Mapped[uuid.UUID] = mapped_column(index=True)
    candidate_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    survivor_before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    survivor_after: Mapped[dict[str, Any]] = mapped_column(default=dict)
    merged_snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    field_choices: Mapped[dict[str, Any]] = mapped_column(default=dict)
    repointed: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # Links and identities moved from the retired record's global customer to the
    # survivor's, so that an unmerge can move them back (see identity_merge).
    identity_changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    merged_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    merged_at: Mapped[datetime] = mapped_column(default=utc_now)
    unmerged_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    unmerged_at: Mapped[datetime | None] = mapped_column(default=None)
