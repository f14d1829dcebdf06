"""Differentially private reports: Laplace noise and a per-tenant privacy budget.

A private report may only count rows and sum clipped values: those are the
measures whose sensitivity (how much one record can change them) is known,
1 for a count and the clip bound for a sum. Groups are disjoint, so one
query's loss is its epsilon however many groups it returns; measures of the
same query share it evenly.

The budget is a monthly allowance of epsilon per tenant, in the tenant's
time zone. Every private query is written to a ledger before its result
leaves, so the spend survives a restart and shows up in the audit log. The
group keys themselves are not hidden: a private report protects how much,
not whether a group exists.
"""

from __future__ import annotations

import math
import secrets
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from zhike.analytics.compile import CENT
from zhike.analytics.periods import local_midnight_utc, local_today
from zhike.analytics.query import PrivacySpent, ReportQuery
from zhike.audit.service import record_event
from zhike.core.db import Base
from zhike.core.errors import Conflict, InvalidInput
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.security.context import Actor
from zhike.security.models import Tenant

DEFAULT_MONTHLY_BUDGET = 5.0
SETTINGS_KEY = "analytics_privacy_budget"


class PrivacySpend(Base):
    """One private query's share of the tenant's privacy budget."""

    __tablename__ = "analytics_privacy_spend"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    object_name: Mapped[str] = mapped_column(String(50))
    epsilon: Mapped[float] = mapped_column()
    spent_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


def check_private_query(query: ReportQuery) -> None:
    """Refuse what a private report cannot protect, naming the measure and the fix."""
    if query.compare_previous:
        raise InvalidInput("report_private_measure", measure="compare_previous")
    for measure in query.measures:
        plain_count = measure.aggregate == "count" and measure.field is None
        clipped_sum = measure.aggregate == "sum" and measure.clip is not None
        if not (plain_count or clipped_sum):
            raise InvalidInput("report_private_measure", measure=measure.name)


def monthly_budget(tenant: Tenant) -> float:
    value = (tenant.settings or {}).get(SETTINGS_KEY, DEFAULT_MONTHLY_BUDGET)
    return float(value)


def _month_start(tenant: Tenant) -> datetime:
    today = local_today(tenant.timezone)
    return local_midnight_utc(date(today.year, today.month, 1), tenant.timezone)


def spent_this_month(session: Session, tenant: Tenant) -> float:
    total = session.scalar(
        select(func.coalesce(func.sum(PrivacySpend.epsilon), 0.0)).where(
            PrivacySpend.tenant_id == tenant.id, PrivacySpend.spent_at >= _month_start(tenant)
        )
    )
    return float(total or 0.0)


def charge(session: Session, actor: Actor, query: ReportQuery) -> PrivacySpent:
    """Take the query's epsilon from this month's budget, or refuse with 409."""
    assert query.privacy is not None
    tenant = session.get(Tenant, actor.tenant_id, with_for_update=True)
    assert tenant is not None
    budget = monthly_budget(tenant)
    spent = spent_this_month(session, tenant)
    epsilon = query.privacy.epsilon

    if spent + epsilon > budget + 1e-9:
        raise Conflict(
            "report_privacy_budget_spent",
            epsilon=epsilon,
            remaining=round(max(0.0, budget - spent), 4),
            budget=budget,
        )

    session.add(
        PrivacySpend(
            tenant_id=actor.tenant_id,
            user_id=actor.user_id,
            object_name=query.object,
            epsilon=epsilon,
        )
    )
    record_event(
        session,
        actor,
        "report.private",
        object_name="reports",
        details={"object": query.object, "epsilon": epsilon},
    )
    session.flush()
    return PrivacySpent(epsilon=epsilon, budget_remaining=round(budget - spent - epsilon, 4))


def _laplace(scale: float) -> float:
    # Inverse transform from the operating system's randomness: a seeded or
    # predictable generator would let an analyst subtract the noise again.
    uniform = (secrets.randbits(53) + 0.5) / 2**53 - 0.5
    return -scale * math.copysign(1.0, uniform) * math.log(1 - 2 * abs(uniform))


def add_noise(query: ReportQuery, rows: list[list[Any]], group_count: int) -> list[list[Any]]:
    """Add Laplace noise to each measure of each row; counts stay whole and not below zero."""
    assert query.privacy is not None
    share = query.privacy.epsilon / len(query.measures)
    noisy = []
    for row in rows:
        values = list(row)
        for index, measure in enumerate(query.measures):
            position = group_count + index
            if measure.aggregate == "count":
                values[position] = max(0, round(int(values[position] or 0) + _laplace(1 / share)))
            else:
                assert measure.clip is not None
                scale = float(measure.clip) / share
                cell = values[position]
                if isinstance(cell, dict):
                    # One sum per currency; a record adds to only one of them.
                    values[position] = {
                        code: _noisy_sum(total, scale) for code, total in cell.items()
                    }
                else:
                    values[position] = _noisy_sum(cell, scale)
        noisy.append(values)
    return noisy


def _noisy_sum(total: Any, scale: float) -> Decimal:
    noisy = Decimal(str(total or 0)) + Decimal(repr(_laplace(scale)))
    return noisy.quantize(CENT)
