"""The journey graph as data: entry triggers, steps and their links, validated with Pydantic.

A graph lists steps by id; each step names the step that follows it (``next``)
or, for branching steps, one per outcome. Validation checks that every link
points at a step, that the start step exists and that every step can be
reached, so an engine never meets a dangling link at run time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhike.analytics.query import FilterOperator
from zhike.marketing.automation_models import ENGAGEMENT_KINDS

StepId = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Trigger(_Strict):
    """An entry trigger: joining a segment, a form, a field change, an event or a date."""

    kind: Literal[
        "segment_joined", "form_submitted", "field_changed", "event", "date_relative", "manual"
    ]
    segment_id: str | None = None
    form: str | None = Field(default=None, max_length=100)
    field: str | None = Field(default=None, max_length=100)
    event: str | None = None
    # For date_relative: a date field of the contact (or custom.<key>) and an offset;
    # -3 enrols three days before the date, for example before a renewal.
    offset_days: int = Field(default=0, ge=-365, le=365)

    @model_validator(mode="after")
    def _arguments(self) -> Trigger:
        needed = {
            "segment_joined": "segment_id",
            "form_submitted": "form",
            "field_changed": "field",
            "event": "event",
            "date_relative": "field",
        }.get(self.kind)
        if needed and not getattr(self, needed):
            raise ValueError(f"trigger {self.kind} needs {needed}")
        if self.event is not None and self.event not in ENGAGEMENT_KINDS:
            raise ValueError(
                f"unknown event {self.event}; use one of {', '.join(ENGAGEMENT_KINDS)}"
            )
        return self


class SendStep(_Strict):
    type: Literal["send"]
    id: StepId
    channel: Literal["email", "sms", "wecom"]
    purpose: str = "marketing"
    template_id: str | None = None
    subject: str | None = Field(default=None, max_length=500)
    body: str | None = Field(default=None, max_length=20000)
    next: StepId | None = None

    @model_validator(mode="after")
    def _content(self) -> SendStep:
        if not self.template_id and not self.body:
            raise ValueError(f"send step {self.id} needs template_id or body")
        return self


class TaskStep(_Strict):
    type: Literal["create_task"]
    id: StepId
    subject: str = Field(min_length=1, max_length=200)
    due_in_hours: int = Field(default=24, ge=0, le=24 * 365)
    next: StepId | None = None


class UpdateFieldStep(_Strict):
    type: Literal["update_field"]
    id: StepId
    field: str = Field(min_length=1, max_length=100)
    value: str | int | float | bool | None
    next: StepId | None = None


class AddToListStep(_Strict):
    type: Literal["add_to_list"]
    id: StepId
    segment_id: str
    next: StepId | None = None


class WebhookStep(_Strict):
    type: Literal["webhook"]
    id: StepId
    url: str = Field(pattern=r"^https?://", max_length=500)
    next: StepId | None = None


class ScoreStep(_Strict):
    type: Literal["score"]
    id: StepId
    next: StepId | None = None


class Rule(_Strict):
    """One test of a condition step: a contact field, an engagement count or a model score."""

    kind: Literal["field", "engagement", "score"]
    field: str | None = None
    op: FilterOperator = "eq"
    value: str | int | float | bool | None = None
    event: str | None = None
    since_entry: bool = True
    template: str | None = None


class ConditionStep(_Strict):
    type: Literal["condition"]
    id: StepId
    rules: list[Rule] = Field(min_length=1, max_length=10)
    match: Literal["all", "any"] = "all"
    then: StepId | None = None
    otherwise: StepId | None = None


class WaitStep(_Strict):
    """Wait a fixed time, until a local time of day, or until an event with a timeout."""

    type: Literal["wait"]
    id: StepId
    mode: Literal["fixed", "until_time", "until_event"] = "fixed"
    minutes: int = Field(default=0, ge=0, le=60 * 24 * 365)
    at: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    event: str | None = None
    next: StepId | None = None
    on_timeout: StepId | None = None

    @model_validator(mode="after")
    def _mode(self) -> WaitStep:
        if self.mode == "until_time" and not self.at:
            raise ValueError(f"wait step {self.id} needs at (HH:MM)")
        if self.mode == "until_event" and self.event not in ENGAGEMENT_KINDS:
            raise ValueError(f"wait step {self.id} needs an event: {', '.join(ENGAGEMENT_KINDS)}")
        return self


class Branch(_Strict):
    name: str = Field(min_length=1, max_length=60)
    weight: int = Field(default=1, ge=0, le=100)
    next: StepId | None = None


class SplitStep(_Strict):
    type: Literal["split"]
    id: StepId
    branches: list[Branch] = Field(min_length=2, max_length=5)
    # The A/B test's success event and the smallest lift worth detecting.
    metric: Literal["opened", "clicked", "converted"] = "clicked"
    minimum_detectable_effect: float = Field(default=0.05, gt=0, lt=1)


class ExitStep(_Strict):
    type: Literal["exit"]
    id: StepId


Step = Annotated[
    SendStep
    | TaskStep
    | UpdateFieldStep
    | AddToListStep
    | WebhookStep
    | ScoreStep
    | ConditionStep
    | WaitStep
    | SplitStep
    | ExitStep,
    Field(discriminator="type"),
]


def step_links(step: BaseModel) -> list[str]:
    links: list[str | None] = []
    if isinstance(step, ConditionStep):
        links = [step.then, step.otherwise]
    elif isinstance(step, WaitStep):
        links = [step.next, step.on_timeout]
    elif isinstance(step, SplitStep):
        links = [branch.next for branch in step.branches]
    elif not isinstance(step, ExitStep):
        links = [getattr(step, "next", None)]
    return [link for link in links if link]


class JourneyGraph(_Strict):
    trigger: Trigger
    start: StepId
    steps: list[Step] = Field(min_length=1, max_length=200)
    goal_event: str | None = None
    exit_events: list[str] = Field(default_factory=lambda: ["unsubscribed"])
    re_entry: bool = False
    # A won opportunity is a conversion of the journey when a message of the journey was
    # delivered to the buyer at most this many days before the close day ended.
    attribution_window_days: int = Field(default=30, ge=1, le=365)

    @model_validator(mode="after")
    def _links(self) -> JourneyGraph:
        ids = [step.id for step in self.steps]
        duplicates = sorted({name for name in ids if ids.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate step ids {duplicates}")
        known = set(ids)
        if self.start not in known:
            raise ValueError(f"start step {self.start} is not among the steps")
        for step in self.steps:
            for link in step_links(step):
                if link not in known:
                    raise ValueError(f"step {step.id} links to unknown step {link}")
        reached, todo = set(), [self.start]
        by_id = {step.id: step for step in self.steps}
        while todo:
            current = todo.pop()
            if current in reached:
                continue
            reached.add(current)
            todo.extend(step_links(by_id[current]))
        unreachable = sorted(known - reached)
        if unreachable:
            raise ValueError(f"steps {unreachable} cannot be reached from {self.start}")
        for name in [self.goal_event, *self.exit_events]:
            if name is not None and name not in ENGAGEMENT_KINDS:
                raise ValueError(f"unknown event {name}; use one of {', '.join(ENGAGEMENT_KINDS)}")
        return self

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)
