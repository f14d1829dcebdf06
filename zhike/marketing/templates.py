"""Message templates: merge fields and conditional blocks in a sandboxed Jinja2 environment.

Templates are written by tenant users, so they run in Jinja2's sandbox (no
attribute access to Python internals) with autoescaping for HTML bodies.
Merge data is a plain dictionary of the contact's and account's fields; a
missing field renders as empty text rather than failing a whole campaign.
"""

from __future__ import annotations

import logging
import uuid
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateSyntaxError, Undefined
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.ai.llm.errors import LLMUnavailable
from zhike.core.errors import Conflict, InvalidInput, NotFound
from zhike.customers.models import Account, Contact
from zhike.marketing.automation_models import MessageTemplate
from zhike.security.access import require
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

_HTML = SandboxedEnvironment(autoescape=True, undefined=Undefined)
_TEXT = SandboxedEnvironment(autoescape=False, undefined=Undefined)
MERGE_FIELDS = ("name", "title", "department", "city", "province", "country", "gender")
MAX_VARIANTS = 5


def check_syntax(text: str, part: str) -> None:
    try:
        _TEXT.parse(text)
    except TemplateSyntaxError as error:
        raise InvalidInput(
            "marketing_template_syntax", part=part, line=error.lineno, reason=error.message
        ) from None


def merge_data(session: Session, contact: Contact, extra: dict[str, Any]) -> dict[str, Any]:
    """Collect the values a template may use: contact fields, custom fields, account and links."""
    data: dict[str, Any] = {name: getattr(contact, name) for name in MERGE_FIELDS}
    data["custom"] = dict(contact.custom or {})
    account = session.get(Account, contact.account_id) if contact.account_id else None
    data["account"] = (
        {"name": account.name, "industry": account.industry, "tier": account.tier}
        if account is not None
        else {}
    )
    return {"contact": data, **extra}


@lru_cache(maxsize=256)
def _compiled(text: str, html: bool) -> Template:
    return (_HTML if html else _TEXT).from_string(text)


def render(text: str, data: dict[str, Any], *, html: bool) -> str:
    try:
        return _compiled(text, html).render(**data)
    except (TemplateSyntaxError, SecurityError, UndefinedError, TypeError) as error:
        raise InvalidInput("marketing_template_render", reason=str(error)[:200]) from None


# -- stored templates -------------------------------------------------------------


class TemplateBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    channel: str = Field(pattern="^(email|sms|wecom)$")
    subject: str | None = Field(default=None, max_length=500)
    body: str = Field(min_length=1, max_length=20000)


def save_template(
    session: Session, actor: Actor, body: TemplateBody, template_id: uuid.UUID | None = None
) -> MessageTemplate:
    require(actor, "journeys", "update" if template_id else "create")
    if body.subject:
        check_syntax(body.subject, "subject")
    check_syntax(body.body, "body")
    clash = session.scalar(
        select(MessageTemplate.id).where(
            MessageTemplate.tenant_id == actor.tenant_id, MessageTemplate.name == body.name
        )
    )
    if clash is not None and clash != template_id:
        raise Conflict("marketing_name_taken", name=body.name)
    if template_id is None:
        row = MessageTemplate(tenant_id=actor.tenant_id, **body.model_dump())
        session.add(row)
    else:
        row = get_template(session, actor, template_id)
        for key, value in body.model_dump().items():
            setattr(row, key, value)
        row.version += 1
    session.flush()
    return row


def get_template(session: Session, actor: Actor, template_id: uuid.UUID) -> MessageTemplate:
    require(actor, "journeys", "read")
    row = session.get(MessageTemplate, template_id)
    if row is None or row.tenant_id != actor.tenant_id:
        raise NotFound("marketing_template_not_found", id=str(template_id))
    return row


def list_templates(session: Session, actor: Actor) -> list[MessageTemplate]:
    require(actor, "journeys", "read")
    return list(
        session.scalars(
            select(MessageTemplate)
            .where(MessageTemplate.tenant_id == actor.tenant_id)
            .order_by(MessageTemplate.name)
        )
    )


# -- generated variants ------------------------------------------------------------


class Variant(BaseModel):
    subject: str | None = Field(default=None, max_length=500)
    body: str = Field(min_length=1, max_length=20000)


class VariantList(BaseModel):
    variants: list[Variant] = Field(min_length=1, max_length=MAX_VARIANTS)


# Offline rewrites of a subject line: each keeps the merge fields and changes the framing.
_OFFLINE_SUBJECTS = {
    "zh": ("【限时】{s}", "{s}——为您精选", "您好，{s}"),
    "en": ("Limited time: {s}", "{s}, picked for you", "Hello! {s}"),
}


def offline_variants(row: MessageTemplate, count: int, locale: str) -> list[Variant]:
    forms = _OFFLINE_SUBJECTS["zh" if locale.startswith("zh") else "en"]
    variants = []
    for index in range(count):
        form = forms[index % len(forms)]
        subject = form.format(s=row.subject) if row.subject else None
        variants.append(Variant(subject=subject, body=row.body))
    return variants


def generate_variants(
    session: Session, actor: Actor, template_id: uuid.UUID, count: int
) -> tuple[list[Variant], str]:
    """Propose ``count`` variants through the LLM gateway, or offline rewrites when none answers.

    The template text goes to the gateway, which redacts personal data before any
    provider receives it. A proposal that breaks the template syntax is dropped.
    Returns the variants and where they came from (a provider name or ``offline``).
    """
    from zhike.ai.llm.gateway import LLMGateway, LLMRequest

    row = get_template(session, actor, template_id)
    count = max(1, min(count, MAX_VARIANTS))
    request = LLMRequest(
        purpose="email_draft",
        instruction=(
            f"Write {count} alternative versions of this marketing message for an A/B test. "
            "Keep every {{ ... }} and {% ... %} block exactly as written. "
            'Answer as JSON: {"variants": [{"subject": "...", "body": "..."}]}.'
        ),
        documents=[f"Subject: {row.subject or ''}\n\n{row.body}"],
        response_model=VariantList,
    )
    try:
        result = LLMGateway().complete(session, actor, request)
    except LLMUnavailable:
        return offline_variants(row, count, actor.locale), "offline"
    if not isinstance(result.parsed, VariantList) or result.provider == "local":
        return offline_variants(row, count, actor.locale), "offline"
    usable = []
    for variant in result.parsed.variants[:count]:
        try:
            check_syntax(variant.body, "body")
            if variant.subject:
                check_syntax(variant.subject, "subject")
        except InvalidInput:
            logger.info("generated variant dropped: invalid template syntax")
            continue
        usable.append(variant)
    return (usable or offline_variants(row, count, actor.locale)), result.provider
