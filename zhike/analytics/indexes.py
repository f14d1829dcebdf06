"""Covering indexes for grouped reports on opportunities.

The usual report filters on a stage, groups by owner and a close-date bucket,
and sums the amount. With every column it reads in one index, the database
answers it from the index alone (an index-only scan) without touching the
table rows. ``deleted_at`` is in the index because every report excludes
deleted records.
"""

from __future__ import annotations

from sqlalchemy import Index

from zhike.sales.models import Opportunity

STAGE_OWNER_CLOSE = Index(
    "ix_opportunities_report_stage_owner_close",
    Opportunity.tenant_id,
    Opportunity.stage_id,
    Opportunity.deleted_at,
    Opportunity.owner_id,
    Opportunity.closed_on,
    Opportunity.amount,
)
