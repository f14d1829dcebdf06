"""Sales targets (quotas): the won amount a person, a team or the company should reach per quarter.

A target belongs to one quarter of the tenant's fiscal calendar, named by the
quarter's first day. It is set for a user, for a team, or for the whole company
(neither user nor team). Administrators write targets. Reading follows the
reader's data scope on opportunities, because a target is measured against those
deals: with the company scope every target, otherwise the company's target, the
targets of the reader's team and the teams above it, and the personal targets of
the users whose deals the scope opens (the reader alone with the own scope, the
team's members with department, and with department_tree also the teams below,
whose team targets are readable too). A role without read on opportunities reads none.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, ForeignKey, Index, Select, String, and_, false, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from zhike.analytics.periods import EARLIEST_DAY, LATEST_DAY
from zhike.audit.service import record_event
from zhike.core.db import Base
from zhike.core.errors import NotFound, ValidationFailed
from zhike.core.models import RecordMixin
from zhike.core.money import normalize_currency
from zhike.core.timeutil import utc_now
from zhike.platform.normalize import field_error
from zhike.security.access import grant_for, owner_condition, scope_select
from zhike.security.admin import require_administrator
from zhike.security.context import Actor
from zhike.security.models import Team, Tenant, User

FISCAL_YEAR_SETTING = "fiscal_year_start_month"


class SalesTarget(RecordMixin, Base):
    """The won amount expected of a user, a team or the company in one fiscal quarter."""

    __tablename__ = "sales_targets"
    __table_args__ = (Index("ix_sales_targets_period", "tenant_id", "period_start"),)

    period_start: Mapped[date]
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), default=None
    )
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="CNY")


class TargetWrite(BaseModel):
    """A target to create or replace; the same quarter and subject replaces the stored one."""

    model_config = ConfigDict(extra="forbid")

    period_start: date = Field(description="first day of a fiscal quarter, e.g. 2026-10-01")
    user_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    amount: Decimal = Field(ge=0, max_digits=18, decimal_places=2)
    currency: str | None = Field(default=None, description="ISO 4217; the tenant's by default")

    @model_validator(mode="after")
    def _one_subject(self) -> TargetWrite:
        if self.user_id is not None and self.team_id is not None:
            raise ValueError("give user_id or team_id, not both; neither sets the company target")
        return self


class TargetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    period_start: date
    user_id: uuid.UUID | None
    team_id: uuid.UUID | None
    amount: Decimal
    currency: str
    version: int


def fiscal_start_month(session: Session, tenant_id: uuid.UUID) -> int:
    tenant = session.get(Tenant, tenant_id)
    raw = (tenant.settings or {}).get(FISCAL_YEAR_SETTING, 1) if tenant is not None else 1
    return raw if isinstance(raw, int) and 1 <= raw <= 12 else 1


def quarter_start(day: date, start_month: int) -> date:
    """Return the first day of the fiscal quarter that contains ``day``."""
    offset = (day.month - start_month) % 3
    index = day.year * 12 + day.month - 1 - offset
    return date(index // 12, index % 12 + 1, 1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def list_targets(
    session: Session, actor: Actor, period_start: date | None = None
) -> list[SalesTarget]:
    """Return the targets the actor may read, oldest quarter first (see the module docstring)."""
    statement = _readable(actor, scope_select(actor, SalesTarget, select(SalesTarget)))
    if period_start is not None:
        statement = statement.where(SalesTarget.period_start == period_start)
    return list(session.scalars(statement.order_by(SalesTarget.period_start, SalesTarget.id)))


def _readable(actor: Actor, statement: Select[tuple[SalesTarget]]) -> Select[tuple[SalesTarget]]:
    grant = grant_for(actor, "opportunities")
    if grant is None or "read" not in grant.actions:
        return statement.where(false())
    if grant.scope == "company":
        return statement
    teams = set(actor.team_path)
    if grant.scope == "department_tree":
        teams.update(actor.team_subtree)
    personal: ColumnElement[bool] = and_(
        SalesTarget.user_id.is_not(None), owner_condition(actor, grant, SalesTarget.user_id)
    )
    company = and_(SalesTarget.user_id.is_(None), SalesTarget.team_id.is_(None))
    conditions = [company, personal]
    if teams:
        conditions.append(SalesTarget.team_id.in_(teams))
    return statement.where(or_(*conditions))


def _check(session: Session, actor: Actor, data: TargetWrite) -> dict[str, Any]:
    errors = []
    start_month = fiscal_start_month(session, actor.tenant_id)
    if not EARLIEST_DAY <= data.period_start <= LATEST_DAY:
        errors.append(
            field_error(
                actor,
                "period_start",
                data.period_start.isoformat(),
                "date_out_of_range",
                minimum=EARLIEST_DAY.isoformat(),
                maximum=LATEST_DAY.isoformat(),
            )
        )
    elif quarter_start(data.period_start, start_month) != data.period_start:
        errors.append(
            field_error(
                actor,
                "period_start",
                data.period_start.isoformat(),
                "target_not_quarter_start",
                expected=quarter_start(data.period_start, start_month).isoformat(),
            )
        )
    currency = data.currency or actor.currency
    try:
        currency = normalize_currency(currency)
    except ValueError:
        errors.append(field_error(actor, "currency", currency, "invalid_currency"))
    for name, model in (("user_id", User), ("team_id", Team)):
        value = getattr(data, name)
        if value is None:
            continue
        found = session.scalar(
            scope_select(actor, model, select(model.id)).where(model.id == value)
        )
        if found is None:
            errors.append(field_error(actor, name, str(value), "reference_not_found"))
    if errors:
        raise ValidationFailed(errors)
    return {
        "period_start": data.period_start,
        "user_id": data.user_id,
        "team_id": data.team_id,
        "amount": data.amount,
        "currency": currency,
    }


def save_target(session: Session, actor: Actor, data: TargetWrite) -> SalesTarget:
    """Create the target of a quarter and subject, or replace its amount. Audited."""
    require_administrator(actor)
    values = _check(session, actor, data)
    statement = scope_select(actor, SalesTarget, select(SalesTarget)).where(
        SalesTarget.period_start == values["period_start"],
        _matches(SalesTarget.user_id, values["user_id"]),
        _matches(SalesTarget.team_id, values["team_id"]),
    )
    target = session.scalar(statement)
    before = None if target is None else str(target.amount)
    if target is None:
        target = SalesTarget(tenant_id=actor.tenant_id, **values)
        session.add(target)
    else:
        target.amount = values["amount"]
        target.currency = values["currency"]
    session.flush()
    record_event(
        session,
        actor,
        "config.change",
        object_name="sales_targets",
        record_id=target.id,
        changes={"amount": [before, str(target.amount)]},
        details={
            "period_start": target.period_start.isoformat(),
            "user_id": str(target.user_id) if target.user_id else None,
            "team_id": str(target.team_id) if target.team_id else None,
        },
    )
    return target


def _matches(column: Any, value: uuid.UUID | None) -> Any:
    return column.is_(None) if value is None else column == value


def delete_target(session: Session, actor: Actor, target_id: uuid.UUID) -> None:
    require_administrator(actor)
    target = session.scalar(
        scope_select(actor, SalesTarget, select(SalesTarget)).where(SalesTarget.id == target_id)
    )
    if target is None:
        raise NotFound("record_not_found", object="sales_targets", id=str(target_id))
    target.deleted_at = utc_now()
    session.flush()
    record_event(
        session,
        actor,
        "config.change",
        object_name="sales_targets",
        record_id=target.id,
        changes={"amount": [str(target.amount), None]},
        details={"deleted": True, "period_start": target.period_start.isoformat()},
    )


def target_amount(
    session: Session,
    actor: Actor,
    period_start: date,
    *,
    user_ids: tuple[uuid.UUID, ...],
    team_ids: tuple[uuid.UUID, ...],
    company: bool,
) -> Decimal | None:
    """Return the target of a subject for one quarter, in the tenant's currency, or None.

    The most specific target set wins: the company's own target, else its teams'
    (or the given team's) target, else the sum of the given users' targets.
    """
    targets = [
        target
        for target in list_targets(session, actor, period_start)
        if target.currency == actor.currency
    ]
    if company:
        own = [target.amount for target in targets if not target.user_id and not target.team_id]
        if own:
            return own[0]
        top_teams = [
            target.amount
            for target in targets
            if target.team_id is not None and _is_top_team(session, actor, target.team_id)
        ]
        if top_teams:
            return sum(top_teams, Decimal(0))
    team_targets = [target.amount for target in targets if target.team_id in team_ids[:1]]
    if team_targets and not company:
        return team_targets[0]
    user_targets = [target.amount for target in targets if target.user_id in user_ids]
    if user_targets:
        return sum(user_targets, Decimal(0))
    return None


def _is_top_team(session: Session, actor: Actor, team_id: uuid.UUID) -> bool:
    team = session.get(Team, team_id)
    return team is not None and team.tenant_id == actor.tenant_id and team.parent_id is None
