"""Reading, replacing and resetting a tenant's data-quality rules (administrators only)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.customers.quality import check_object, forget_rules, rules_in_force, stored_rule_set
from zhike.customers.quality_models import QualityRuleSet
from zhike.customers.quality_rules import (
    QualityRuleSetRead,
    QualityRuleSetWrite,
    validate_rule_set,
)
from zhike.security.access import require
from zhike.security.admin import require_administrator
from zhike.security.context import Actor

logger = logging.getLogger(__name__)


def read_rule_set(session: Session, actor: Actor, object_name: str) -> QualityRuleSetRead:
    """Return the rules in force. Anyone who may read the object may see how it is scored."""
    check_object(object_name)
    require(actor, object_name, "read")
    stored = stored_rule_set(session, actor.tenant_id, object_name)
    return QualityRuleSetRead(
        object_name=object_name,
        is_default=stored is None,
        rules=rules_in_force(session, actor.tenant_id, object_name),
        updated_at=stored.updated_at if stored is not None else None,
    )


def save_rule_set(
    session: Session, actor: Actor, object_name: str, body: QualityRuleSetWrite
) -> QualityRuleSetRead:
    """Validate the rules against the object's fields and store them in place of the current set."""
    require_administrator(actor)
    check_object(object_name)
    validate_rule_set(session, actor, object_name, body.rules)
    stored = stored_rule_set(session, actor.tenant_id, object_name)
    rules = [rule.model_dump(mode="json") for rule in body.rules]
    before = stored.rules if stored is not None else None
    if stored is None:
        stored = QualityRuleSet(tenant_id=actor.tenant_id, object_name=object_name)
        session.add(stored)
    stored.rules = rules
    stored.updated_by = actor.user_id
    session.flush()
    forget_rules(session)
    record_event(
        session,
        actor,
        "customers.quality_rules.update",
        object_name=object_name,
        details={"rules_before": before, "rules_after": rules},
    )
    logger.info(
        "quality rules saved",
        extra={"tenant": str(actor.tenant_id), "object": object_name, "rules": len(rules)},
    )
    return read_rule_set(session, actor, object_name)


def reset_rule_set(session: Session, actor: Actor, object_name: str) -> QualityRuleSetRead:
    """Drop the tenant's stored rules, so the built-in rules apply again."""
    require_administrator(actor)
    check_object(object_name)
    stored = stored_rule_set(session, actor.tenant_id, object_name)
    if stored is not None:
        record_event(
            session,
            actor,
            "customers.quality_rules.reset",
            object_name=object_name,
            details={"rules_before": stored.rules},
        )
        session.delete(stored)
        session.flush()
    forget_rules(session)
    return read_rule_set(session, actor, object_name)
