"""The planner: goal → sub-goals → candidate plans, ranked by explicit scores → tasks.

Offline each agent proposes candidates from deterministic templates; with a
language model configured, the model may add a candidate through function
calling (``llm_planner``). Every candidate, whatever its source, is checked
against the tool registry's schemas and the dependency graph before it can
be chosen, and the score of each is stored with its terms so a person can
see why one plan won.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from zhike.ai.agents.definition import AgentDefinition, PlanningContext
from zhike.ai.agents.schemas import CandidatePlan, Goal, PlanDocument, ScoreTerm, TaskSpec
from zhike.ai.agents.tools.registry import get_tool
from zhike.core.errors import NotFound
from zhike.core.i18n import translate

logger = logging.getLogger(__name__)

# Weights of the ranking: benefit counts for, cost, risk and time against. Time is
# squashed to 0–1 with hours / (hours + 24), so a day's delay costs half the weight.
WEIGHTS = {"benefit": 0.5, "cost": 0.2, "risk": 0.2, "time": 0.1}
REFERENCE = re.compile(r"^\$(steps|run|facts|goal)(\.[A-Za-z0-9_]+)+$")
ASSIGNEES = ("$owner", "$manager", "$run_owner")
_FACTS: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


def score_plan(plan: CandidatePlan, locale: str) -> CandidatePlan:
    """Fill in the plan's score, its terms and a sentence that explains them."""
    estimate = plan.estimate
    time_value = estimate.hours / (estimate.hours + 24.0)
    terms = [
        ScoreTerm(
            name="benefit", value=estimate.benefit, weight=WEIGHTS["benefit"], contribution=0
        ),
        ScoreTerm(name="cost", value=estimate.cost, weight=-WEIGHTS["cost"], contribution=0),
        ScoreTerm(name="risk", value=estimate.risk, weight=-WEIGHTS["risk"], contribution=0),
        ScoreTerm(name="time", value=round(time_value, 4), weight=-WEIGHTS["time"], contribution=0),
    ]
    for term in terms:
        term.contribution = round(term.value * term.weight, 4)
    score = round(sum(term.contribution for term in terms), 4)
    explanation = translate(
        "agents.plan.explanation",
        locale,
        benefit=f"{estimate.benefit:.2f}",
        cost=f"{estimate.cost:.2f}",
        risk=f"{estimate.risk:.2f}",
        hours=f"{estimate.hours:g}",
        score=f"{score:.3f}",
    )
    return plan.model_copy(
        update={"score": score, "score_terms": terms, "explanation": explanation}
    )


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("$")


def validate_plan(plan: CandidatePlan) -> list[str]:
    """Return what is wrong with a candidate: unknown tools, invalid inputs, bad dependencies."""
    problems: list[str] = []
    keys = [task.key for task in plan.tasks]
    if len(set(keys)) != len(keys):
        problems.append("two tasks share a key")
    known = set(keys)
    for task in plan.tasks:
        problems.extend(_task_problems(task, known))
    if not problems and _has_cycle(plan.tasks):
        problems.append("the dependencies form a cycle")
    return problems


def _task_problems(task: TaskSpec, known: set[str]) -> list[str]:
    problems: list[str] = []
    try:
        tool = get_tool(task.tool)
    except NotFound:
        return [f"{task.key}: unknown tool {task.tool}"]
    for fallback in task.fallback_tools:
        try:
            get_tool(fallback)
        except NotFound:
            problems.append(f"{task.key}: unknown fallback tool {fallback}")
    for dependency in task.depends_on:
        if dependency not in known or dependency == task.key:
            problems.append(f"{task.key}: unknown dependency {dependency}")
    if tool.effect == "external" and task.executor != "external":
        problems.append(f"{task.key}: tool {tool.name} calls an outside service, executor external")
    if task.executor == "person" and task.tool != "person_task":
        problems.append(f"{task.key}: a person's task uses the person_task tool")
    if task.assignee and not (
        task.assignee in ASSIGNEES or REFERENCE.match(task.assignee) or _is_uuid(task.assignee)
    ):
        problems.append(f"{task.key}: assignee {task.assignee} is not a user reference")
    fields = tool.input_model.model_fields
    for name, value in task.inputs.items():
        if name not in fields:
            problems.append(f"{task.key}: {tool.name} has no input {name}")
            continue
        if _is_reference(value):
            if not REFERENCE.match(value):
                problems.append(f"{task.key}: input {name} is an invalid reference {value}")
            continue
        if not _matches_schema(fields[name].annotation, value):
            problems.append(f"{task.key}: input {name} does not match the schema of {tool.name}")
    for name, info in fields.items():
        if info.is_required() and name not in task.inputs:
            problems.append(f"{task.key}: {tool.name} needs input {name}")
    return problems


def _reference_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if _is_reference(value):
        return [path]
    if isinstance(value, dict):
        return [
            found for key, item in value.items() for found in _reference_paths(item, (*path, key))
        ]
    if isinstance(value, list):
        return [
            found
            for index, item in enumerate(value)
            for found in _reference_paths(item, (*path, index))
        ]
    return []


def _without_references(value: Any) -> Any:
    if _is_reference(value):
        return None
    if isinstance(value, dict):
        return {key: _without_references(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_references(item) for item in value]
    return value


def _matches_schema(annotation: Any, value: Any) -> bool:
    """Validate a literal input; places holding a reference are checked when it resolves."""
    try:
        TypeAdapter(annotation).validate_python(_without_references(value))
    except ValidationError as error:
        references = _reference_paths(value)
        return all(
            any(tuple(item["loc"][: len(path)]) == path for path in references)
            for item in error.errors()
        )
    return True


def _is_uuid(value: str) -> bool:
    from zhike.core.ids import parse_id

    return parse_id(value) is not None


def _has_cycle(tasks: list[TaskSpec]) -> bool:
    edges = {task.key: set(task.depends_on) for task in tasks}
    done: set[str] = set()
    while True:
        ready = [key for key, needs in edges.items() if key not in done and needs <= done]
        if not ready:
            return len(done) != len(edges)
        done.update(ready)


def make_plan(
    context: PlanningContext,
    definition: AgentDefinition,
    *,
    exclude_tools: frozenset[str] = frozenset(),
) -> tuple[Goal, PlanDocument]:
    """Gather facts, set the goal, and rank every valid candidate plan.

    ``exclude_tools`` drops candidates that use a tool that already failed, which
    is how a run re-plans. Raises NotFound when no candidate is left.
    """
    facts = context.facts or definition.gather_facts(context)
    context.facts = facts
    goal = definition.build_goal(context, facts)
    candidates = definition.candidate_plans(context, facts, goal)
    from zhike.ai.agents.llm_planner import propose_plan

    proposed = propose_plan(context, definition, goal, candidates)
    if proposed is not None:
        candidates.append(proposed)
    ranked: list[CandidatePlan] = []
    rejected: list[dict[str, Any]] = []
    for candidate in candidates:
        problems = validate_plan(candidate)
        used = {task.tool for task in candidate.tasks}
        if used & exclude_tools:
            problems.append(
                "uses a tool that failed in this run: " + ", ".join(used & exclude_tools)
            )
        if problems:
            rejected.append(
                {"key": candidate.key, "source": candidate.source, "problems": problems}
            )
            logger.info(
                "candidate plan rejected",
                extra={"agent": definition.name, "plan": candidate.key, "problems": problems},
            )
            continue
        ranked.append(score_plan(candidate, context.actor.locale))
    if not ranked:
        summary = "; ".join(
            f"{item['key']}: {', '.join(item['problems'][:3])}" for item in rejected[:3]
        )
        raise NotFound("agent_no_valid_plan", agent=definition.name, problems=summary or "-")
    ranked.sort(key=lambda plan: (-plan.score, plan.key))
    document = PlanDocument(
        candidates=ranked, chosen=ranked[0].key, facts=_plain_facts(facts), rejected=rejected
    )
    return goal, document


def _plain_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts as JSON; ids, times and amounts become text."""
    encoded: dict[str, Any] = _FACTS.dump_python(facts, mode="json")
    return encoded
