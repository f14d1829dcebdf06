"""Service-desk endpoints under /service: intake, workflow, queue, SLA, routing and CSAT."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from zhike.api.deps import ActorDep, SessionDep, get_session, request_clock
from zhike.api.records import etag_for, parse_if_match
from zhike.security.admin import require_administrator
from zhike.security.tenancy import bind_tenant
from zhike.service import admin, csat, quality, sla
from zhike.service.desk import TicketDesk
from zhike.service.schemas import (
    AgentProfileBody,
    AgentProfileRead,
    Assignment,
    CustomerMessage,
    IntakeChannel,
    MessageCreate,
    MessageRead,
    QualityScore,
    QueuePage,
    SlaPolicyBody,
    SlaPolicyRead,
    StatusChange,
    Suggestions,
    SurveyAnswer,
    SurveyLink,
    SurveyRead,
    TicketHistory,
    TicketIntake,
    TicketRead,
)
from zhike.service.settings import ServiceSettings

router = APIRouter(prefix="/service", tags=["service"])
public_router = APIRouter(prefix="/service/csat", tags=["service"])


def _ticket_response(desk: TicketDesk, ticket: Any, status_code: int = 200) -> JSONResponse:
    headers = {"ETag": etag_for(ticket), "Location": f"/api/v1/tickets/{ticket.id}"}
    return JSONResponse(desk.records.present(ticket), status_code=status_code, headers=headers)


@router.post("/intake/{channel}", response_model=TicketRead, status_code=status.HTTP_201_CREATED)
def intake(channel: IntakeChannel, body: TicketIntake, session: SessionDep, actor: ActorDep) -> Any:
    """Receive a ticket from a channel; it is numbered, classified, routed and given SLA targets.

    A repeated `external_id` on the same channel (an email resent, a form posted twice)
    returns the ticket created the first time.
    """
    desk = TicketDesk(session, actor)
    ticket = desk.intake(channel, body)
    return _ticket_response(desk, ticket, status.HTTP_201_CREATED)


@router.post("/tickets/{ticket_id}/status", response_model=TicketRead)
def change_status(
    ticket_id: uuid.UUID,
    body: StatusChange,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Move a ticket along the workflow; `pending` (waiting on the customer) pauses the SLA."""
    desk = TicketDesk(session, actor)
    ticket = desk.change_status(
        ticket_id, body.status, parse_if_match(if_match, ticket_id), body.note
    )
    return _ticket_response(desk, ticket)


@router.post("/tickets/{ticket_id}/assign", response_model=TicketRead)
def assign(
    ticket_id: uuid.UUID,
    body: Assignment,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Assign to an agent, or with no `assignee_id` let routing choose by skills, load and turn."""
    desk = TicketDesk(session, actor)
    ticket = desk.assign(ticket_id, body.assignee_id, parse_if_match(if_match, ticket_id))
    return _ticket_response(desk, ticket)


@router.post(
    "/tickets/{ticket_id}/messages", response_model=MessageRead, status_code=status.HTTP_201_CREATED
)
def reply(ticket_id: uuid.UUID, body: MessageCreate, session: SessionDep, actor: ActorDep) -> Any:
    """Reply to the customer or add an internal note; the first reply stops the response clock."""
    message = TicketDesk(session, actor).reply(ticket_id, body.body, body.is_internal)
    return MessageRead.model_validate(message)


@router.post(
    "/tickets/{ticket_id}/customer-messages",
    response_model=MessageRead,
    status_code=status.HTTP_201_CREATED,
)
def customer_message(
    ticket_id: uuid.UUID, body: CustomerMessage, session: SessionDep, actor: ActorDep
) -> Any:
    """Record a customer's message from a channel; it reopens a pending or resolved ticket."""
    return MessageRead.model_validate(
        TicketDesk(session, actor).customer_message(ticket_id, body.body)
    )


@router.get("/tickets/{ticket_id}/history", response_model=TicketHistory)
def history(ticket_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> TicketHistory:
    """Return the conversation and every change of the ticket, oldest first."""
    return TicketDesk(session, actor).history(ticket_id)


@router.get("/queue", response_model=QueuePage)
def queue(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> QueuePage:
    """Open tickets by SLA urgency: breached first, then at risk, then by working time left."""
    now = request_clock(request)
    return QueuePage(items=TicketDesk(session, actor).queue(now, limit, mine), now=now)


@router.get("/tickets/{ticket_id}/quality", response_model=QualityScore)
def ticket_quality(ticket_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> QualityScore:
    """Conversation quality from 0 to 100 with the reasons that make it up."""
    return quality.score_ticket(session, actor, ticket_id)


@router.get("/tickets/{ticket_id}/suggestions", response_model=Suggestions)
def suggestions(ticket_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Suggestions:
    """Knowledge articles that may answer the ticket, and a reply draft from the best one."""
    from zhike.core.i18n import translate
    from zhike.knowledge.service import KnowledgeService

    desk = TicketDesk(session, actor)
    ticket = desk.records.get(ticket_id)
    query = f"{ticket.subject} {ticket.description or ''}"[:500]
    hits = KnowledgeService(session, actor).search(query, 3).hits
    draft = None
    if hits:
        draft = translate(
            "service.draft", actor.locale, subject=ticket.subject, answer=hits[0].answer[:2000]
        )
    return Suggestions(articles=[hit.model_dump(mode="json") for hit in hits], draft=draft)


@router.post("/tickets/{ticket_id}/survey", response_model=SurveyLink)
def survey_link(ticket_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> SurveyLink:
    """Return the signed CSAT token of the latest resolution, to send to the customer."""
    from zhike.core.errors import Conflict

    ticket = TicketDesk(session, actor).records.get(ticket_id, "update")
    survey = csat.latest_survey(session, ticket.id)
    if survey is None:
        raise Conflict("csat_not_resolved", number=ticket.number or "-")
    return SurveyLink(
        survey_id=survey.id,
        token=csat.survey_token(ticket.tenant_id, survey.id),
        expires_at=survey.expires_at,
    )


@router.post("/sla/check")
def run_sla_check(request: Request, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Evaluate open tickets now and escalate those at risk; the worker does this each minute."""
    require_administrator(actor)
    results = sla.check_tenant(session, actor, request_clock(request))
    return {"escalations": results}


@router.get("/sla/policies", response_model=list[SlaPolicyRead])
def list_policies(session: SessionDep, actor: ActorDep) -> Any:
    return admin.list_policies(session, actor)


@router.post("/sla/policies", response_model=SlaPolicyRead, status_code=status.HTTP_201_CREATED)
def create_policy(body: SlaPolicyBody, session: SessionDep, actor: ActorDep) -> Any:
    """Add targets for a priority, optionally only for one customer tier."""
    return admin.create_policy(session, actor, body)


@router.put("/sla/policies/{policy_id}", response_model=SlaPolicyRead)
def update_policy(
    policy_id: uuid.UUID,
    body: SlaPolicyBody,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    expected = int(if_match.strip('"')) if if_match and if_match.strip('"').isdigit() else None
    return admin.update_policy(session, actor, policy_id, body, expected)


@router.delete("/sla/policies/{policy_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_policy(policy_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    admin.delete_policy(session, actor, policy_id)
    return Response(status_code=204)


@router.get("/agents", response_model=list[AgentProfileRead])
def list_agents(session: SessionDep, actor: ActorDep) -> Any:
    return admin.list_agents(session, actor)


@router.put("/agents/{user_id}", response_model=AgentProfileRead)
def put_agent(
    user_id: uuid.UUID, body: AgentProfileBody, session: SessionDep, actor: ActorDep
) -> Any:
    """Set an agent's skills (categories or product names), capacity and availability."""
    profile = admin.put_agent(session, actor, user_id, body)
    return admin.read_agent(session, profile)


@router.get("/settings", response_model=ServiceSettings)
def get_settings(session: SessionDep, actor: ActorDep) -> ServiceSettings:
    return admin.get_service_settings(session, actor)


@router.put("/settings", response_model=ServiceSettings)
def put_settings(body: ServiceSettings, session: SessionDep, actor: ActorDep) -> ServiceSettings:
    """Working hours, holiday calendar, routing keywords, survey validity and bot thresholds."""
    return admin.put_service_settings(session, actor, body)


class SurveyResult(BaseModel):
    rating: int
    responded_at: datetime


PublicSession = Annotated[Session, Depends(get_session, scope="function")]


@public_router.get("/{token}", response_model=SurveyRead)
def read_survey(token: str, session: PublicSession) -> SurveyRead:
    """Return what the survey page shows. It needs no login, only the signed token."""
    tenant_id, _ = csat.parse_token(token)
    bind_tenant(session, tenant_id)
    survey, ticket = csat.find_survey(session, token)
    return SurveyRead(
        ticket_number=ticket.number,
        subject=ticket.subject,
        rating=survey.rating,
        comment=survey.comment,
        responded_at=survey.responded_at,
        expires_at=survey.expires_at,
    )


@public_router.post("/{token}", response_model=SurveyResult)
def answer_survey(
    token: str, body: SurveyAnswer, request: Request, session: PublicSession
) -> SurveyResult:
    """Record the customer's rating once; a second answer or an expired link is rejected."""
    tenant_id, _ = csat.parse_token(token)
    bind_tenant(session, tenant_id)
    survey = csat.answer_survey(session, token, body.rating, body.comment, request_clock(request))
    assert survey.rating is not None
    assert survey.responded_at is not None
    return SurveyResult(rating=survey.rating, responded_at=survey.responded_at)


@router.get("/csat/summary")
def csat_summary(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    from zhike.security.access import require

    require(actor, "tickets", "read")
    return csat.csat_summary(session, actor.tenant_id)
