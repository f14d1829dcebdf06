"""Tools every agent shares: tasks for people, follow-up tasks, and gated email."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from zhike.ai.agents.outbound import send_gated_email
from zhike.ai.agents.tools.registry import Tool, ToolContext, ToolFailed, register_tool
from zhike.core.i18n import translate
from zhike.customers.models import Contact
from zhike.platform.records import RecordService
from zhike.sales.objects import ACTIVITIES
from zhike.security.access import scope_select


class RelatedRecords(BaseModel):
    lead_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    opportunity_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None


class MaterialItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(max_length=100)
    value: Any = None


class PersonTaskInput(RelatedRecords):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    instructions: str = Field(min_length=1, max_length=4000)
    background: Any = Field(default=None, description="why the task exists: facts and reasons")
    material: list[MaterialItem] = Field(default_factory=list, max_length=30)
    due_in_hours: int = Field(default=24, ge=1, le=24 * 90)
    assignee_id: uuid.UUID | None = None


class ActivityOutput(BaseModel):
    activity_id: uuid.UUID
    owner_id: uuid.UUID | None
    due_at: str | None = None


def _related(values: RelatedRecords) -> dict[str, Any]:
    return {
        name: getattr(values, name)
        for name in ("lead_id", "account_id", "contact_id", "opportunity_id", "ticket_id")
        if getattr(values, name) is not None
    }


def _render_body(context: ToolContext, arguments: PersonTaskInput) -> str:
    locale = context.actor.locale
    parts = [arguments.instructions]
    if arguments.background:
        background = arguments.background
        text = (
            background
            if isinstance(background, str)
            else json.dumps(background, ensure_ascii=False, indent=1, default=str)
        )
        parts.append(translate("agents.task.background", locale) + "\n" + text)
    if arguments.material:
        lines = [
            f"- {item.label}: "
            + (
                item.value
                if isinstance(item.value, str)
                else json.dumps(item.value, ensure_ascii=False, default=str)
            )
            for item in arguments.material
        ]
        parts.append(translate("agents.task.material", locale) + "\n" + "\n".join(lines))
    parts.append(translate("agents.task.footer", locale, run=str(context.run_id)))
    return "\n\n".join(parts)[:10000]


def assign_person_task(context: ToolContext, arguments: PersonTaskInput) -> ActivityOutput:
    """Create a CRM task for a person with the background and material they need."""
    due = context.now + timedelta(hours=arguments.due_in_hours)
    activity = RecordService(context.session, context.actor, ACTIVITIES).create(
        {
            "kind": "task",
            "subject": arguments.title,
            "body": _render_body(context, arguments),
            "status": "open",
            "occurred_at": context.now,
            "due_at": due,
            "owner_id": arguments.assignee_id or context.actor.user_id,
            **_related(arguments),
        }
    )
    return ActivityOutput(
        activity_id=activity.id, owner_id=activity.owner_id, due_at=due.isoformat()
    )


PERSON_TASK = register_tool(
    Tool(
        name="person_task",
        description="Give a person a CRM task with background and material; waits for their result",
        input_model=PersonTaskInput,
        output_model=ActivityOutput,
        effect="write",
        handler=assign_person_task,
    )
)


class FollowUpInput(RelatedRecords):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["task", "call", "meeting", "email", "visit"] = "task"
    subject: str = Field(min_length=1, max_length=300)
    body: str | None = Field(default=None, max_length=4000)
    due_in_hours: int = Field(default=24, ge=1, le=24 * 90)
    owner_id: uuid.UUID | None = None


class FollowUpsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tasks: list[FollowUpInput] = Field(min_length=1, max_length=20)


class FollowUpsOutput(BaseModel):
    activity_ids: list[uuid.UUID]
    count: int


def create_follow_ups(context: ToolContext, arguments: FollowUpsInput) -> FollowUpsOutput:
    """Schedule open tasks, calls or meetings on the related records."""
    service = RecordService(context.session, context.actor, ACTIVITIES)
    created: list[uuid.UUID] = []
    for task in arguments.tasks:
        due = context.now + timedelta(hours=task.due_in_hours)
        # Only tasks carry a due time; a planned call or meeting is an open activity at that time.
        timing = (
            {"occurred_at": context.now, "due_at": due}
            if task.kind == "task"
            else {"occurred_at": due}
        )
        activity = service.create(
            {
                "kind": task.kind,
                "subject": task.subject,
                "body": task.body,
                "status": "open",
                **timing,
                "owner_id": task.owner_id or context.actor.user_id,
                **_related(task),
            }
        )
        created.append(activity.id)
    return FollowUpsOutput(activity_ids=created, count=len(created))


FOLLOW_UPS = register_tool(
    Tool(
        name="create_follow_ups",
        description="Schedule follow-up tasks, calls or meetings for people on CRM records",
        input_model=FollowUpsInput,
        output_model=FollowUpsOutput,
        effect="write",
        handler=create_follow_ups,
    )
)


class SendEmailInput(RelatedRecords):
    model_config = ConfigDict(extra="forbid")

    recipient: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=10000)
    purpose: Literal["marketing", "product_news", "events", "newsletter", "surveys"] = Field(
        default="marketing", description="the consent purpose the send gate checks"
    )


class SendEmailOutput(BaseModel):
    message_id: str | None
    activity_id: uuid.UUID | None
    is_sent: bool
    status: Literal["sent", "blocked"] = "sent"
    reason: str | None = Field(default=None, description="why the send gate blocked the email")
    contact_id: uuid.UUID | None = None
    send_id: uuid.UUID | None = None


def _readable_contact(context: ToolContext, contact_id: uuid.UUID) -> bool:
    statement = scope_select(
        context.actor, Contact, select(Contact.id).where(Contact.id == contact_id)
    )
    return context.session.scalar(statement) is not None


def send_email(context: ToolContext, arguments: SendEmailInput) -> SendEmailOutput:
    """Send an email to a customer through the send gate and log it as an activity.

    A message the gate blocks (no consent, suppressed, do not contact, no contact
    record) is not sent. The output names the reason, and the run's outcome lists it.
    """
    if context.connectors.mailer is None:
        raise ToolFailed("no SMTP server is configured for this agent", is_retryable=False)
    outcome = send_gated_email(
        context.session,
        context.actor,
        context.connectors.mailer,
        send_key=f"agent:{context.idempotency_key}"[:200],
        recipient=arguments.recipient,
        contact_id=arguments.contact_id,
        subject=arguments.subject,
        body=arguments.body,
        purpose=arguments.purpose,
        now=context.now,
    )
    if outcome.status != "sent":
        return SendEmailOutput(
            message_id=None,
            activity_id=None,
            is_sent=False,
            status="blocked",
            reason=outcome.reason,
            contact_id=outcome.contact_id,
            send_id=outcome.send_id,
        )
    related = _related(arguments)
    # The gate finds the contact by address in the whole tenant. The activity links it only
    # when the person the agent acts for may read it, the same rule as for any user link.
    if outcome.contact_id is not None and _readable_contact(context, outcome.contact_id):
        related.setdefault("contact_id", outcome.contact_id)
    activity = RecordService(context.session, context.actor, ACTIVITIES).create(
        {
            "kind": "email",
            "subject": arguments.subject,
            "body": arguments.body,
            "status": "done",
            "occurred_at": context.now,
            "completed_at": context.now,
            **related,
        }
    )
    return SendEmailOutput(
        message_id=outcome.message_id,
        activity_id=activity.id,
        is_sent=True,
        contact_id=outcome.contact_id,
        send_id=outcome.send_id,
    )


SEND_EMAIL = register_tool(
    Tool(
        name="send_email",
        description=(
            "Send an email to a customer through the consent gate and log it on the related records"
        ),
        input_model=SendEmailInput,
        output_model=SendEmailOutput,
        effect="outbound",
        handler=send_email,
        is_transactional=False,
    )
)
