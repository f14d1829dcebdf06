"""Turning a chosen plan into step rows, and reading steps back: references, triggers, outcome."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.ai.agents.models import FINISHED_STEP_STATUSES, AgentRun, AgentStep
from zhike.ai.agents.schemas import CandidatePlan, Condition, Goal, PlanDocument, TaskSpec
from zhike.ai.agents.settings import BaseAgentSettings
from zhike.ai.agents.tools.registry import APPROVAL_EFFECTS, get_tool
from zhike.security.models import User


def run_steps(session: Session, run_id: uuid.UUID) -> list[AgentStep]:
    return list(
        session.scalars(
            select(AgentStep).where(AgentStep.run_id == run_id).order_by(AgentStep.position)
        )
    )


def chosen_plan(document: PlanDocument) -> CandidatePlan:
    return next(plan for plan in document.candidates if plan.key == document.chosen)


def approval_rule(tool_name: str, settings: BaseAgentSettings) -> tuple[bool, str | None]:
    """Return whether a tool's steps wait for approval, and why (its effect)."""
    effect = get_tool(tool_name).effect
    if effect not in APPROVAL_EFFECTS:
        return False, None
    if effect == "outbound" and settings.auto_approve_outbound:
        return False, effect
    if effect == "destructive" and settings.auto_approve_destructive:
        return False, effect
    return True, effect


def materialize(
    session: Session,
    run: AgentRun,
    plan: CandidatePlan,
    settings: BaseAgentSettings,
    existing: list[AgentStep],
) -> tuple[list[AgentStep], list[AgentStep]]:
    """Create the steps of ``plan``; keep done steps that the plan still contains.

    Returns the new steps and the unfinished old ones that the plan replaced
    (cancelled here, their keys freed with a suffix so the new steps can take them).
    """
    by_key = {step.key: step for step in existing}
    position = max((step.position for step in existing), default=-1) + 1
    created: list[AgentStep] = []
    replaced: list[AgentStep] = []
    planned_keys = {task.key for task in plan.tasks}
    for step in existing:
        if step.status not in FINISHED_STEP_STATUSES and step.key not in planned_keys:
            step.status = "cancelled"
            step.error = "replaced by re-planning"
            replaced.append(step)
    for task in plan.tasks:
        old = by_key.get(task.key)
        if old is not None and old.status == "done" and old.tool == task.tool:
            continue
        if old is not None:
            if old.status not in FINISHED_STEP_STATUSES:
                old.status = "cancelled"
                old.error = "replaced by re-planning"
                replaced.append(old)
            old.key = f"{old.key}~{run.replan_count}"[:100]
            session.flush()
        needs_approval, reason = approval_rule(task.tool, settings)
        step = AgentStep(
            tenant_id=run.tenant_id,
            run_id=run.id,
            key=task.key,
            position=position,
            title=task.title,
            sub_goal=task.sub_goal,
            tool=task.tool,
            fallback_tools=list(task.fallback_tools),
            executor=task.executor,
            assignee_id=None,
            depends_on=list(task.depends_on),
            trigger=task.trigger.model_dump(mode="json"),
            inputs=dict(task.inputs) | ({"assignee": task.assignee} if task.assignee else {}),
            status="pending",
            max_attempts=task.max_attempts,
            idempotency_key=f"{run.id}:{task.key}:{run.replan_count}",
            needs_approval=needs_approval,
            approval_reason=reason,
        )
        session.add(step)
        created.append(step)
        position += 1
    session.flush()
    return created, replaced


def lookup(path: str, run: AgentRun, steps: dict[str, AgentStep], facts: dict[str, Any]) -> Any:
    """Resolve ``$steps.key.field…``, ``$run.field``, ``$facts.name…`` or ``$goal.field``."""
    parts = path[1:].split(".")
    root, rest = parts[0], parts[1:]
    value: Any
    if root == "steps":
        step = steps.get(rest[0]) if rest else None
        if step is None or step.status != "done":
            return None
        value, rest = step.output, rest[1:]
    elif root == "run":
        value = {
            "id": str(run.id),
            "subject_id": str(run.subject_id) if run.subject_id else None,
            "owner_id": str(run.owner_id) if run.owner_id else None,
            "is_dry_run": run.is_dry_run,
        }
    elif root == "facts":
        value = facts
    elif root == "goal":
        value = run.goal
    else:
        return None
    for part in rest:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def resolve(value: Any, run: AgentRun, steps: dict[str, AgentStep], facts: dict[str, Any]) -> Any:
    """Replace every reference inside ``value`` by what it points to."""
    if isinstance(value, str) and value.startswith("$") and "." in value:
        return lookup(value, run, steps, facts)
    if isinstance(value, dict):
        return {key: resolve(item, run, steps, facts) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, run, steps, facts) for item in value]
    return value


def condition_holds(
    condition: Condition, run: AgentRun, steps: dict[str, AgentStep], facts: dict[str, Any]
) -> bool:
    if condition.operator == "always":
        return True
    actual = lookup(condition.path, run, steps, facts) if condition.path else None
    expected = condition.value
    if condition.operator == "truthy":
        return bool(actual)
    if condition.operator == "falsy":
        return not actual
    if condition.operator == "eq":
        return bool(actual == expected)
    if condition.operator == "ne":
        return bool(actual != expected)
    try:
        if condition.operator == "gte":
            return actual is not None and float(actual) >= float(expected)
        return actual is not None and float(actual) <= float(expected)
    except (TypeError, ValueError):
        return False


def resolve_assignee(
    session: Session,
    reference: str | None,
    run: AgentRun,
    steps: dict[str, AgentStep],
    facts: dict[str, Any],
) -> uuid.UUID | None:
    """Resolve $owner (the subject's owner), $manager (that owner's manager) or $run_owner.

    A reference that leads to no active user of the tenant falls back to the run's
    owner, so a person's task always reaches someone who can act on it.
    """
    owner = _active_user(session, run, facts.get("record_owner_id")) or run.owner_id
    candidate: Any
    if reference in (None, "$run_owner"):
        candidate = run.owner_id
    elif reference == "$owner":
        candidate = owner
    elif reference == "$manager":
        user = session.get(User, owner) if owner else None
        candidate = user.manager_id if user is not None else None
    elif reference.startswith("$"):
        candidate = lookup(reference, run, steps, facts)
    else:
        candidate = reference
    return _active_user(session, run, candidate) or run.owner_id


def _active_user(session: Session, run: AgentRun, value: Any) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        user_id = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None
    user = session.get(User, user_id)
    if user is None or user.tenant_id != run.tenant_id or not user.is_active:
        return None
    if user.deleted_at is not None:
        return None
    return user.id


def evaluate_outcome(goal: Goal, steps: dict[str, AgentStep]) -> dict[str, Any]:
    """Compare what the run achieved with the goal's success criteria."""
    results: list[dict[str, Any]] = []
    met_count = 0
    total = 0
    for sub_goal in goal.sub_goals:
        criteria: list[dict[str, Any]] = []
        for criterion in sub_goal.success_criteria:
            step = steps.get(criterion.step)
            for alternative in criterion.alternatives:
                if step is not None and step.status == "done":
                    break
                step = steps.get(alternative) or step
            met = step is not None and step.status == "done"
            if met and step is not None and criterion.field:
                actual: Any = step.output.get(criterion.field)
                met = (
                    actual == criterion.expected if criterion.expected is not None else bool(actual)
                )
            criteria.append(
                {"key": criterion.key, "description": criterion.description, "is_met": met}
            )
            total += 1
            met_count += int(met)
        results.append(
            {
                "key": sub_goal.key,
                "title": sub_goal.title,
                "priority": sub_goal.priority,
                "is_met": all(item["is_met"] for item in criteria),
                "criteria": criteria,
            }
        )
    return {
        "sub_goals": results,
        "criteria_met": met_count,
        "criteria_total": total,
        "achievement": round(met_count / total, 4) if total else 1.0,
        "is_goal_met": met_count == total,
    }


def task_for(plan: CandidatePlan, key: str) -> TaskSpec | None:
    return next((task for task in plan.tasks if task.key == key), None)
