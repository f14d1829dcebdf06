"""Typed shapes of goals, plans and tasks, and of the agent API.

A plan is plain data (JSON in ``agent_runs.plan``), so a plan proposed by a
language model passes through exactly the same validation as a template's.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ExecutorKind = Literal["system", "person", "external"]
ConditionOperator = Literal["always", "truthy", "falsy", "eq", "ne", "gte", "lte"]
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,79}$"


class Criterion(BaseModel):
    """A success criterion: a step that must end done, optionally with an output value."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    description: str = Field(max_length=300)
    step: str = Field(pattern=KEY_PATTERN, description="key of the step whose result decides")
    alternatives: list[str] = Field(
        default_factory=list, max_length=10, description="other steps, any of which also counts"
    )
    field: str | None = Field(default=None, max_length=100, description="output field to check")
    expected: Any = Field(default=None, description="value the field must have; None: not empty")


class SubGoal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(max_length=300)
    priority: int = Field(ge=1, le=5, description="1 is the most urgent")
    deadline: datetime | None = None
    success_criteria: list[Criterion] = Field(default_factory=list, max_length=20)


class Goal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: str
    title: str = Field(max_length=300)
    subject_object: str | None = None
    subject_id: uuid.UUID | None = None
    deadline: datetime | None = None
    sub_goals: list[SubGoal] = Field(default_factory=list, max_length=50)


class Condition(BaseModel):
    """When a step whose dependencies are finished should run; otherwise it is skipped."""

    model_config = ConfigDict(extra="forbid")

    operator: ConditionOperator = "always"
    path: str | None = Field(
        default=None, max_length=200, description="value to test, e.g. $steps.score.band"
    )
    value: Any = None


class TaskSpec(BaseModel):
    """An atomic task of a plan: its tool, inputs, dependencies, trigger and executor."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(max_length=300)
    sub_goal: str | None = Field(default=None, max_length=100)
    tool: str = Field(max_length=100)
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: list[str] = Field(default_factory=list, max_length=50)
    depends_on: list[str] = Field(default_factory=list, max_length=50)
    trigger: Condition = Field(default_factory=Condition)
    executor: ExecutorKind = "system"
    assignee: str | None = Field(
        default=None, max_length=100, description="$owner, $manager, $run_owner or a user id"
    )
    fallback_tools: list[str] = Field(default_factory=list, max_length=5)
    max_attempts: int = Field(default=3, ge=1, le=10)

    @field_validator("depends_on")
    @classmethod
    def _no_self_dependency(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("depends_on lists a task twice")
        return value


class PlanEstimate(BaseModel):
    """Expected benefit, cost and risk on 0–1 scales, and the expected time in hours."""

    model_config = ConfigDict(extra="forbid")

    benefit: float = Field(ge=0, le=1)
    cost: float = Field(ge=0, le=1)
    risk: float = Field(ge=0, le=1)
    hours: float = Field(ge=0, le=24 * 365)


class ScoreTerm(BaseModel):
    name: str
    value: float
    weight: float
    contribution: float


class CandidatePlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(max_length=300)
    rationale: str = Field(default="", max_length=2000)
    estimate: PlanEstimate
    tasks: list[TaskSpec] = Field(min_length=1, max_length=100)
    score: float = 0.0
    score_terms: list[ScoreTerm] = Field(default_factory=list)
    explanation: str = ""
    source: Literal["template", "llm"] = "template"


class PlanDocument(BaseModel):
    """The document in ``agent_runs.plan``: every candidate, ranked, and the chosen one."""

    candidates: list[CandidatePlan]
    chosen: str
    facts: dict[str, Any] = Field(default_factory=dict)
    rejected: list[dict[str, Any]] = Field(default_factory=list)


# -- API -------------------------------------------------------------------------------


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: str = Field(max_length=50)
    subject_id: uuid.UUID | None = Field(
        default=None, description="the lead or ticket to work on; agents that scan leave it out"
    )
    is_dry_run: bool = False


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class PersonResult(BaseModel):
    """A person's report on a task the agent gave them."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["done", "declined"] = "done"
    note: str | None = Field(default=None, max_length=4000)
    values: dict[str, Any] = Field(default_factory=dict)


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    position: int
    title: str
    sub_goal: str | None
    tool: str
    fallback_tools: list[str]
    executor: str
    assignee_id: uuid.UUID | None
    depends_on: list[str]
    trigger: dict[str, Any]
    inputs: dict[str, Any]
    output: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime | None
    needs_approval: bool
    approval_reason: str | None
    decision: str | None
    decided_by_id: uuid.UUID | None
    decided_at: datetime | None
    activity_id: uuid.UUID | None
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None


class TraceEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sequence: int
    step_id: uuid.UUID | None
    kind: str
    message: str
    data: dict[str, Any]
    created_at: datetime


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agent: str
    status: str
    is_dry_run: bool
    trigger: str
    subject_object: str | None
    subject_id: uuid.UUID | None
    goal: dict[str, Any]
    outcome: dict[str, Any]
    replan_count: int
    error: str | None
    owner_id: uuid.UUID | None
    created_by_id: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    version: int


class RunDetail(RunRead):
    plan: dict[str, Any]
    steps: list[StepRead] = Field(default_factory=list)
    trace: list[TraceEventRead] = Field(default_factory=list)


class RunPage(BaseModel):
    items: list[RunRead]
    next_cursor: str | None = None


class AgentInfo(BaseModel):
    name: str
    title: str
    description: str
    needs_subject: bool
    subject_object: str | None
    is_enabled: bool
    config: dict[str, Any]


class SettingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_enabled: bool | None = None
    config: dict[str, Any] | None = None
