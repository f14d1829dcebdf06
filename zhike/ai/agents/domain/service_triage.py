"""Service triage: classify and route a ticket, draft a reply from the knowledge base, escalate."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from zhike.ai.agents.definition import AgentDefinition, PlanningContext, register_agent
from zhike.ai.agents.drafting import compose
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
from zhike.ai.agents.tools.registry import Tool, ToolContext, ToolFailed, register_tool
from zhike.ai.models.coldstart import lexicon_sentiment
from zhike.core.errors import Forbidden, InvalidInput, NotFound
from zhike.core.i18n import translate
from zhike.customers.objects import CONTACTS
from zhike.knowledge.service import KnowledgeService
from zhike.platform.records import RecordService
from zhike.security.access import scope_select
from zhike.security.models import User
from zhike.service.models import Ticket
from zhike.service.objects import TICKETS

NAME = "service_triage"

DEFAULT_KEYWORDS: dict[str, list[str]] = {
    "故障报修": [
        "离线",
        "故障",
        "无法",
        "中断",
        "异常",
        "报错",
        "告警",
        "offline",
        "error",
        "down",
    ],
    "安装部署": ["安装", "部署", "升级", "固件", "install", "deploy", "upgrade", "firmware"],
    "账号权限": ["账号", "密码", "权限", "登录", "account", "password", "login", "permission"],
    "功能咨询": ["如何", "怎么", "配置", "导出", "使用", "how", "configure", "export"],
    "发票开具": ["发票", "开票", "invoice"],
    "数据导入": ["导入", "import", "批量"],
}
DEFAULT_ESCALATION = [
    "投诉",
    "退款",
    "律师",
    "曝光",
    "赔偿",
    "停产",
    "complaint",
    "refund",
    "lawyer",
]


class ServiceTriageSettings(BaseAgentSettings):
    category_keywords: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_KEYWORDS))
    escalation_keywords: list[str] = Field(default_factory=lambda: list(DEFAULT_ESCALATION))
    # Users tickets are routed to; empty means every active service agent of the tenant.
    agent_emails: list[str] = Field(default_factory=list, max_length=200)
    min_model_confidence: float = Field(default=0.5, gt=0, lt=1)
    negative_sentiment_below: float = Field(default=0.3, gt=0, lt=1)


class TicketInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: uuid.UUID


class TicketFacts(BaseModel):
    ticket_id: uuid.UUID
    subject: str
    description: str | None
    text: str
    status: str
    priority: str
    category: str | None
    owner_id: uuid.UUID | None
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    customer_email: str | None
    customer_name: str | None


def read_ticket(context: ToolContext, arguments: TicketInput) -> TicketFacts:
    ticket = RecordService(context.session, context.actor, TICKETS).get(arguments.ticket_id)
    email = name = None
    if ticket.contact_id is not None:
        try:
            contact = RecordService(context.session, context.actor, CONTACTS).get(ticket.contact_id)
        except (NotFound, Forbidden):
            contact = None
        if contact is not None and not contact.do_not_contact:
            email, name = contact.email, contact.name
    return TicketFacts(
        ticket_id=ticket.id,
        subject=ticket.subject,
        description=ticket.description,
        text=f"{ticket.subject}\n{ticket.description or ''}".strip(),
        status=ticket.status,
        priority=ticket.priority,
        category=ticket.category,
        owner_id=ticket.owner_id,
        account_id=ticket.account_id,
        contact_id=ticket.contact_id,
        customer_email=email,
        customer_name=name,
    )


class HistoryOutput(BaseModel):
    customer: str | None
    open_issues: int
    other_open_tickets: int
    linked_events: int
    recent: list[dict[str, Any]]


def customer_history(context: ToolContext, arguments: TicketInput) -> HistoryOutput:
    """Summarise the customer's recent history around the ticket from the context engine."""
    from zhike.ai.context.schemas import Subject, Where
    from zhike.ai.context.service import build_context

    found = build_context(
        context.session,
        context.actor,
        Subject(ticket_id=arguments.ticket_id),
        Where(module="service"),
        now=context.now,
    )
    customer = found.customer
    name = None
    if customer is not None:
        name = customer.account_name or customer.contact_name
    other_tickets = [
        item
        for item in found.items
        if item.object == "tickets" and item.is_open and item.id != arguments.ticket_id
    ]
    recent = [
        {
            "kind": item.kind,
            "title": item.title,
            "status": item.status,
            "occurred_at": item.occurred_at.isoformat(),
            "is_open": item.is_open,
        }
        for item in found.ranked()[:5]
    ]
    return HistoryOutput(
        customer=name,
        open_issues=len(found.open_issues),
        other_open_tickets=len(other_tickets),
        linked_events=len(found.links),
        recent=recent,
    )


class ClassifyInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10000)
    priority: str | None = None


class Classification(BaseModel):
    category: str | None
    confidence: float
    source: str
    matched_keywords: list[str]
    sentiment: float
    priority: str
    needs_escalation: bool
    escalation_reasons: list[str]


def _model_category(context: ToolContext, text: str) -> tuple[str, float] | None:
    from zhike.ai.models.scoring import cached_model
    from zhike.ai.models.training import current_production

    version = current_production(context.session, context.actor.tenant_id, "ticket_category")
    if version is None:
        return None
    model = cached_model(version)
    probabilities = model.pipeline.predict_proba([text])[0]
    best = int(probabilities.argmax())
    return str(model.classes[best]), float(probabilities[best])


def classify_ticket(context: ToolContext, arguments: ClassifyInput) -> Classification:
    """Classify with the ticket_category model when trained and sure enough, else keywords."""
    settings = ServiceTriageSettings.model_validate(context.config)
    lowered = arguments.text.lower()
    category: str | None = None
    confidence = 0.0
    source = "rules"
    matched: list[str] = []

    predicted = _model_category(context, arguments.text)
    if predicted is not None and predicted[1] >= settings.min_model_confidence:
        category, confidence = predicted
        source = "model"
    else:
        best = 0
        for name, words in settings.category_keywords.items():
            hits = [word for word in words if word.lower() in lowered]
            if len(hits) > best:
                category, best, matched = name, len(hits), hits
        confidence = round(min(1.0, 0.4 + 0.2 * best), 3) if best else 0.0

    scores, _ = lexicon_sentiment([arguments.text])
    sentiment = round(float(scores[0]), 3)
    reasons = [word for word in settings.escalation_keywords if word.lower() in lowered]
    if sentiment < settings.negative_sentiment_below:
        reasons.append("negative_sentiment")
    if arguments.priority == "urgent":
        reasons.append("urgent_priority")
    priority = arguments.priority or "normal"
    if reasons and priority in ("low", "normal"):
        priority = "high"
    return Classification(
        category=category,
        confidence=confidence,
        source=source,
        matched_keywords=matched,
        sentiment=sentiment,
        priority=priority,
        needs_escalation=bool(reasons),
        escalation_reasons=reasons,
    )


class RouteInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: uuid.UUID
    category: str | None = Field(default=None, max_length=100)
    priority: str | None = Field(default=None, pattern=r"^(low|normal|high|urgent)$")


class RouteOutput(BaseModel):
    ticket_id: uuid.UUID
    owner_id: uuid.UUID | None
    escalation_to: uuid.UUID | None
    category: str | None
    priority: str
    open_tickets_of_owner: int


def _candidates(context: ToolContext, settings: ServiceTriageSettings) -> list[User]:
    statement = scope_select(context.actor, User, select(User)).where(User.is_active.is_(True))
    if settings.agent_emails:
        statement = statement.where(User.email.in_(settings.agent_emails))
    else:
        statement = statement.where(User.role == "service_agent")
    return list(context.session.scalars(statement.order_by(User.email)))


def route_ticket(context: ToolContext, arguments: RouteInput) -> RouteOutput:
    """Give the ticket to the service agent with the fewest open tickets, and set its class."""
    settings = ServiceTriageSettings.model_validate(context.config)
    service = RecordService(context.session, context.actor, TICKETS)
    ticket = service.get(arguments.ticket_id, "update")
    people = _candidates(context, settings)
    if not people:
        raise ToolFailed("no active service agent to route the ticket to", is_retryable=False)
    loads = dict(
        context.session.execute(
            scope_select(
                context.actor, Ticket, select(Ticket.owner_id, func.count()).select_from(Ticket)
            )
            .where(Ticket.status.in_(("new", "open", "pending")))
            .group_by(Ticket.owner_id)
        ).all()
    )

    chosen = min(people, key=lambda user: (loads.get(user.id, 0), user.email))
    values: dict[str, Any] = {"owner_id": chosen.id}
    if arguments.category:
        values["category"] = arguments.category
    if arguments.priority:
        values["priority"] = arguments.priority
    if ticket.status == "new":
        values["status"] = "open"
    service.update(ticket.id, values, None)
    return RouteOutput(
        ticket_id=ticket.id,
        owner_id=chosen.id,
        escalation_to=chosen.manager_id,
        category=ticket.category,
        priority=ticket.priority,
        open_tickets_of_owner=int(loads.get(chosen.id, 0)),
    )


class ReplyInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10000)
    subject: str = Field(max_length=300)
    customer_name: str | None = Field(default=None, max_length=200)


class ReplyOutput(BaseModel):
    subject: str
    body: str
    article_ids: list[uuid.UUID]
    is_grounded: bool
    source: str


def draft_ticket_reply(context: ToolContext, arguments: ReplyInput) -> ReplyOutput:
    """Draft the reply from published knowledge-base entries; a holding reply when none match."""
    locale = context.actor.locale
    found = KnowledgeService(context.session, context.actor).search(arguments.text, limit=3)
    hits = found.hits
    greeting = arguments.customer_name or translate("agents.triage.customer", locale)
    subject = translate("agents.triage.reply_subject", locale, subject=arguments.subject)
    if not hits:
        body = translate("agents.triage.reply_no_answer", locale, name=greeting)
        return ReplyOutput(
            subject=subject, body=body, article_ids=[], is_grounded=False, source="template"
        )
    template = translate(
        "agents.triage.reply_body", locale, name=greeting, answer=hits[0].answer.strip()
    )
    body, source = compose(
        context,
        "answer_generation",
        "Write a polite reply to the customer's ticket using only the knowledge-base answers.",
        template,
        documents=[hit.answer for hit in hits],
    )
    return ReplyOutput(
        subject=subject[:300],
        body=body[:10000],
        article_ids=[hit.article_id for hit in hits],
        is_grounded=True,
        source=source,
    )


for tool in (
    Tool(
        "read_ticket",
        "Read a ticket and its customer contact",
        TicketInput,
        TicketFacts,
        "read",
        read_ticket,
    ),
    Tool(
        "customer_history",
        "Summarise the customer's recent history around a ticket (context engine)",
        TicketInput,
        HistoryOutput,
        "read",
        customer_history,
    ),
    Tool(
        "classify_ticket",
        "Classify a ticket (ticket_category model or keyword rules) and judge urgency",
        ClassifyInput,
        Classification,
        "read",
        classify_ticket,
    ),
    Tool(
        "route_ticket",
        "Assign a ticket to the least loaded service agent",
        RouteInput,
        RouteOutput,
        "write",
        route_ticket,
    ),
    Tool(
        "draft_ticket_reply",
        "Draft a reply to a ticket from the knowledge base",
        ReplyInput,
        ReplyOutput,
        "read",
        draft_ticket_reply,
    ),
):
    register_tool(tool)


def gather_facts(context: PlanningContext) -> dict[str, Any]:
    if context.subject_id is None:
        raise InvalidInput("agent_subject_required", agent=NAME, object="tickets")
    ticket = RecordService(context.session, context.actor, TICKETS).get(context.subject_id)
    return {
        "ticket_id": str(ticket.id),
        "record_owner_id": str(ticket.owner_id) if ticket.owner_id else None,
        "status": ticket.status,
        "priority": ticket.priority,
        "has_contact": ticket.contact_id is not None,
        "has_mailer": context.connectors.mailer is not None,
    }


def build_goal(context: PlanningContext, facts: dict[str, Any]) -> Goal:
    locale = context.actor.locale
    start = context.now.replace(microsecond=0)

    def text(key: str) -> str:
        return translate(f"agents.triage.goal.{key}", locale)

    urgent = facts.get("priority") in ("high", "urgent")
    return Goal(
        agent=NAME,
        title=text("title"),
        subject_object="tickets",
        subject_id=context.subject_id,
        deadline=start + timedelta(hours=4 if urgent else 24),
        sub_goals=[
            SubGoal(
                key="classify",
                title=text("classify"),
                priority=1,
                deadline=start + timedelta(minutes=15),
                success_criteria=[
                    Criterion(
                        key="classified",
                        description=text("classified"),
                        step="classify",
                        field="category",
                    ),
                ],
            ),
            SubGoal(
                key="route",
                title=text("route"),
                priority=1,
                deadline=start + timedelta(hours=1),
                success_criteria=[
                    Criterion(
                        key="routed", description=text("routed"), step="route", field="owner_id"
                    ),
                ],
            ),
            SubGoal(
                key="answer",
                title=text("answer"),
                priority=2,
                deadline=start + timedelta(hours=4 if urgent else 24),
                success_criteria=[
                    Criterion(
                        key="drafted",
                        description=text("drafted"),
                        step="reply",
                        field="is_grounded",
                    ),
                ],
            ),
        ],
    )


def candidate_plans(
    context: PlanningContext, facts: dict[str, Any], goal: Goal
) -> list[CandidatePlan]:
    locale = context.actor.locale

    def title(key: str) -> str:
        return translate(f"agents.triage.step.{key}", locale)

    ticket_id = facts["ticket_id"]
    read = TaskSpec(
        key="read",
        title=title("read"),
        sub_goal="classify",
        tool="read_ticket",
        inputs={"ticket_id": ticket_id},
    )
    history = TaskSpec(
        key="history",
        title=title("history"),
        sub_goal="classify",
        tool="customer_history",
        inputs={"ticket_id": ticket_id},
        depends_on=["read"],
    )
    classify = TaskSpec(
        key="classify",
        title=title("classify"),
        sub_goal="classify",
        tool="classify_ticket",
        inputs={"text": "$steps.read.text", "priority": "$steps.read.priority"},
        depends_on=["read"],
    )
    route = TaskSpec(
        key="route",
        title=title("route"),
        sub_goal="route",
        tool="route_ticket",
        inputs={
            "ticket_id": ticket_id,
            "category": "$steps.classify.category",
            "priority": "$steps.classify.priority",
        },
        depends_on=["classify"],
    )
    reply = TaskSpec(
        key="reply",
        title=title("reply"),
        sub_goal="answer",
        tool="draft_ticket_reply",
        inputs={
            "text": "$steps.read.text",
            "subject": "$steps.read.subject",
            "customer_name": "$steps.read.customer_name",
        },
        depends_on=["classify"],
    )
    can_send = Condition(operator="truthy", path="$steps.read.customer_email")
    reply_inputs = {
        "recipient": "$steps.read.customer_email",
        "subject": "$steps.reply.subject",
        "body": "$steps.reply.body",
        "ticket_id": ticket_id,
        "account_id": "$steps.read.account_id",
        "contact_id": "$steps.read.contact_id",
    }
    if facts.get("has_mailer"):
        send = TaskSpec(
            key="send_reply",
            title=title("send_reply"),
            sub_goal="answer",
            tool="send_email",
            executor="external",
            inputs=reply_inputs,
            depends_on=["reply", "route"],
            trigger=can_send,
        )
    else:
        send = TaskSpec(
            key="send_reply",
            title=title("send_by_person"),
            sub_goal="answer",
            tool="person_task",
            executor="person",
            assignee="$steps.route.owner_id",
            depends_on=["reply", "route"],
            trigger=can_send,
            inputs={
                "title": title("send_by_person"),
                "instructions": translate("agents.triage.send_instructions", locale),
                "material": [
                    {"label": "subject", "value": "$steps.reply.subject"},
                    {"label": "body", "value": "$steps.reply.body"},
                ],
                "ticket_id": ticket_id,
            },
        )
    escalate = TaskSpec(
        key="escalate",
        title=title("escalate"),
        sub_goal="route",
        tool="person_task",
        executor="person",
        assignee="$steps.route.escalation_to",
        depends_on=["route", "history"],
        trigger=Condition(operator="truthy", path="$steps.classify.needs_escalation"),
        inputs={
            "title": title("escalate"),
            "instructions": translate("agents.triage.escalate_instructions", locale),
            "background": {
                "reasons": "$steps.classify.escalation_reasons",
                "sentiment": "$steps.classify.sentiment",
                "priority": "$steps.classify.priority",
                "other_open_tickets": "$steps.history.other_open_tickets",
            },
            "material": [
                {"label": "ticket", "value": "$steps.read.text"},
                {"label": "history", "value": "$steps.history.recent"},
            ],
            "ticket_id": ticket_id,
            "due_in_hours": 2,
        },
    )
    supervisor_routes = TaskSpec(
        key="route",
        title=title("route_by_person"),
        sub_goal="route",
        tool="person_task",
        executor="person",
        assignee="$manager",
        depends_on=["classify"],
        inputs={
            "title": title("route_by_person"),
            "instructions": translate("agents.triage.route_instructions", locale),
            "background": {
                "category": "$steps.classify.category",
                "priority": "$steps.classify.priority",
                "reasons": "$steps.classify.escalation_reasons",
            },
            "ticket_id": ticket_id,
            "due_in_hours": 1,
        },
    )
    urgent = facts.get("priority") in ("high", "urgent")
    return [
        CandidatePlan(
            key="auto_triage",
            title=translate("agents.triage.plan.auto", locale),
            rationale=translate("agents.triage.plan.auto_why", locale),
            estimate=PlanEstimate(benefit=0.85, cost=0.2, risk=0.3 if urgent else 0.2, hours=1),
            tasks=[read, history, classify, route, reply, send, escalate],
        ),
        CandidatePlan(
            key="supervisor_triage",
            title=translate("agents.triage.plan.supervisor", locale),
            rationale=translate("agents.triage.plan.supervisor_why", locale),
            estimate=PlanEstimate(benefit=0.7, cost=0.5, risk=0.1, hours=4),
            tasks=[read, history, classify, supervisor_routes, reply],
        ),
    ]


SERVICE_TRIAGE = register_agent(
    AgentDefinition(
        name=NAME,
        subject_object="tickets",
        settings_model=ServiceTriageSettings,
        gather_facts=gather_facts,
        build_goal=build_goal,
        candidate_plans=candidate_plans,
        required_object="tickets",
    )
)
