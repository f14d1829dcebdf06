"""Demo sales targets for the current and the previous fiscal quarter.

Without targets the home page and the pipeline dashboard show no attainment.
Each rep gets a target. A regional team's target is the sum of its reps', the
sales centre's is the sum of its regions', and the company's equals the sales
centre's. So every level adds up the way a sales director would set them.
Customer service and marketing sell nothing and get no target.

The rows go through the demo writer in one batch: a service call per target
would audit each of the few dozen rows for no benefit to a demo.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from zhike.core.timeutil import load_zone
from zhike.demo.context import DemoContext
from zhike.demo.vocabulary import REGIONS
from zhike.sales.quotas import SalesTarget, add_months, fiscal_start_month, quarter_start
from zhike.security.models import Team

# A rep's quarterly target in yuan, 500,000 to 900,000 in steps of 50,000. The demo's
# reps win roughly 600,000 a quarter (estimate from one run), so attainment varies around 100 %.
_REP_TARGET_STEPS = range(10, 19)
_STEP = Decimal(50_000)


def build_targets(context: DemoContext) -> None:
    session, actor = context.session, context.actor
    rng = context.rng("targets")
    teams = list(session.scalars(select(Team).where(Team.tenant_id == actor.tenant_id)))
    regional = {team.region: team for team in teams if team.region in REGIONS}
    centre_ids = {team.parent_id for team in regional.values()}
    centre_id = next(iter(centre_ids)) if len(centre_ids) == 1 else None
    current = quarter_start(context.today, fiscal_start_month(session, actor.tenant_id))
    zone = load_zone(context.zone_name)

    def add(
        period_start: date,
        amount: Decimal,
        user_id: uuid.UUID | None = None,
        team_id: uuid.UUID | None = None,
    ) -> None:
        # Set in the planning week before the quarter begins.
        created = datetime.combine(period_start - timedelta(days=7), time(10), tzinfo=zone)
        context.add(
            SalesTarget,
            {
                "id": context.new_id(rng, created.astimezone(UTC)),
                "period_start": period_start,
                "user_id": user_id,
                "team_id": team_id,
                "amount": amount,
                "currency": actor.currency,
            },
            created.astimezone(UTC),
        )

    for period_start in (add_months(current, -3), current):
        company = Decimal(0)
        for region in REGIONS:
            team = regional.get(region)
            if team is None:
                continue
            team_total = Decimal(0)
            for rep_id in context.reps_by_region.get(region, []):
                amount = rng.choice(_REP_TARGET_STEPS) * _STEP
                team_total += amount
                add(period_start, amount, user_id=rep_id)
            add(period_start, team_total, team_id=team.id)
            company += team_total
        if centre_id is not None:
            add(period_start, company, team_id=centre_id)
        add(period_start, company)
    context.writer.flush()
