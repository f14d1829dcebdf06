"""A tenant's data-quality rule set for one object, stored when it differs from the built-in one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now


class QualityRuleSet(Base):
    """The rules that score one object's records. Without a row the built-in rules apply."""

    __tablename__ = "quality_rule_sets"
    __table_args__ = (
        Index("ix_quality_rule_sets_object", "tenant_id", "object_name", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    object_name: Mapped[str] = mapped_column(String(40))
    # The rules as QualityRuleSetWrite dumps them in JSON mode.
    rules: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class QualityScoreState(Base):
    """When a tenant's stored scores of one object were last recomputed, and under which rules.

    The fingerprint of the rules in force at that time tells whether the stored scores
    predate a rule change, including a change of the built-in rules in a new release.
    """

    __tablename__ = "quality_score_states"
    __table_args__ = (
        Index("ix_quality_score_states_object", "tenant_id", "object_name", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    object_name: Mapped[str] = mapped_column(String(40))
    rules_fingerprint: Mapped[str] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)
