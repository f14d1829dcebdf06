"""Request and response models of saved reports, schedules and dashboards."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhike.analytics.query import ReportFilter, ReportQuery

DisplayType = Literal["table", "pivot", "chart"]
ChartType = Literal["bar", "line", "pie", "funnel"]
Frequency = Literal["daily", "weekly", "monthly"]
Channel = Literal["email", "in_app"]
FileFormat = Literal["csv", "xlsx"]


class ReportDisplay(BaseModel):
    """Display of a report: a table, a pivot of one dimension across another, or a chart."""

    model_config = ConfigDict(extra="forbid")

    type: DisplayType = "table"
    chart: ChartType | None = Field(default=None, description="needed when type is chart")
    pivot_column: str | None = Field(
        default=None,
        max_length=200,
        description="dimension whose values become columns; needed when type is pivot",
    )

    @model_validator(mode="after")
    def _complete(self) -> ReportDisplay:
        if self.type == "chart" and self.chart is None:
            raise ValueError("a chart display needs chart: bar, line, pie or funnel")
        if self.type == "pivot" and not self.pivot_column:
            raise ValueError("a pivot display needs pivot_column, one of the group-by names")
        return self


class Sharing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[str] = Field(default_factory=list, max_length=50)
    team_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class SavedReportWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    query: ReportQuery
    display: ReportDisplay = Field(default_factory=ReportDisplay)
    sharing: Sharing = Field(default_factory=Sharing)


class SavedReportRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    query: ReportQuery
    display: ReportDisplay
    sharing: Sharing
    owner_id: uuid.UUID | None
    owner_name: str | None
    can_edit: bool = Field(description="true for the owner; everyone it is shared with reads only")
    created_at: datetime
    updated_at: datetime
    version: int


class SavedReportList(BaseModel):
    items: list[SavedReportRead]


class ScheduleWrite(BaseModel):
    """When and how a saved report is delivered; times are in the tenant's time zone."""

    model_config = ConfigDict(extra="forbid")

    recipient_id: uuid.UUID | None = Field(
        default=None, description="user who receives it, with their permissions; default: you"
    )
    frequency: Frequency
    hour: int = Field(default=8, ge=0, le=23, description="local hour of delivery")
    weekday: int = Field(default=0, ge=0, le=6, description="0 is Monday; weekly only")
    day_of_month: int = Field(default=1, ge=1, le=28, description="monthly only")
    channel: Channel = "email"
    file_format: FileFormat = "xlsx"
    is_active: bool = True


class ScheduleRead(BaseModel):
    id: uuid.UUID
    report_id: uuid.UUID
    recipient_id: uuid.UUID
    frequency: Frequency
    hour: int
    weekday: int
    day_of_month: int
    channel: Channel
    file_format: FileFormat
    is_active: bool
    last_delivered_at: datetime | None


class ScheduleList(BaseModel):
    items: list[ScheduleRead]


class AnonymiseOptions(BaseModel):
    """Settings of an anonymised export; see docs/reports.md for the generalisation rules."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(default=5, ge=2, le=1000, description="smallest group size that is kept")


class GlobalFilters(BaseModel):
    """Filters a dashboard applies to every widget that has the matching field."""

    model_config = ConfigDict(extra="forbid")

    period: str | None = Field(
        default=None,
        max_length=30,
        description="relative period, e.g. this_quarter or last_30_days",
    )
    owner_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None


class Widget(BaseModel):
    """One report on a dashboard: a saved report or an inline query, placed on a 12-column grid."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40)
    title: str = Field(default="", max_length=200)
    title_key: str | None = Field(default=None, max_length=100)
    report_id: uuid.UUID | None = None
    query: ReportQuery | None = None
    display: ReportDisplay = Field(default_factory=ReportDisplay)
    date_field: str | None = Field(
        default=None, max_length=200, description="field the period filter applies to"
    )
    x: int = Field(default=0, ge=0, le=11)
    y: int = Field(default=0, ge=0, le=1000)
    width: int = Field(default=6, ge=1, le=12)
    height: int = Field(default=4, ge=1, le=20)

    @model_validator(mode="after")
    def _one_source(self) -> Widget:
        if (self.report_id is None) == (self.query is None):
            raise ValueError("a widget needs exactly one of report_id and query")
        return self


class DashboardWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    widgets: list[Widget] = Field(default_factory=list, max_length=40)
    filters: GlobalFilters = Field(default_factory=GlobalFilters)
    sharing: Sharing = Field(default_factory=Sharing)

    @model_validator(mode="after")
    def _unique_widgets(self) -> DashboardWrite:
        ids = [widget.id for widget in self.widgets]
        if len(ids) != len(set(ids)):
            raise ValueError("widget ids must be unique within a dashboard")
        return self


class DashboardRead(BaseModel):
    id: uuid.UUID
    name: str
    standard_key: str | None
    widgets: list[Widget]
    filters: GlobalFilters
    sharing: Sharing
    owner_id: uuid.UUID | None
    can_edit: bool
    version: int
    updated_at: datetime


class DashboardSummary(BaseModel):
    id: uuid.UUID
    name: str
    standard_key: str | None
    can_edit: bool


class DashboardList(BaseModel):
    items: list[DashboardSummary]


class WidgetRun(BaseModel):
    """The filters to apply to one widget; the dashboard's own are used when left out."""

    model_config = ConfigDict(extra="forbid")

    filters: GlobalFilters | None = None


class DrillRequest(BaseModel):
    """A clicked cell: the report query and the values of its group-by columns in that row."""

    model_config = ConfigDict(extra="forbid")

    query: ReportQuery
    values: list[str | int | float | bool | None] = Field(max_length=5)
    extra_filters: list[ReportFilter] = Field(default_factory=list, max_length=20)
