"""Stalled deals: find opportunities stuck too long in a stage, diagnose why, schedule actions."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from zhike.ai.agents.definition import AgentDefinition, PlanningContext, register_agent
from zhike.ai.agents.schemas import (
    CandidatePlan,
    Condition,
    Criterion,
    Goal,
    PlanEstimate,
    SubGoal,
    TaskSpec,
)
from zhike.ai.agents.settings import BaseAgentSettings
from zhike.ai.agents.tools.registry import Tool, ToolContext, register_tool
from zhike.core.i18n import translate
from zhike.core.timeutil import ensure_utc
from zhike.platform.records import RecordService
from zhike.sales.models import Activity, Opportunity, OpportunityStageChange, PipelineStage
from zhike.sales.objects import OPPORTUNITIES
from zhike.sales.stalled import find_readable_stalled
from zhike.security.access import scope_select
from zhike.security.models import User

NAME = "stalled_deal"


class StalledDealSettings(BaseAgentSettings):
    max_deals: int = Field(default=5, ge=1, le=50)
    quiet_days: int = Field(default=14, ge=1, le=365)
    # A deal this many times over its stage's limit goes to the owner's manager too.
    severe_ratio: float = Field(default=2.0, ge=1.0, le=20.0)


def readable_stalled(context: PlanningContext, limit: int) -> list[dict[str, Any]]:
    """Stalled deals the acting user may read, most overdue first."""
    deals = find_readable_stalled(context.session, context.actor, context.now)
    return [
        {
            "opportunity_id": str(deal.opportunity_id),
            "owner_id": str(deal.owner_id) if deal.owner_id else None,
            "stage": deal.stage_key,
            "stage_name": deal.stage_name,
            "days_in_stage": deal.days_in_stage,
            "typical_days": deal.typical_days,
            "limit_days": deal.limit_days,
            "reason": deal.reason,
        }
        for deal in deals[:limit]
    ]


class DiagnoseInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opportunity_id: uuid.UUID
    days_in_stage: float = Field(ge=0)
    limit_days: float = Field(gt=0)


class DiagnoseOutput(BaseModel):
    opportunity_id: uuid.UUID
    name: str
    owner_id: uuid.UUID | None
    manager_id: uuid.UUID | None
    reasons: list[str]
    explanation: str
    actions: list[dict[str, Any]]
    is_severe: bool
    days_since_activity: int | None
    open_tasks: int
    moved_back: int


def diagnose_deal(context: ToolContext, arguments: DiagnoseInput) -> DiagnoseOutput:
    """Read the deal's stage history and activities and name what is holding it up."""
    settings = StalledDealSettings.model_validate(context.config)
    locale = context.actor.locale
    deal = RecordService(context.session, context.actor, OPPORTUNITIES).get(
        arguments.opportunity_id
    )
    positions = dict(
        context.session.execute(
            select(PipelineStage.id, PipelineStage.position).where(
                PipelineStage.tenant_id == context.actor.tenant_id
            )
        ).all()
    )
    changes = context.session.execute(
        select(OpportunityStageChange.from_stage_id, OpportunityStageChange.to_stage_id).where(
            OpportunityStageChange.opportunity_id == deal.id,
            OpportunityStageChange.tenant_id == context.actor.tenant_id,
        )
    ).all()
    moved_back = sum(
        1
        for before, after in changes
        if before is not None and positions.get(after, 0) < positions.get(before, 0)
    )
    activities = scope_select(context.actor, Activity, select(Activity)).where(
        Activity.opportunity_id == deal.id
    )
    last = context.session.scalar(
        activities.with_only_columns(func.max(Activity.occurred_at)).where(
            Activity.status == "done"
        )
    )
    open_tasks = int(
        context.session.scalar(
            activities.with_only_columns(func.count()).where(Activity.status == "open")
        )
        or 0
    )
    quiet = None if last is None else (context.now - ensure_utc(last)).days

    reasons: list[str] = ["long_in_stage"]
    if quiet is None or quiet >= settings.quiet_days:
        reasons.append("no_recent_activity")
    if open_tasks == 0:
        reasons.append("no_next_step")
    if moved_back:
        reasons.append("moved_backwards")
    today = context.now.date()
    if deal.expected_close_date is not None and deal.expected_close_date < today:
        reasons.append("close_date_passed")
    actions = _actions(reasons, deal, locale)
    owner = context.session.get(User, deal.owner_id) if deal.owner_id else None
    explanation = "；".join(translate(f"agents.stalled.reason.{key}", locale) for key in reasons)
    return DiagnoseOutput(
        opportunity_id=deal.id,
        name=deal.name,
        owner_id=deal.owner_id,
        manager_id=owner.manager_id if owner is not None else None,
        reasons=reasons,
        explanation=explanation,
        actions=actions,
        is_severe=arguments.days_in_stage >= settings.severe_ratio * arguments.limit_days,
        days_since_activity=quiet,
        open_tasks=open_tasks,
        moved_back=moved_back,
    )


def _actions(reasons: list[str], deal: Opportunity, locale: str) -> list[dict[str, Any]]:
    """Build a follow-up task for each reason, in the shape ``create_follow_ups`` takes."""
    planned: list[tuple[str, str, int]] = []
    if "no_recent_activity" in reasons or "no_next_step" in reasons:
        planned.append(("call", "call", 24))
    if "moved_backwards" in reasons:
        planned.append(("meeting", "meeting", 72))
    if "close_date_passed" in reasons:
        planned.append(("task", "close_date", 48))
    if not planned:
        planned.append(("task", "next_step", 48))
    return [
        {
            "kind": kind,
            "subject": translate(f"agents.stalled.action.{key}", locale, name=deal.name)[:300],
            "due_in_hours": hours,
            "opportunity_id": str(deal.id),
            "account_id": str(deal.account_id) if deal.account_id else None,
            "owner_id": str(deal.owner_id) if deal.owner_id else None,
        }
        for kind, key, hours in planned
    ]


register_tool(
    Tool(
        "diagnose_deal",
        "Diagnose why an opportunity is stuck from its stage history and activities",
        DiagnoseInput,
        DiagnoseOutput,
        "read",
        diagnose_deal,
    )
)


def gather_facts(context: PlanningContext) -> dict[str, Any]:
    settings = StalledDealSettings.model_validate(context.settings.model_dump())
    deals = readable_stalled(context, settings.max_deals)
    return {"deals": deals, "count": len(deals)}


def build_goal(context: PlanningContext, facts: dict[str, Any]) -> Goal:
    locale = context.actor.locale
    start = context.now.replace(microsecond=0)
    sub_goals = []
    for index, deal in enumerate(facts["deals"], 1):
        ratio = deal["days_in_stage"] / max(deal["limit_days"], 1.0)
        priority = 3
        if ratio >= 2:
            priority = 1
        elif ratio >= 1.5:
            priority = 2
        sub_goals.append(
            SubGoal(
                key=f"deal_{index}",
                title=translate(
                    "agents.stalled.goal.deal",
                    locale,
                    stage=deal["stage_name"],
                    days=int(deal["days_in_stage"]),
                ),
                priority=priority,
                deadline=start + timedelta(days=2),
                success_criteria=[
                    Criterion(
                        key=f"diagnosed_{index}",
                        description=translate("agents.stalled.goal.diagnosed", locale),
                        step=f"diagnose_{index}",
                        field="reasons",
                    ),
                    Criterion(
                        key=f"scheduled_{index}",
                        description=translate("agents.stalled.goal.scheduled", locale),
                        step=f"schedule_{index}",
                        alternatives=[f"review_{index}"],
                    ),
                ],
            )
        )
    if not sub_goals:
        sub_goals.append(
            SubGoal(
                key="scan",
                title=translate("agents.stalled.goal.scan", locale),
                priority=3,
                success_criteria=[
                    Criterion(
                        key="scanned",
                        description=translate("agents.stalled.goal.scan", locale),
                        step="scan",
                    )
                ],
            )
        )
    return Goal(
        agent=NAME,
        title=translate("agents.stalled.goal.title", locale),
        deadline=start + timedelta(days=2),
        sub_goals=sub_goals,
    )


class ScanInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=0)


class ScanOutput(BaseModel):
    count: int


register_tool(
    Tool(
        "report_stalled_count",
        "Record how many stalled deals the scan found",
        ScanInput,
        ScanOutput,
        "read",
        lambda context, arguments: ScanOutput(count=arguments.count),
    )
)


def candidate_plans(
    context: PlanningContext, facts: dict[str, Any], goal: Goal
) -> list[CandidatePlan]:
    locale = context.actor.locale
    scan = TaskSpec(
        key="scan",
        title=translate("agents.stalled.step.scan", locale),
        tool="report_stalled_count",
        inputs={"count": facts["count"]},
    )
    coach: list[TaskSpec] = [scan]
    review: list[TaskSpec] = [scan]
    for index, deal in enumerate(facts["deals"], 1):
        diagnose = TaskSpec(
            key=f"diagnose_{index}",
            title=translate("agents.stalled.step.diagnose", locale, stage=deal["stage_name"]),
            sub_goal=f"deal_{index}",
            tool="diagnose_deal",
            inputs={
                "opportunity_id": deal["opportunity_id"],
                "days_in_stage": deal["days_in_stage"],
                "limit_days": deal["limit_days"],
            },
            depends_on=["scan"],
        )
        schedule = TaskSpec(
            key=f"schedule_{index}",
            title=translate("agents.stalled.step.schedule", locale),
            sub_goal=f"deal_{index}",
            tool="create_follow_ups",
            inputs={"tasks": f"$steps.diagnose_{index}.actions"},
            depends_on=[diagnose.key],
        )
        manager_review = TaskSpec(
            key=f"review_{index}",
            title=translate("agents.stalled.step.review", locale),
            sub_goal=f"deal_{index}",
            tool="person_task",
            executor="person",
            assignee=f"$steps.diagnose_{index}.manager_id",
            depends_on=[diagnose.key],
            inputs={
                "title": translate("agents.stalled.step.review", locale),
                "instructions": translate("agents.stalled.review_instructions", locale),
                "background": {
                    "reasons": f"$steps.diagnose_{index}.explanation",
                    "days_in_stage": deal["days_in_stage"],
                    "typical_days": deal["typical_days"],
                },
                "material": [{"label": "actions", "value": f"$steps.diagnose_{index}.actions"}],
                "opportunity_id": deal["opportunity_id"],
                "due_in_hours": 48,
            },
        )
        severe_review = manager_review.model_copy(
            update={
                "trigger": Condition(operator="truthy", path=f"$steps.diagnose_{index}.is_severe"),
                "depends_on": [f"schedule_{index}"],
            }
        )
        coach.extend([diagnose, schedule, severe_review])
        review.extend([diagnose, manager_review])
    deals = max(len(facts["deals"]), 1)
    return [
        CandidatePlan(
            key="coach_owner",
            title=translate("agents.stalled.plan.coach", locale),
            rationale=translate("agents.stalled.plan.coach_why", locale),
            estimate=PlanEstimate(benefit=0.75, cost=0.2, risk=0.15, hours=24),
            tasks=coach,
        ),
        CandidatePlan(
            key="manager_review",
            title=translate("agents.stalled.plan.review", locale),
            rationale=translate("agents.stalled.plan.review_why", locale),
            estimate=PlanEstimate(
                benefit=0.7, cost=min(1.0, 0.2 + 0.05 * deals), risk=0.1, hours=72
            ),
            tasks=review,
        ),
    ]


STALLED_DEAL = register_agent(
    AgentDefinition(
        name=NAME,
        subject_object=None,
        settings_model=StalledDealSettings,
        gather_facts=gather_facts,
        build_goal=build_goal,
        candidate_plans=candidate_plans,
        required_object="opportunities",
    )
)
