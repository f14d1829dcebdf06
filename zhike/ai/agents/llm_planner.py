"""Plans proposed by a language model, through the LLM gateway's function calling.

The model sees the goal, the facts, the template candidates and the tool
registry's JSON schemas, and may call ``propose_plan`` once. The proposal is
only a candidate: the planner validates it against the same schemas as any
template plan and ranks it with the same scores. Without a configured
provider nothing is called and the templates alone decide.
"""

from __future__ import annotations

import json
import logging
from functools import cache

from pydantic import BaseModel

from zhike.ai.agents.definition import AgentDefinition, PlanningContext
from zhike.ai.agents.schemas import CandidatePlan, Goal
from zhike.ai.agents.tools.registry import all_tools
from zhike.ai.llm.gateway import LLMGateway, LLMRequest, ToolSpec
from zhike.ai.llm.policy import load_providers
from zhike.core.errors import ZhikeError
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

PURPOSE = "extraction"
INSTRUCTION = (
    "You plan work for a CRM agent. Read the goal, the facts and the candidate plans, "
    "then call propose_plan once with one better plan that uses only the listed tools "
    "and their input schemas. Inputs may reference earlier results as $steps.<key>.<field>."
)


@cache
def gateway() -> LLMGateway:
    return LLMGateway()


def _allow_proposal(actor: Actor, name: str, arguments: BaseModel) -> bool:
    # A proposal changes nothing: it is validated and ranked like any candidate, and each
    # of its tools later runs with the actor's own permissions.
    return name == "propose_plan"


def propose_plan(
    context: PlanningContext,
    definition: AgentDefinition,
    goal: Goal,
    candidates: list[CandidatePlan],
) -> CandidatePlan | None:
    """Ask the configured model for one more candidate; None offline or on any failure."""
    if not load_providers(context.session, context.actor.tenant_id):
        return None
    tools = [tool.describe() for tool in all_tools()]
    documents = [
        "Goal:\n" + goal.model_dump_json(),
        "Facts:\n" + json.dumps(context.facts, ensure_ascii=False, default=str),
        "Candidate plans:\n"
        + json.dumps([plan.model_dump(mode="json") for plan in candidates], ensure_ascii=False),
        "Tools:\n" + json.dumps(tools, ensure_ascii=False),
    ]
    request = LLMRequest(
        purpose=PURPOSE,
        instruction=INSTRUCTION,
        documents=documents,
        tools=[ToolSpec("propose_plan", "Propose one candidate plan", CandidatePlan)],
        temperature=0.0,
    )
    try:
        result = gateway().complete(
            context.session, context.actor, request, tool_permission=_allow_proposal
        )
    except ZhikeError as error:
        logger.info(
            "model plan unavailable", extra={"agent": definition.name, "reason": error.code}
        )
        return None
    for call in result.tool_calls:
        if call.is_accepted and isinstance(call.arguments, CandidatePlan):
            return call.arguments.model_copy(
                update={"source": "llm", "key": f"llm_{call.arguments.key}"[:80]}
            )
        logger.info(
            "model plan call rejected", extra={"agent": definition.name, "reason": call.reason}
        )
    return None
