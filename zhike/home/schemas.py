"""API shapes of the home page: one summary per signed-in user."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

HomeScope = Literal["own", "team", "company"]


class Drill(BaseModel):
    """Drill-down target of a chart element: a list with these list-API filters, or one record."""

    object: str = Field(description="object whose list or record to open, e.g. opportunities")
    filters: dict[str, str] = Field(
        default_factory=dict, description="query parameters of the list API, e.g. stage_id=…"
    )
    record_id: uuid.UUID | None = Field(default=None, description="set to open one record")


class TaskItem(BaseModel):
    id: uuid.UUID
    subject: str
    due_at: datetime
    is_overdue: bool
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    lead_id: uuid.UUID | None
    opportunity_id: uuid.UUID | None
    drill: Drill


class TaskPanel(BaseModel):
    """The user's open tasks that are overdue or due within ``horizon_days``."""

    overdue: int
    due_soon: int
    horizon_days: int
    items: list[TaskItem]
    drill: Drill


class Kpi(BaseModel):
    """One figure of the current period next to the same span of the previous period.

    ``previous`` covers as many days of the previous period as have passed in
    the current one, so a month ten days old is compared with the first ten
    days of the month before. ``change`` is (value − previous) / previous, or
    None when previous is zero.
    """

    key: str
    kind: Literal["amount", "count"]
    value: Decimal
    previous: Decimal | None
    change: float | None
    period_start: date | None
    period_end: date | None
    drill: Drill


class FunnelStage(BaseModel):
    stage_id: uuid.UUID
    key: str
    name: str
    count: int
    amount: Decimal | None
    other_currency_count: int = Field(
        0, description="deals in the stage whose currency differs from the tenant's, not in amount"
    )
    drill: Drill


class ForecastMonth(BaseModel):
    month: date
    won: Decimal
    weighted_pipeline: Decimal


class Forecast(BaseModel):
    """Won amount of the fiscal quarter so far plus the open pipeline weighted by probability.

    The weight of an open opportunity is its own probability, else its stage's.
    Open opportunities whose expected close date has already passed count in
    the current month, since they are still expected to close.
    """

    period_start: date
    period_end: date
    target: Decimal | None
    won: Decimal
    weighted_pipeline: Decimal
    forecast: Decimal
    attainment: float | None = Field(description="won / target, None without a target")
    months: list[ForecastMonth]
    drill: Drill


class AtRiskAccount(BaseModel):
    account_id: uuid.UUID
    name: str
    score: float
    label: str | None
    source: str = Field(description="model (a trained version) or rules (cold start)")
    reasons: list[str]
    drill: Drill


class StalledDealItem(BaseModel):
    opportunity_id: uuid.UUID
    name: str
    stage_name: str
    amount: Decimal | None
    days_in_stage: float
    typical_days: float
    reason: str
    drill: Drill


class HomeSummary(BaseModel):
    """Everything the home page shows, limited to what the user may read."""

    scope: HomeScope = Field(description="own records, the user's team tree, or the company")
    currency: str
    today: date
    tasks: TaskPanel | None
    kpis: list[Kpi]
    funnel: list[FunnelStage]
    forecast: Forecast | None
    at_risk: list[AtRiskAccount]
    at_risk_available: bool = Field(description="false until churn risk has scored any account")
    stalled: list[StalledDealItem]
