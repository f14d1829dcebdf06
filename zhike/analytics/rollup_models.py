"""The opportunity rollup: counts and amount sums by tenant, owner, stage, currency and month.

Grouped reports on opportunities read this table instead of the opportunities
when every part of the query can be computed from its columns (see
``rollup_query.py``). Database triggers on ``opportunities`` keep it exact in
the same transaction as every insert, update and delete (see
``rollup_triggers.py``). They fire whichever path writes: the service layer,
imports, bulk updates or merges. Soft-deleted opportunities are not counted.

A row exists only while it counts at least one opportunity: the triggers delete
a row whose count falls to zero, so a group of a report appears exactly when
the base table holds a row for it.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base


class OpportunityRollup(Base):
    """Opportunities of one tenant x owner x stage x currency x close month, and their amounts.

    The grain is a month, not a day, so that a two-year report reads about
    thirty rows per owner and stage. Reports that need days (day or week
    buckets, ranges that do not start and end on the first of a month) read
    the opportunities instead.

    ``bucket_key`` joins the grouping columns into one text (with ``-`` for an
    empty owner or close month) because a unique constraint treats NULLs as
    distinct, and the additive upsert of the triggers needs one conflict target.
    The table has no foreign keys on purpose: deleting a tenant or a user
    cascades to the opportunities, and the triggers must be free to move the
    counts of those rows in any order the database applies the cascades.
    """

    __tablename__ = "opportunity_rollups"
    __table_args__ = (Index("ix_opportunity_rollups_tenant_month", "tenant_id", "closed_month"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    bucket_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    stage_id: Mapped[uuid.UUID] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    # The first day of the month of ``closed_on``; None while the opportunity is open.
    closed_month: Mapped[date | None] = mapped_column(default=None)
    record_count: Mapped[int] = mapped_column(BigInteger, default=0)
    # Rows whose amount is set: the divisor of an average, and whether a sum is empty.
    amount_count: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_sum: Mapped[Decimal] = mapped_column(default=Decimal(0))


# The triggers live next to the table they maintain; importing them here makes sure
# that every path which creates the table (Alembic, create_all) installs them.
from zhike.analytics import rollup_triggers as _triggers  # noqa: E402, F401
