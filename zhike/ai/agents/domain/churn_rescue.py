"""Churn rescue: for customers whose churn risk rose, build a retention plan and assign it.

A rise is judged against the value this agent saw for the same account on its
previous run (``agent_observations``): up by at least ``min_rise``, or seen for
the first time already above ``alert_threshold``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from zhike.ai.agents.definition import AgentDefinition, PlanningContext, register_agent
from zhike.ai.agents.models import AgentObservation
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
from zhike.ai.models.models import ModelScore
from zhike.core.i18n import translate
from zhike.core.timeutil import ensure_utc
from zhike.customers.models import Account
from zhike.customers.objects import ACCOUNTS
from zhike.platform.records import RecordService
from zhike.sales.models import Activity, Opportunity, PipelineStage
from zhike.security.access import scope_select
from zhike.security.models import User
from zhike.service.models import Ticket

NAME = "churn_rescue"


class ChurnRescueSettings(BaseAgentSettings):
    min_rise: float = Field(default=0.1, gt=0, lt=1)
    alert_threshold: float = Field(default=0.6, gt=0, lt=1)
    max_accounts: int = Field(default=5, ge=1, le=50)


def rising_accounts(
    context: PlanningContext, settings: ChurnRescueSettings
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the accounts whose risk rose, and every current score to remember."""
    statement = scope_select(
        context.actor,
        Account,
        select(Account.id, Account.owner_id, ModelScore.score).join(
            ModelScore,
            (ModelScore.record_id == Account.id)
            & (ModelScore.template == "churn_risk")
            & (ModelScore.tenant_id == Account.tenant_id),
        ),
    )
    current = {row[0]: (row[1], float(row[2])) for row in context.session.execute(statement)}
    previous = dict(
        context.session.execute(
            select(AgentObservation.record_id, AgentObservation.value).where(
                AgentObservation.tenant_id == context.actor.tenant_id,
                AgentObservation.agent == NAME,
            )
        ).all()
    )
    rising: list[dict[str, Any]] = []
    for account_id, (owner_id, score) in current.items():
        before = previous.get(account_id)
        rose = (
            (score - before >= settings.min_rise)
            if before is not None
            else score >= settings.alert_threshold
        )
        if rose:
            rising.append(
                {
                    "account_id": str(account_id),
                    "owner_id": str(owner_id) if owner_id else None,
                    "score": round(score, 4),
                    "previous": None if before is None else round(float(before), 4),
                    "rise": None if before is None else round(score - float(before), 4),
                }
            )
    rising.sort(key=lambda item: (-(item["rise"] or item["score"]), item["account_id"]))
    observations = [
        {"account_id": str(account_id), "score": round(score, 6)}
        for account_id, (_, score) in sorted(current.items(), key=lambda item: str(item[0]))
    ]
    return rising[: settings.max_accounts], observations


class RetentionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: uuid.UUID
    score: float = Field(ge=0, le=1)


class RetentionPlan(BaseModel):
    account_id: uuid.UUID
    name: str
    owner_id: uuid.UUID | None
    manager_id: uuid.UUID | None
    open_tickets: int
    days_since_activity: int | None
    won_deals: int
    risk_factors: list[dict[str, Any]]
    summary: str
    actions: list[dict[str, Any]]
    is_high_value: bool


def build_retention_plan(context: ToolContext, arguments: RetentionInput) -> RetentionPlan:
    """Look at the customer's tickets, contact history and deals, and choose retention actions."""
    locale = context.actor.locale
    account = RecordService(context.session, context.actor, ACCOUNTS).get(arguments.account_id)
    open_tickets = int(
        context.session.scalar(
            scope_select(context.actor, Ticket, select(func.count()).select_from(Ticket)).where(
                Ticket.account_id == account.id, Ticket.status.in_(("new", "open", "pending"))
            )
        )
        or 0
    )

    last = context.session.scalar(
        scope_select(
            context.actor, Activity, select(func.max(Activity.occurred_at)).select_from(Activity)
        ).where(Activity.account_id == account.id, Activity.status == "done")
    )
    quiet = None if last is None else (context.now - ensure_utc(last)).days
    won = int(
        context.session.scalar(
            scope_select(context.actor, Opportunity, select(func.count()).select_from(Opportunity))
            .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
            .where(Opportunity.account_id == account.id, PipelineStage.is_won.is_(True))
        )
        or 0
    )
    factors = context.session.scalar(
        select(ModelScore.top_factors).where(
            ModelScore.tenant_id == context.actor.tenant_id,
            ModelScore.template == "churn_risk",
            ModelScore.record_id == account.id,
        )
    )

    keys: list[tuple[str, str, int]] = [("call", "check_in", 24)]
    if open_tickets:
        keys.append(("task", "resolve_tickets", 48))
    if quiet is None or quiet > 30:
        keys.append(("visit", "visit", 24 * 7))
    high_value = won >= 2 or (account.tier or "") in ("A", "KA", "strategic", "战略")
    if high_value:
        keys.append(("meeting", "executive", 24 * 5))
    owner = context.session.get(User, account.owner_id) if account.owner_id else None
    actions = [
        {
            "kind": kind,
            "subject": translate(f"agents.churn.action.{key}", locale, name=account.name)[:300],
            "due_in_hours": hours,
            "account_id": str(account.id),
            "owner_id": str(account.owner_id) if account.owner_id else None,
        }
        for kind, key, hours in keys
    ]
    summary = translate(
        "agents.churn.summary",
        locale,
        name=account.name,
        score=f"{arguments.score:.0%}",
        tickets=open_tickets,
        days="-" if quiet is None else quiet,
        won=won,
    )
    return RetentionPlan(
        account_id=account.id,
        name=account.name,
        owner_id=account.owner_id,
        manager_id=owner.manager_id if owner is not None else None,
        open_tickets=open_tickets,
        days_since_activity=quiet,
        won_deals=won,
        risk_factors=list(factors or [])[:5],
        summary=summary,
        actions=actions,
        is_high_value=high_value,
    )


class ObservationItem(BaseModel):
    account_id: uuid.UUID
    score: float = Field(ge=0, le=1)


class ObserveInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: list[ObservationItem] = Field(max_length=100_000)


class ObserveOutput(BaseModel):
    remembered: int


def remember_churn_scores(context: ToolContext, arguments: ObserveInput) -> ObserveOutput:
    """Store the scores seen now, so the next run compares with them."""
    readable = set(
        context.session.scalars(
            scope_select(context.actor, Account, select(Account.id)).where(
                Account.id.in_([item.account_id for item in arguments.scores])
            )
        )
    )
    stored = {
        row.record_id: row
        for row in context.session.scalars(
            select(AgentObservation).where(
                AgentObservation.tenant_id == context.actor.tenant_id,
                AgentObservation.agent == NAME,
            )
        )
    }
    count = 0
    for item in arguments.scores:
        if item.account_id not in readable:
            continue
        row = stored.get(item.account_id)
        if row is None:
            context.session.add(
                AgentObservation(
                    tenant_id=context.actor.tenant_id,
                    agent=NAME,
                    record_id=item.account_id,
                    value=item.score,
                    observed_at=context.now,
                )
            )
        else:
            row.value = item.score
            row.observed_at = context.now
        count += 1
    return ObserveOutput(remembered=count)


register_tool(
    Tool(
        "build_retention_plan",
        "Build a retention plan for an account at risk of churning",
        RetentionInput,
        RetentionPlan,
        "read",
        build_retention_plan,
    )
)
register_tool(
    Tool(
        "remember_churn_scores",
        "Remember the churn scores seen now for the next comparison",
        ObserveInput,
        ObserveOutput,
        "write",
        remember_churn_scores,
    )
)


def gather_facts(context: PlanningContext) -> dict[str, Any]:
    settings = ChurnRescueSettings.model_validate(context.settings.model_dump())
    rising, observations = rising_accounts(context, settings)
    return {"accounts": rising, "count": len(rising), "observations": observations}


def build_goal(context: PlanningContext, facts: dict[str, Any]) -> Goal:
    locale = context.actor.locale
    start = context.now.replace(microsecond=0)
    sub_goals = [
        SubGoal(
            key=f"account_{index}",
            title=translate("agents.churn.goal.account", locale, score=f"{item['score']:.0%}"),
            priority=1 if item["score"] >= 0.8 else 2,
            deadline=start + timedelta(days=7),
            success_criteria=[
                Criterion(
                    key=f"planned_{index}",
                    description=translate("agents.churn.goal.planned", locale),
                    step=f"plan_{index}",
                    field="actions",
                ),
                Criterion(
                    key=f"assigned_{index}",
                    description=translate("agents.churn.goal.assigned", locale),
                    step=f"assign_{index}",
                ),
            ],
        )
        for index, item in enumerate(facts["accounts"], 1)
    ]
    sub_goals.append(
        SubGoal(
            key="memory",
            title=translate("agents.churn.goal.memory", locale),
            priority=3,
            success_criteria=[
                Criterion(
                    key="remembered",
                    description=translate("agents.churn.goal.memory", locale),
                    step="remember",
                )
            ],
        )
    )
    return Goal(
        agent=NAME,
        title=translate("agents.churn.goal.title", locale),
        deadline=start + timedelta(days=7),
        sub_goals=sub_goals,
    )


def candidate_plans(
    context: PlanningContext, facts: dict[str, Any], goal: Goal
) -> list[CandidatePlan]:
    locale = context.actor.locale
    remember = TaskSpec(
        key="remember",
        title=translate("agents.churn.step.remember", locale),
        sub_goal="memory",
        tool="remember_churn_scores",
        inputs={"scores": facts["observations"]},
    )
    owner_led: list[TaskSpec] = []
    manager_led: list[TaskSpec] = []
    for index, item in enumerate(facts["accounts"], 1):
        plan = TaskSpec(
            key=f"plan_{index}",
            title=translate("agents.churn.step.plan", locale),
            sub_goal=f"account_{index}",
            tool="build_retention_plan",
            inputs={"account_id": item["account_id"], "score": item["score"]},
        )
        assign_inputs = {
            "title": translate("agents.churn.step.assign", locale),
            "instructions": translate("agents.churn.assign_instructions", locale),
            "background": {
                "summary": f"$steps.plan_{index}.summary",
                "risk_factors": f"$steps.plan_{index}.risk_factors",
                "score": item["score"],
                "previous": item["previous"],
            },
            "material": [{"label": "actions", "value": f"$steps.plan_{index}.actions"}],
            "account_id": item["account_id"],
            "due_in_hours": 48,
        }
        schedule = TaskSpec(
            key=f"schedule_{index}",
            title=translate("agents.churn.step.schedule", locale),
            sub_goal=f"account_{index}",
            tool="create_follow_ups",
            inputs={"tasks": f"$steps.plan_{index}.actions"},
            depends_on=[f"assign_{index}"],
            trigger=Condition(operator="eq", path=f"$steps.assign_{index}.outcome", value="done"),
        )
        owner_led.extend(
            [
                plan,
                TaskSpec(
                    key=f"assign_{index}",
                    title=translate("agents.churn.step.assign", locale),
                    sub_goal=f"account_{index}",
                    tool="person_task",
                    executor="person",
                    assignee=f"$steps.plan_{index}.owner_id",
                    inputs=assign_inputs,
                    depends_on=[plan.key],
                ),
                schedule,
            ]
        )
        manager_led.extend(
            [
                plan,
                TaskSpec(
                    key=f"assign_{index}",
                    title=translate("agents.churn.step.assign_manager", locale),
                    sub_goal=f"account_{index}",
                    tool="person_task",
                    executor="person",
                    assignee=f"$steps.plan_{index}.manager_id",
                    inputs=assign_inputs,
                    depends_on=[plan.key],
                ),
                schedule,
            ]
        )
    worst = max((item["score"] for item in facts["accounts"]), default=0.0)
    return [
        CandidatePlan(
            key="owner_led",
            title=translate("agents.churn.plan.owner", locale),
            rationale=translate("agents.churn.plan.owner_why", locale),
            estimate=PlanEstimate(benefit=0.7, cost=0.2, risk=0.2 + 0.2 * worst, hours=48),
            tasks=[*owner_led, remember],
        ),
        CandidatePlan(
            key="manager_led",
            title=translate("agents.churn.plan.manager", locale),
            rationale=translate("agents.churn.plan.manager_why", locale),
            estimate=PlanEstimate(benefit=0.75, cost=0.5, risk=0.15, hours=72),
            tasks=[*manager_led, remember],
        ),
    ]


CHURN_RESCUE = register_agent(
    AgentDefinition(
        name=NAME,
        subject_object=None,
        settings_model=ChurnRescueSettings,
        gather_facts=gather_facts,
        build_goal=build_goal,
        candidate_plans=candidate_plans,
        required_object="accounts",
    )
)
