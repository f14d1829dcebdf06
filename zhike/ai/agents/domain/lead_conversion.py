"""Lead conversion: analyse a new lead, enrich it, score it, write to it and set up follow-ups."""

from __future__ import annotations

import re
import uuid
from typing import Any

import jieba
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from zhike.ai.agents.connectors import CompanyProfile
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
from zhike.ai.llm.gateway import RecordData
from zhike.ai.models.models import ModelScore
from zhike.core.errors import InvalidInput
from zhike.core.i18n import translate
from zhike.core.timeutil import ensure_utc
from zhike.customers.objects import ACCOUNTS
from zhike.platform.query import ListParams
from zhike.platform.records import RecordService
from zhike.sales.objects import LEADS, PRODUCTS

NAME = "lead_conversion"
# Job titles that usually decide or sign, in Chinese and English.
_DECISION_MAKER = re.compile(
    r"总经理|总裁|董事|总监|CEO|CTO|CIO|COO|CFO|VP|副总|负责人|director|head|chief|owner|founder",
    re.IGNORECASE,
)
_INFLUENCER = re.compile(r"经理|主管|manager|lead|architect|工程师|engineer", re.IGNORECASE)


class LeadConversionSettings(BaseAgentSettings):
    hot_threshold: float = Field(default=0.6, gt=0, lt=1)
    warm_threshold: float = Field(default=0.25, gt=0, lt=1)
    products_to_suggest: int = Field(default=2, ge=1, le=5)
    call_within_hours: int = Field(default=4, ge=1, le=72)


# -- tools -----------------------------------------------------------------------------


class LeadInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_id: uuid.UUID


class LeadAnalysis(BaseModel):
    lead_id: uuid.UUID
    lead_name: str
    company: str | None
    title: str | None
    email: str | None
    has_mobile: bool
    lead_source: str | None
    status: str
    seniority: str
    completeness: float
    missing_fields: list[str]
    owner_id: uuid.UUID | None
    interest_text: str


def analyse_lead(context: ToolContext, arguments: LeadInput) -> LeadAnalysis:
    """Read the lead as the acting user and describe the buyer behind it."""
    lead = RecordService(context.session, context.actor, LEADS).get(arguments.lead_id)
    checked = {
        "company": lead.company,
        "title": lead.title,
        "email": lead.email,
        "mobile": lead.mobile or lead.phone,
        "city": lead.city,
        "lead_source": lead.lead_source,
    }
    missing = [name for name, value in checked.items() if not value]
    title = lead.title or ""
    if _DECISION_MAKER.search(title):
        seniority = "decision_maker"
    elif _INFLUENCER.search(title):
        seniority = "influencer"
    else:
        seniority = "other"
    interest = " ".join(part for part in (lead.company, lead.title, lead.description) if part)
    return LeadAnalysis(
        lead_id=lead.id,
        lead_name=lead.name,
        company=lead.company,
        title=lead.title,
        email=lead.email,
        has_mobile=bool(lead.mobile or lead.phone),
        lead_source=lead.lead_source,
        status=lead.status,
        seniority=seniority,
        completeness=round(1 - len(missing) / len(checked), 3),
        missing_fields=missing,
        owner_id=lead.owner_id,
        interest_text=interest,
    )


class ProductMatchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=4000)
    industry: str | None = Field(default=None, max_length=100)
    limit: int = Field(default=2, ge=1, le=10)


class ProductSuggestion(BaseModel):
    product_id: uuid.UUID
    name: str
    series: str | None
    matched_terms: list[str]


class ProductMatchOutput(BaseModel):
    products: list[ProductSuggestion]
    names: str


def _terms(text: str) -> set[str]:
    return {term.lower() for term in jieba.cut_for_search(text) if len(term.strip()) > 1}


def match_products(context: ToolContext, arguments: ProductMatchInput) -> ProductMatchOutput:
    """Rank active catalogue products by the words they share with the lead and its industry."""
    service = RecordService(context.session, context.actor, PRODUCTS)
    page = service.list(ListParams(filters={"is_active": "true"}, limit=200, sort="name"))
    wanted = _terms(" ".join(part for part in (arguments.text, arguments.industry) if part))
    ranked: list[tuple[int, str, Any, list[str]]] = []
    for product in page.items:
        words = _terms(
            " ".join(p for p in (product.name, product.series, product.description) if p)
        )
        shared = sorted(wanted & words)
        price = -(product.list_price or 0)
        ranked.append((-len(shared), str(price), product, shared))
    # Products sharing no word keep catalogue order after the matches, most expensive first.
    ranked.sort(key=lambda item: (item[0], item[1], item[2].name))
    chosen = [
        ProductSuggestion(
            product_id=product.id, name=product.name, series=product.series, matched_terms=shared
        )
        for _, _, product, shared in ranked[: arguments.limit]
    ]
    return ProductMatchOutput(products=chosen, names="、".join(item.name for item in chosen))


class CompanyInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company: str | None = Field(default=None, max_length=200)


class CompanyOutput(BaseModel):
    is_found: bool
    source: str
    profile: CompanyProfile | None = None


def lookup_company(context: ToolContext, arguments: CompanyInput) -> CompanyOutput:
    """Ask the tenant's company-information service about the lead's company."""
    if not arguments.company:
        return CompanyOutput(is_found=False, source="none")
    connector = context.connectors.company_info
    if connector is None:
        raise ToolFailed("no company information service is configured", is_retryable=False)
    profile = connector.lookup(arguments.company)
    return CompanyOutput(is_found=profile is not None, source=connector.name, profile=profile)


def lookup_company_in_crm(context: ToolContext, arguments: CompanyInput) -> CompanyOutput:
    """Describe the company from an account of the same name that the user can read."""
    if not arguments.company:
        return CompanyOutput(is_found=False, source="crm")
    service = RecordService(context.session, context.actor, ACCOUNTS)
    page = service.list(ListParams(filters={}, search=arguments.company, limit=5))
    account = next((item for item in page.items if item.name == arguments.company), None)
    if account is None:
        return CompanyOutput(is_found=False, source="crm")
    profile = CompanyProfile(
        name=account.name,
        industry=account.industry,
        employee_count=account.employee_count,
        founded_year=account.founded_year,
        website=account.website,
        province=account.province,
        city=account.city,
    )
    return CompanyOutput(is_found=True, source="crm", profile=profile)


class LeadScoreOutput(BaseModel):
    score: float
    band: str
    source: str
    model_version_id: uuid.UUID | None
    factors: list[dict[str, Any]]


def score_lead(context: ToolContext, arguments: LeadInput) -> LeadScoreOutput:
    """Score the lead with the tenant's lead_score model, or with cold-start rules before one."""
    from zhike.ai.models.realtime import production_model, record_values, score_values

    lead = RecordService(context.session, context.actor, LEADS).get(arguments.lead_id)
    entry = production_model(context.session, context.actor.tenant_id, "lead_score")
    values = record_values(context.session, context.actor.tenant_id, entry.template, lead)
    probability, factors, source = score_values(entry, values)
    settings = LeadConversionSettings.model_validate(context.config)
    if probability >= settings.hot_threshold:
        band = "hot"
    elif probability >= settings.warm_threshold:
        band = "warm"
    else:
        band = "cold"
    return LeadScoreOutput(
        score=round(probability, 4),
        band=band,
        source=source,
        model_version_id=entry.version_id,
        factors=factors,
    )


class DraftEmailInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_name: str = Field(max_length=200)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=100)
    products: str | None = Field(default=None, max_length=1000)
    industry: str | None = Field(default=None, max_length=100)
    band: str | None = Field(default=None, max_length=20)


class DraftEmailOutput(BaseModel):
    subject: str
    body: str
    source: str


def draft_follow_up_email(context: ToolContext, arguments: DraftEmailInput) -> DraftEmailOutput:
    """Write a personal follow-up email: a template offline, the model with a provider."""
    locale = context.actor.locale
    company = arguments.company or translate("agents.lead.email.your_company", locale)
    products = arguments.products or translate("agents.lead.email.our_products", locale)
    industry_line = (
        translate("agents.lead.email.industry_line", locale, industry=arguments.industry)
        if arguments.industry
        else ""
    )
    subject = translate("agents.lead.email.subject", locale, company=company, products=products)
    body = translate(
        "agents.lead.email.body",
        locale,
        name=arguments.lead_name,
        company=company,
        products=products,
        industry_line=industry_line,
    )
    text, source = compose(
        context,
        "email_draft",
        "Rewrite the template draft as a short, warm, personal follow-up email to a new lead. "
        "Keep the facts; answer with the email body only.",
        body,
        records=[
            RecordData(
                "leads",
                {
                    "name": arguments.lead_name,
                    "company": arguments.company,
                    "title": arguments.title,
                },
            )
        ],
    )
    return DraftEmailOutput(subject=subject[:300], body=text[:10000], source=source)


class LeadStatusInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_id: uuid.UUID
    status: str = Field(pattern=r"^(working|qualified)$")


class LeadStatusOutput(BaseModel):
    lead_id: uuid.UUID
    previous_status: str
    status: str


def update_lead_status(context: ToolContext, arguments: LeadStatusInput) -> LeadStatusOutput:
    """Move a lead forward (new → working); never backwards, so a repeat changes nothing."""
    service = RecordService(context.session, context.actor, LEADS)
    lead = service.get(arguments.lead_id, "update")
    previous = lead.status
    order = ("new", "working", "qualified")
    if previous in order and order.index(previous) < order.index(arguments.status):
        values: dict[str, Any] = {"status": arguments.status}
        if lead.first_contact_at is None:
            values["first_contact_at"] = context.now
        service.update(lead.id, values, None)
    return LeadStatusOutput(lead_id=lead.id, previous_status=previous, status=lead.status)


for tool in (
    Tool(
        "analyse_lead",
        "Read a lead and describe the buyer",
        LeadInput,
        LeadAnalysis,
        "read",
        analyse_lead,
    ),
    Tool(
        "match_products",
        "Suggest catalogue products that fit a text",
        ProductMatchInput,
        ProductMatchOutput,
        "read",
        match_products,
    ),
    Tool(
        "lookup_company",
        "Look a company up in the company-information service",
        CompanyInput,
        CompanyOutput,
        "external",
        lookup_company,
        is_transactional=False,
        is_repeatable=True,
    ),
    Tool(
        "lookup_company_in_crm",
        "Describe a company from a CRM account of the same name",
        CompanyInput,
        CompanyOutput,
        "read",
        lookup_company_in_crm,
    ),
    Tool(
        "score_lead",
        "Score a lead (lead_score model or rules)",
        LeadInput,
        LeadScoreOutput,
        "read",
        score_lead,
    ),
    Tool(
        "draft_follow_up_email",
        "Draft a personal follow-up email to a lead",
        DraftEmailInput,
        DraftEmailOutput,
        "read",
        draft_follow_up_email,
    ),
    Tool(
        "update_lead_status",
        "Move a lead from new to working or qualified",
        LeadStatusInput,
        LeadStatusOutput,
        "write",
        update_lead_status,
    ),
):
    register_tool(tool)


# -- planning --------------------------------------------------------------------------


def gather_facts(context: PlanningContext) -> dict[str, Any]:
    if context.subject_id is None:
        raise InvalidInput("agent_subject_required", agent=NAME, object="leads")
    lead = RecordService(context.session, context.actor, LEADS).get(context.subject_id)
    stored = context.session.scalar(
        select(ModelScore.score).where(
            ModelScore.tenant_id == context.actor.tenant_id,
            ModelScore.template == "lead_score",
            ModelScore.record_id == lead.id,
        )
    )
    return {
        "lead_id": str(lead.id),
        "record_owner_id": str(lead.owner_id) if lead.owner_id else None,
        "status": lead.status,
        "has_email": bool(lead.email),
        "has_mobile": bool(lead.mobile or lead.phone),
        "has_company": bool(lead.company),
        "is_senior": bool(_DECISION_MAKER.search(lead.title or "")),
        "stored_score": stored,
        "created_at": ensure_utc(lead.created_at).isoformat(),
        "has_mailer": context.connectors.mailer is not None,
        "has_company_info": context.connectors.company_info is not None,
    }


def build_goal(context: PlanningContext, facts: dict[str, Any]) -> Goal:
    locale = context.actor.locale
    deadline = context.now.replace(microsecond=0)
    from datetime import timedelta

    def text(key: str) -> str:
        return translate(f"agents.lead.goal.{key}", locale)

    return Goal(
        agent=NAME,
        title=text("title"),
        subject_object="leads",
        subject_id=context.subject_id,
        deadline=deadline + timedelta(days=3),
        sub_goals=[
            SubGoal(
                key="understand",
                title=text("understand"),
                priority=1,
                deadline=deadline + timedelta(hours=1),
                success_criteria=[
                    Criterion(key="analysed", description=text("analysed"), step="analyse"),
                    Criterion(key="scored", description=text("scored"), step="score", field="band"),
                ],
            ),
            SubGoal(
                key="engage",
                title=text("engage"),
                priority=2,
                deadline=deadline + timedelta(days=1),
                success_criteria=[
                    Criterion(
                        key="follow_up",
                        description=text("follow_up"),
                        step="follow_up_hot",
                        alternatives=["follow_up_warm", "follow_up_cold"],
                    ),
                ],
            ),
            SubGoal(
                key="progress",
                title=text("progress"),
                priority=3,
                deadline=deadline + timedelta(days=3),
                success_criteria=[
                    Criterion(key="working", description=text("working"), step="mark_working"),
                ],
            ),
        ],
    )


def _follow_up_tasks(
    locale: str, settings: LeadConversionSettings, calling: bool
) -> list[TaskSpec]:
    """Build one follow-up step per score band, each triggered only by a score in its band."""
    lead = "$steps.analyse.lead_id"
    owner = "$steps.analyse.owner_id"

    def item(kind: str, key: str, hours: int) -> dict[str, Any]:
        return {
            "kind": kind,
            "subject": translate(f"agents.lead.task.{key}", locale),
            "due_in_hours": hours,
            "lead_id": lead,
            "owner_id": owner,
        }

    hot = [item("call", "call_now", settings.call_within_hours), item("meeting", "meeting", 72)]
    warm = [item("call" if calling else "email", "call_soon", 24)]
    cold = [item("task", "nurture", 24 * 7)]
    bands = (("hot", hot), ("warm", warm), ("cold", cold))
    return [
        TaskSpec(
            key=f"follow_up_{band}",
            title=translate(f"agents.lead.step.follow_up_{band}", locale),
            sub_goal="engage",
            tool="create_follow_ups",
            inputs={"tasks": tasks},
            depends_on=["score"],
            trigger=Condition(operator="eq", path="$steps.score.band", value=band),
        )
        for band, tasks in bands
    ]


def candidate_plans(
    context: PlanningContext, facts: dict[str, Any], goal: Goal
) -> list[CandidatePlan]:
    settings = LeadConversionSettings.model_validate(context.settings.model_dump())
    locale = context.actor.locale

    def title(key: str) -> str:
        return translate(f"agents.lead.step.{key}", locale)

    lead_id = facts["lead_id"]
    analyse = TaskSpec(
        key="analyse",
        title=title("analyse"),
        sub_goal="understand",
        tool="analyse_lead",
        inputs={"lead_id": lead_id},
    )
    products = TaskSpec(
        key="products",
        title=title("products"),
        sub_goal="understand",
        tool="match_products",
        inputs={"text": "$steps.analyse.interest_text", "limit": settings.products_to_suggest},
        depends_on=["analyse"],
    )
    enrich_external = TaskSpec(
        key="enrich",
        title=title("enrich"),
        sub_goal="understand",
        tool="lookup_company",
        inputs={"company": "$steps.analyse.company"},
        depends_on=["analyse"],
        executor="external",
        fallback_tools=["lookup_company_in_crm"],
        trigger=Condition(operator="truthy", path="$steps.analyse.company"),
    )
    enrich_crm = TaskSpec(
        key="enrich",
        title=title("enrich"),
        sub_goal="understand",
        tool="lookup_company_in_crm",
        inputs={"company": "$steps.analyse.company"},
        depends_on=["analyse"],
        trigger=Condition(operator="truthy", path="$steps.analyse.company"),
    )
    score = TaskSpec(
        key="score",
        title=title("score"),
        sub_goal="understand",
        tool="score_lead",
        inputs={"lead_id": lead_id},
        depends_on=["analyse"],
    )
    draft = TaskSpec(
        key="draft",
        title=title("draft"),
        sub_goal="engage",
        tool="draft_follow_up_email",
        inputs={
            "lead_name": "$steps.analyse.lead_name",
            "company": "$steps.analyse.company",
            "title": "$steps.analyse.title",
            "products": "$steps.products.names",
            "industry": "$steps.enrich.profile.industry",
            "band": "$steps.score.band",
        },
        depends_on=["products", "enrich", "score"],
    )
    email_inputs = {
        "recipient": "$steps.analyse.email",
        "subject": "$steps.draft.subject",
        "body": "$steps.draft.body",
        "lead_id": lead_id,
    }
    email_known = Condition(operator="truthy", path="$steps.analyse.email")
    if facts.get("has_mailer"):
        send = TaskSpec(
            key="send",
            title=title("send"),
            sub_goal="engage",
            tool="send_email",
            inputs=email_inputs,
            depends_on=["draft"],
            executor="external",
            trigger=email_known,
        )
    else:
        # Without an SMTP server the owner sends the approved draft from their own mailbox.
        send = TaskSpec(
            key="send",
            title=title("send_by_person"),
            sub_goal="engage",
            tool="person_task",
            executor="person",
            assignee="$owner",
            depends_on=["draft"],
            trigger=email_known,
            inputs={
                "title": title("send_by_person"),
                "instructions": translate("agents.lead.send_instructions", locale),
                "material": [
                    {"label": "subject", "value": "$steps.draft.subject"},
                    {"label": "body", "value": "$steps.draft.body"},
                ],
                "lead_id": lead_id,
            },
        )
    mark_working = TaskSpec(
        key="mark_working",
        title=title("mark_working"),
        sub_goal="progress",
        tool="update_lead_status",
        inputs={"lead_id": lead_id, "status": "working"},
        depends_on=["score"],
        trigger=Condition(operator="eq", path="$facts.status", value="new"),
    )
    has_email = bool(facts.get("has_email"))
    has_mobile = bool(facts.get("has_mobile"))
    senior = bool(facts.get("is_senior"))
    understand = [analyse, products, score]
    return [
        CandidatePlan(
            key="email_and_call",
            title=translate("agents.lead.plan.email_and_call", locale),
            rationale=translate("agents.lead.plan.email_and_call_why", locale),
            estimate=PlanEstimate(
                benefit=min(1.0, 0.6 + 0.2 * has_email + 0.1 * has_mobile + 0.1 * senior),
                cost=0.4,
                risk=0.25,
                hours=24,
            ),
            tasks=[
                *understand,
                enrich_external if facts.get("has_company_info") else enrich_crm,
                draft,
                send,
                *_follow_up_tasks(locale, settings, calling=has_mobile),
                mark_working,
            ],
        ),
        CandidatePlan(
            key="call_first",
            title=translate("agents.lead.plan.call_first", locale),
            rationale=translate("agents.lead.plan.call_first_why", locale),
            estimate=PlanEstimate(
                benefit=min(1.0, 0.45 + 0.25 * has_mobile + 0.1 * senior),
                cost=0.3,
                risk=0.1,
                hours=24,
            ),
            tasks=[
                *understand,
                enrich_crm,
                *_follow_up_tasks(locale, settings, calling=True),
                mark_working,
            ],
        ),
        CandidatePlan(
            key="nurture",
            title=translate("agents.lead.plan.nurture", locale),
            rationale=translate("agents.lead.plan.nurture_why", locale),
            estimate=PlanEstimate(benefit=0.35 + 0.15 * has_email, cost=0.15, risk=0.15, hours=168),
            tasks=[
                *understand,
                enrich_crm,
                draft,
                send,
                *_follow_up_tasks(locale, settings, calling=False),
            ],
        ),
    ]


LEAD_CONVERSION = register_agent(
    AgentDefinition(
        name=NAME,
        subject_object="leads",
        settings_model=LeadConversionSettings,
        gather_facts=gather_facts,
        build_goal=build_goal,
        candidate_plans=candidate_plans,
        required_object="leads",
    )
)
