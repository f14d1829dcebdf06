"""Administration of the service desk: SLA policies, agent profiles and service settings.

Reading needs the ``tickets`` read grant; changing needs the administrator
role. Every change is audited.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import NotFound, PreconditionFailed, ValidationFailed
from zhike.platform.normalize import field_error
from zhike.security.access import require
from zhike.security.admin import require_administrator
from zhike.security.context import Actor
from zhike.security.models import User
from zhike.service.models import AgentProfile, SlaPolicy
from zhike.service.routing import agent_loads, require_ticket_worker
from zhike.service.schemas import AgentProfileBody, AgentProfileRead, SlaPolicyBody
from zhike.service.settings import ServiceSettings, load_settings, save_settings


def list_policies(session: Session, actor: Actor) -> list[SlaPolicy]:
    require(actor, "tickets", "read")
    return list(
        session.scalars(
            select(SlaPolicy)
            .where(SlaPolicy.tenant_id == actor.tenant_id)
            .order_by(SlaPolicy.priority, SlaPolicy.customer_tier, SlaPolicy.name)
        )
    )


ESCALATION_STEPS = ("notify", "reassign", "raise_priority")


def _check_policy(actor: Actor, body: SlaPolicyBody) -> None:
    """Reject unknown escalation steps and a resolution target before the first response."""
    errors = [
        field_error(
            actor,
            f"escalation.{step}",
            step,
            "sla_unknown_escalation_step",
            allowed=", ".join(ESCALATION_STEPS),
        )
        for step in body.escalation
        if step not in ESCALATION_STEPS
    ]
    if body.resolution_minutes < body.first_response_minutes:
        errors.append(
            field_error(
                actor,
                "resolution_minutes",
                body.resolution_minutes,
                "sla_resolution_before_response",
                first_response=body.first_response_minutes,
            )
        )
    if errors:
        raise ValidationFailed(errors)


def create_policy(session: Session, actor: Actor, body: SlaPolicyBody) -> SlaPolicy:
    require_administrator(actor)
    _check_policy(actor, body)
    policy = SlaPolicy(tenant_id=actor.tenant_id, **body.model_dump())
    session.add(policy)
    session.flush()
    record_event(
        session,
        actor,
        "service.sla_policy.create",
        object_name="sla_policies",
        record_id=policy.id,
        details=body.model_dump(mode="json"),
    )
    return policy


def _policy(session: Session, actor: Actor, policy_id: uuid.UUID) -> SlaPolicy:
    policy = session.scalar(
        select(SlaPolicy).where(SlaPolicy.id == policy_id, SlaPolicy.tenant_id == actor.tenant_id)
    )
    if policy is None:
        raise NotFound("sla_policy_not_found", id=str(policy_id))
    return policy


def update_policy(
    session: Session,
    actor: Actor,
    policy_id: uuid.UUID,
    body: SlaPolicyBody,
    expected_version: int | None,
) -> SlaPolicy:
    """Replace a policy; open tickets keep their due times until their priority or tier changes."""
    require_administrator(actor)
    _check_policy(actor, body)
    policy = _policy(session, actor, policy_id)
    if expected_version is not None and policy.version != expected_version:
        raise PreconditionFailed(
            "version_mismatch", expected=expected_version, current=policy.version
        )
    before = {name: getattr(policy, name) for name in SlaPolicyBody.model_fields}
    for name, value in body.model_dump().items():
        setattr(policy, name, value)
    policy.version += 1
    session.flush()
    changes = {
        name: [before[name], value]
        for name, value in body.model_dump().items()
        if before[name] != value
    }
    record_event(
        session,
        actor,
        "service.sla_policy.update",
        object_name="sla_policies",
        record_id=policy.id,
        changes=changes,
    )
    return policy


def delete_policy(session: Session, actor: Actor, policy_id: uuid.UUID) -> None:
    """Deactivate a policy; tickets that used it keep their history."""
    require_administrator(actor)
    policy = _policy(session, actor, policy_id)
    policy.is_active = False
    policy.version += 1
    session.flush()
    record_event(
        session,
        actor,
        "service.sla_policy.deactivate",
        object_name="sla_policies",
        record_id=policy.id,
    )


def list_agents(session: Session, actor: Actor) -> list[AgentProfileRead]:
    require(actor, "tickets", "read")
    loads = agent_loads(session, actor.tenant_id)
    rows = session.execute(
        select(AgentProfile, User.display_name)
        .join(User, User.id == AgentProfile.user_id)
        .where(AgentProfile.tenant_id == actor.tenant_id)
        .order_by(User.display_name, User.id)
    ).all()
    return [_agent_read(profile, name, loads.get(profile.user_id, 0)) for profile, name in rows]


def read_agent(session: Session, profile: AgentProfile) -> AgentProfileRead:
    name = session.scalar(select(User.display_name).where(User.id == profile.user_id))
    load = agent_loads(session, profile.tenant_id).get(profile.user_id, 0)
    return _agent_read(profile, name or "", load)


def _agent_read(profile: AgentProfile, display_name: str, open_tickets: int) -> AgentProfileRead:
    return AgentProfileRead(
        user_id=profile.user_id,
        display_name=display_name,
        skills=list(profile.skills or []),
        max_open_tickets=profile.max_open_tickets,
        is_available=profile.is_available,
        wecom_user_id=profile.wecom_user_id,
        last_assigned_at=profile.last_assigned_at,
        open_tickets=open_tickets,
    )


def put_agent(
    session: Session, actor: Actor, user_id: uuid.UUID, body: AgentProfileBody
) -> AgentProfile:
    require_administrator(actor)
    user = session.scalar(
        select(User).where(
            User.id == user_id, User.tenant_id == actor.tenant_id, User.deleted_at.is_(None)
        )
    )
    if user is None:
        raise NotFound("user_not_found", id=str(user_id))
    require_ticket_worker(session, user)
    profile = session.scalar(
        select(AgentProfile).where(
            AgentProfile.tenant_id == actor.tenant_id, AgentProfile.user_id == user_id
        )
    )
    if profile is None:
        profile = AgentProfile(tenant_id=actor.tenant_id, user_id=user_id)
        session.add(profile)
    profile.skills = list(dict.fromkeys(body.skills))
    profile.max_open_tickets = body.max_open_tickets
    profile.is_available = body.is_available
    profile.wecom_user_id = body.wecom_user_id
    session.flush()
    record_event(
        session,
        actor,
        "service.agent_profile.put",
        object_name="users",
        record_id=user_id,
        details=body.model_dump(mode="json"),
    )
    return profile


def get_service_settings(session: Session, actor: Actor) -> ServiceSettings:
    require(actor, "tickets", "read")
    return load_settings(session, actor.tenant_id)[1]


def put_service_settings(session: Session, actor: Actor, body: ServiceSettings) -> ServiceSettings:
    require_administrator(actor)
    tenant, before = load_settings(session, actor.tenant_id)
    save_settings(session, tenant, body)
    record_event(
        session,
        actor,
        "service.settings.update",
        object_name="tenants",
        record_id=tenant.id,
        changes={
            name: [value, body.model_dump(mode="json")[name]]
            for name, value in before.model_dump(mode="json").items()
            if value != body.model_dump(mode="json")[name]
        },
    )
    return body
