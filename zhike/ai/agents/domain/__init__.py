"""The domain agents: lead conversion, stalled deals, churn rescue and service triage."""

from __future__ import annotations

from zhike.ai.agents.definition import AgentDefinition, registered_agents
from zhike.core.errors import NotFound


def load_agents() -> None:
    from zhike.ai.agents.domain import (  # noqa: F401
        churn_rescue,
        lead_conversion,
        service_triage,
        stalled_deal,
    )
    from zhike.ai.agents.tools import common  # noqa: F401


def all_agents() -> list[AgentDefinition]:
    load_agents()
    return sorted(registered_agents().values(), key=lambda agent: agent.name)


def get_agent(name: str) -> AgentDefinition:
    load_agents()
    agents = registered_agents()
    if name not in agents:
        raise NotFound("agent_not_found", name=name, known=", ".join(sorted(agents)))
    return agents[name]
