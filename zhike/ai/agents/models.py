"""Tables of the agents: runs, their steps, the trace, tool effects, settings and memory.

The state a person sees (which step waits for whom, what was decided and why)
lives here, never only in the job queue, so a lost queue entry or a killed
worker loses nothing: the executor rebuilds its position from these rows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.models import OwnedMixin, RecordMixin
from zhike.core.timeutil import utc_now

RUN_STATUSES = (
    "pending",
    "running",
    "waiting_approval",
    "waiting_person",
    "done",
    "failed",
    "cancelled",
)
FINISHED_RUN_STATUSES = ("done", "failed", "cancelled")
STEP_STATUSES = (
    "pending",
    "running",
    "waiting_approval",
    "waiting_person",
    "done",
    "failed",
    "cancelled",
    "skipped",
)
FINISHED_STEP_STATUSES = ("done", "failed", "cancelled", "skipped")
EXECUTOR_KINDS = ("system", "person", "external")


class AgentRun(RecordMixin, OwnedMixin, Base):
    """One attempt of an agent to reach a goal for the user in ``owner_id``.

    The owner is the user the agent works for: every tool call acts with that
    user's permissions, so a run can never reach more than its owner could.
    """

    __tablename__ = "agent_runs"
    __table_args__ = (
        Index("ix_agent_runs_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_agent_runs_tenant_status", "tenant_id", "status"),
    )

    agent: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(30), default="pending")
    is_dry_run: Mapped[bool] = mapped_column(default=False)
    trigger: Mapped[str] = mapped_column(String(30), default="manual")
    subject_object: Mapped[str | None] = mapped_column(String(50), default=None)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    goal: Mapped[dict[str, Any]] = mapped_column(default=dict)
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outcome: Mapped[dict[str, Any]] = mapped_column(default=dict)
    replan_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(2000), default=None)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # A worker that advances the run holds it until this time; another worker may take
    # it over once the lease has passed, which is how a crashed worker's run resumes.
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    lease_holder: Mapped[str | None] = mapped_column(String(100), default=None)


class AgentStep(Base):
    """One atomic task of a run's plan, with its executor, state and result."""

    __tablename__ = "agent_steps"
    __table_args__ = (
        UniqueConstraint("run_id", "key"),
        UniqueConstraint("idempotency_key"),
        Index("ix_agent_steps_run_position", "run_id", "position"),
        Index("ix_agent_steps_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agent_runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300), default="")
    sub_goal: Mapped[str | None] = mapped_column(String(100), default=None)
    tool: Mapped[str] = mapped_column(String(100))
    fallback_tools: Mapped[list[str]] = mapped_column(default=list)
    executor: Mapped[str] = mapped_column(String(20), default="system")
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    depends_on: Mapped[list[str]] = mapped_column(default=list)
    trigger: Mapped[dict[str, Any]] = mapped_column(default=dict)
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    output: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(30), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    # Stable across retries and restarts: a tool that sees a key it has already
    # completed returns the stored result instead of acting again.
    idempotency_key: Mapped[str] = mapped_column(String(200))
    needs_approval: Mapped[bool] = mapped_column(default=False)
    approval_reason: Mapped[str | None] = mapped_column(String(50), default=None)
    decision: Mapped[str | None] = mapped_column(String(20), default=None)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str | None] = mapped_column(String(2000), default=None)
    # The CRM task a person received for this step; its result flows back into the run.
    activity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"), default=None
    )
    error: Mapped[str | None] = mapped_column(String(2000), default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class AgentTraceEvent(Base):
    """One entry of a run's trace; ``sequence`` orders a run's events for live streams."""

    __tablename__ = "agent_trace_events"
    __table_args__ = (UniqueConstraint("run_id", "sequence"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agent_runs.id", ondelete="CASCADE"))
    step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_steps.id", ondelete="CASCADE"), default=None
    )
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(String(2000), default="")
    # Inputs, outputs and reasons with personal data already masked.
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class AgentToolEffect(Base):
    """The ledger of tool calls by idempotency key, written with the effect itself.

    ``state`` is ``started`` before a call whose effect lies outside the database
    (an email, an external API), then ``done`` with the result. A ``started`` row
    found after a crash means the outside effect may have happened, so the step
    goes to a person instead of being repeated.
    """

    __tablename__ = "agent_tool_effects"
    __table_args__ = (UniqueConstraint("tenant_id", "idempotency_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(200))
    tool: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="done")
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class AgentSetting(RecordMixin, Base):
    """A tenant's configuration of one agent: enabled or not, thresholds and approval rules."""

    __tablename__ = "agent_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "agent"),)

    agent: Mapped[str] = mapped_column(String(50))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AgentObservation(Base):
    """The last value an agent saw for a record, so it can tell a rise from a steady level."""

    __tablename__ = "agent_observations"
    __table_args__ = (UniqueConstraint("tenant_id", "agent", "record_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    agent: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[uuid.UUID] = mapped_column()
    value: Mapped[float] = mapped_column()
    observed_at: Mapped[datetime] = mapped_column(default=utc_now)
