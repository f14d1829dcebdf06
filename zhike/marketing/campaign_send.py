"""Sending a campaign to a segment, and the agent tool that sends one message.

Both only create send requests; delivery goes through ``sending.dispatch_send``
and its gate like every other path.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.errors import InvalidInput, NotFound
from zhike.core.ids import new_id
from zhike.marketing.automation_models import MessageSend
from zhike.marketing.models import Campaign
from zhike.marketing.segments import get_segment, segment_member_ids
from zhike.marketing.sending import SendRequest, request_send, send_now
from zhike.security.access import require, scope_select
from zhike.security.context import Actor


class CampaignSendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segment_id: uuid.UUID
    channel: str = Field(pattern="^(email|sms|wecom)$")
    purpose: str = "marketing"
    template_id: uuid.UUID | None = None
    subject: str | None = Field(default=None, max_length=500)
    body: str | None = Field(default=None, max_length=20000)
    # Sending the same wave again requests nothing new; a new wave name sends again.
    wave: str = Field(default="1", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")


def send_campaign(
    session: Session, actor: Actor, campaign_id: uuid.UUID, body: CampaignSendBody
) -> int:
    """Request one message per contact of the segment; return how many requests were new."""
    require(actor, "campaigns", "update")
    campaign = session.scalars(
        scope_select(actor, Campaign, select(Campaign), "update").where(Campaign.id == campaign_id)
    ).first()
    if campaign is None:
        raise NotFound("record_not_found", object="campaigns", id=str(campaign_id))
    segment = get_segment(session, actor, body.segment_id)
    if segment.object_name != "contacts":
        raise InvalidInput("marketing_segment_not_contacts", name=segment.name)
    before = _count(session, actor, campaign_id)
    for contact_id in segment_member_ids(session, segment):
        request_send(
            session,
            actor,
            SendRequest(
                contact_id=contact_id,
                channel=body.channel,
                purpose=body.purpose,
                send_key=f"c:{campaign_id.hex}:{body.wave}:{contact_id.hex}",
                path="campaign",
                subject=body.subject,
                body=body.body,
                template_id=body.template_id,
                campaign_id=campaign_id,
            ),
        )
    return _count(session, actor, campaign_id) - before


def _count(session: Session, actor: Actor, campaign_id: uuid.UUID) -> int:
    return len(
        session.scalars(
            select(MessageSend.id).where(
                MessageSend.tenant_id == actor.tenant_id, MessageSend.campaign_id == campaign_id
            )
        ).all()
    )


class SendMessageArguments(BaseModel):
    """Arguments of the ``send_marketing_message`` agent tool."""

    model_config = ConfigDict(extra="forbid")

    contact_id: uuid.UUID
    channel: str = Field(pattern="^(email|sms|wecom)$")
    purpose: str = "marketing"
    subject: str | None = Field(default=None, max_length=500)
    body: str = Field(min_length=1, max_length=20000)


def send_message_tool(
    session: Session, actor: Actor, arguments: SendMessageArguments
) -> dict[str, str | None]:
    """Agent tool: send one message as the agent's user, through the gate like any send.

    TODO: route through human approval once the agent framework has approvals.
    """
    send = send_now(
        session,
        actor,
        SendRequest(
            contact_id=arguments.contact_id,
            channel=arguments.channel,
            purpose=arguments.purpose,
            send_key=f"a:{new_id().hex}",
            path="agent",
            subject=arguments.subject,
            body=arguments.body,
        ),
    )
    return {"send_id": str(send.id), "status": send.status, "reason": send.reason}
