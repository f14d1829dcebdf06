"""Won opportunities as the conversions of marketing metrics, read for the tenant as a whole.

Campaign, journey and attribution metrics count every won opportunity of the
tenant, including those the caller may not read, because a marketer has no
grant on opportunities but needs conversions and revenue. The permission check is
``read`` on ``marketing_metrics`` instead, so callers of this module return
only counts and per-currency sums per campaign, step, branch or attribution
channel, never opportunity ids, names, owners or single amounts.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from zhike.sales.models import Opportunity, PipelineStage
from zhike.security.access import scope_select
from zhike.security.context import system_actor


def won_opportunities(tenant_id: uuid.UUID, *columns: Any) -> Select[Any]:
    """Select ``columns`` of the tenant's won opportunities that have a close day."""
    statement = (
        select(*columns)
        .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
        .where(PipelineStage.is_won.is_(True), Opportunity.closed_on.is_not(None))
    )
    return scope_select(system_actor(tenant_id), Opportunity, statement)
