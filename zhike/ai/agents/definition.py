"""What a domain agent declares: its goal, the facts it plans from and its candidate plans."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from zhike.ai.agents.connectors import Connectors
from zhike.ai.agents.schemas import CandidatePlan, Goal
from zhike.ai.agents.settings import BaseAgentSettings
from zhike.security.context import Actor


@dataclass
class PlanningContext:
    """Everything a planner may read: the acting user, the agent's settings and the subject."""

    session: Session
    actor: Actor
    settings: BaseAgentSettings
    connectors: Connectors
    now: datetime
    subject_id: uuid.UUID | None = None
    run_id: uuid.UUID | None = None
    # Facts already gathered, reused when the run is re-planned after a failure.
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AgentDefinition:
    name: str
    subject_object: str | None
    settings_model: type[BaseAgentSettings]
    gather_facts: Callable[[PlanningContext], dict[str, Any]]
    build_goal: Callable[[PlanningContext, dict[str, Any]], Goal]
    candidate_plans: Callable[[PlanningContext, dict[str, Any], Goal], list[CandidatePlan]]
    # Object the agent needs to read to be useful; a user without it cannot start it.
    required_object: str = "activities"

    @property
    def needs_subject(self) -> bool:
        return self.subject_object is not None


_AGENTS: dict[str, AgentDefinition] = {}


def register_agent(definition: AgentDefinition) -> AgentDefinition:
    _AGENTS[definition.name] = definition
    return definition


def registered_agents() -> dict[str, AgentDefinition]:
    return _AGENTS
