"""Data-quality scores of contacts, leads and accounts, and the issues behind them.

The score of a record is ``100 * passed weight // total weight`` over the tenant's
rules for the object (the built-in rules of ``quality_rules`` unless an
administrator stored others), so it is 100 exactly when no rule fails.

The score is stored in the record's ``quality_score`` column by a normaliser that
every write through the record service and every import runs, so lists can filter
and sort by it. Time passing (freshness) and changes to referenced records do not
pass through that normaliser. The tenant recomputation job, run nightly and after a
rule change, brings those scores up to date.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from zhike.core.errors import InvalidInput
from zhike.core.i18n import translate
from zhike.core.timeutil import utc_now
from zhike.customers.quality_checks import Evaluator, Finding
from zhike.customers.quality_models import QualityRuleSet, QualityScoreState
from zhike.customers.quality_rules import (
    DEFAULT_RULES,
    QUALITY_OBJECTS,
    QualityRule,
)
from zhike.platform.field_catalog import field_label
from zhike.platform.normalize import BatchNormalizer
from zhike.platform.objects import get_object
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

_RULE_LIST = TypeAdapter(list[QualityRule])
_SESSION_CACHE_KEY = "quality_rules"
RECOMPUTE_BATCH = 500


class QualityIssue(BaseModel):
    """One failed rule of one record."""

    field: str = Field(description="column name, or custom.<name>")
    field_label: str
    rule: str = Field(description="required, format, range, referential or freshness")
    code: str = Field(description="stable code of the failure, e.g. quality.format")
    weight: int
    message: str = Field(description="the reason in the reader's language")


class RecordQuality(BaseModel):
    """A record's quality as the reader may see it: score and the issues on visible fields."""

    object_name: str
    record_id: uuid.UUID
    score: int = Field(ge=0, le=100, description="score under the rules in force now")
    stored_score: int | None = Field(
        description="score stored on the record at its last write or recomputation"
    )
    issues: list[QualityIssue]
    evaluated_at: datetime


def check_object(object_name: str) -> None:
    if object_name not in QUALITY_OBJECTS:
        raise InvalidInput(
            "quality_unknown_object", object=object_name, known=", ".join(QUALITY_OBJECTS)
        )


def stored_rule_set(
    session: Session, tenant_id: uuid.UUID, object_name: str
) -> QualityRuleSet | None:
    return session.scalars(
        select(QualityRuleSet).where(
            QualityRuleSet.tenant_id == tenant_id, QualityRuleSet.object_name == object_name
        )
    ).first()


def rules_in_force(session: Session, tenant_id: uuid.UUID, object_name: str) -> list[QualityRule]:
    """Return the tenant's rules for the object, read once per database session."""
    cache: dict[tuple[uuid.UUID, str], list[QualityRule]] = session.info.setdefault(
        _SESSION_CACHE_KEY, {}
    )
    key = (tenant_id, object_name)
    if key not in cache:
        stored = stored_rule_set(session, tenant_id, object_name)
        cache[key] = (
            _RULE_LIST.validate_python(stored.rules)
            if stored is not None
            else list(DEFAULT_RULES[object_name])
        )
    return cache[key]


def rules_fingerprint(session: Session, tenant_id: uuid.UUID, object_name: str) -> str:
    """A digest of the rules in force, to tell whether stored scores predate a rule change."""
    rules = [
        rule.model_dump(mode="json") for rule in rules_in_force(session, tenant_id, object_name)
    ]
    text = json.dumps(rules, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def score_state(
    session: Session, tenant_id: uuid.UUID, object_name: str
) -> QualityScoreState | None:
    return session.scalar(
        select(QualityScoreState).where(
            QualityScoreState.tenant_id == tenant_id,
            QualityScoreState.object_name == object_name,
        )
    )


def scores_outdated(session: Session, tenant_id: uuid.UUID, object_name: str) -> bool:
    """True when the object's scores were never recomputed or the rules changed since."""
    state = score_state(session, tenant_id, object_name)
    return state is None or state.rules_fingerprint != rules_fingerprint(
        session, tenant_id, object_name
    )


def forget_rules(session: Session) -> None:
    session.info.pop(_SESSION_CACHE_KEY, None)


def evaluator_for(session: Session, actor: Actor, object_name: str) -> Evaluator:
    return Evaluator(
        object_name, rules_in_force(session, actor.tenant_id, object_name), actor.region, utc_now()
    )


def _label(object_name: str, name: str, locale: str) -> str:
    if name.startswith("custom."):
        return name.removeprefix("custom.")
    return field_label(object_name, name, locale)


def describe(actor: Actor, object_name: str, finding: Finding) -> QualityIssue:
    """Turn a finding into an issue with the field's label and the reason in the actor's locale."""
    name = finding.field
    label = _label(object_name, name, actor.locale)
    params = dict(finding.params)
    if "format" in params:
        params["format"] = translate(f"quality.format_name.{params['format']}", actor.locale)
    if "alternatives" in params:
        labels = [_label(object_name, other, actor.locale) for other in params["alternatives"]]
        params["alternatives"] = translate("quality.list_separator", actor.locale).join(labels)
    return QualityIssue(
        field=name,
        field_label=label,
        rule=finding.rule,
        code=finding.code,
        weight=finding.weight,
        message=translate(finding.code, actor.locale, field=label, **params),
    )


def visible_issues(actor: Actor, object_name: str, findings: list[Finding]) -> list[QualityIssue]:
    """Return the issues on visible fields, because one on a hidden field reveals its state."""
    from zhike.security.fields import hidden_fields

    hidden = hidden_fields(actor, object_name)
    return [
        describe(actor, object_name, finding)
        for finding in findings
        if finding.field.removeprefix("custom.") not in hidden and finding.field not in hidden
    ]


def state_of(record: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(record, name, None) for name in names}


def record_quality(
    session: Session, actor: Actor, object_name: str, record_id: uuid.UUID
) -> RecordQuality:
    """Score one record under the rules in force and list the issues the actor may see.

    The record is read through the record service, so a record the actor may not
    read raises NotFound (404) as the record endpoints do.
    """
    from zhike.platform.records import RecordService

    check_object(object_name)
    record = RecordService(session, actor, get_object(object_name)).get(record_id)
    evaluator = evaluator_for(session, actor, object_name)
    state = state_of(record, evaluator.fields)
    live = evaluator.live_references(session, actor.tenant_id, [state])
    score, findings = evaluator.evaluate(state, live)
    return RecordQuality(
        object_name=object_name,
        record_id=record.id,
        score=score,
        stored_score=record.quality_score,
        issues=visible_issues(actor, object_name, findings),
        evaluated_at=evaluator.now,
    )


class QualityScoreNormalizer(BatchNormalizer):
    """Set ``quality_score`` on every row written. It runs after the other normalisers.

    On an update the row holds only the changed values, so the rest comes from the
    stored record. The write itself refreshes ``updated_at``, so that field counts
    as written now.
    """

    def __init__(self, object_name: str) -> None:
        self.object_name = object_name

    def normalize_batch(
        self, session: Session, actor: Actor, rows: list[dict[str, Any]], records: list[Any]
    ) -> list[dict[str, Any] | Any]:
        evaluator = evaluator_for(session, actor, self.object_name)
        names = evaluator.fields
        states = []
        for values, record in zip(rows, records, strict=True):
            if record is None:
                state = {name: values.get(name) for name in names}
            else:
                state = state_of(record, names)
                state.update({name: values[name] for name in names if name in values})
            state["updated_at"] = evaluator.now
            states.append(state)
        live = evaluator.live_references(session, actor.tenant_id, states)
        for values, state in zip(rows, states, strict=True):
            values["quality_score"] = evaluator.score(state, live)
        return list(rows)


def quality_score_normalizer(object_name: str) -> QualityScoreNormalizer:
    return QualityScoreNormalizer(object_name)


@dataclass
class RecomputeResult:
    object_name: str
    records: int = 0
    changed: int = 0


def recompute_scores(
    session: Session,
    actor: Actor,
    object_name: str,
    progress: Callable[[int], None] | None = None,
) -> RecomputeResult:
    """Recompute and store the score of every live record of the object in the tenant.

    Rows are read in id order in batches and only changed scores are written. The
    update keeps ``updated_at`` and ``version`` because the score is derived data,
    and a new version would make editors who read the record before meet a 412.
    """
    check_object(object_name)
    table: Any = get_object(object_name).model.__table__
    evaluator = evaluator_for(session, actor, object_name)
    names = evaluator.fields | {"quality_score"}
    columns = [table.c.id, *(table.c[name] for name in sorted(names) if name in table.c)]
    write = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(quality_score=bindparam("new_score"), updated_at=table.c.updated_at)
    )
    result = RecomputeResult(object_name)
    last_id: uuid.UUID | None = None
    while True:
        statement = select(*columns).where(
            table.c.tenant_id == actor.tenant_id, table.c.deleted_at.is_(None)
        )
        if last_id is not None:
            statement = statement.where(table.c.id > last_id)
        rows = list(session.execute(statement.order_by(table.c.id).limit(RECOMPUTE_BATCH)))
        if not rows:
            break
        states = [dict(row._mapping) for row in rows]
        live = evaluator.live_references(session, actor.tenant_id, states)
        changes = []
        for state in states:
            score = evaluator.score(state, live)
            if score != state["quality_score"]:
                changes.append({"row_id": state["id"], "new_score": score})
        if changes:
            session.execute(write, changes, execution_options={"synchronize_session": False})
        result.records += len(rows)
        result.changed += len(changes)
        last_id = rows[-1].id
        if progress is not None:
            progress(len(rows))
    done = score_state(session, actor.tenant_id, object_name)
    if done is None:
        done = QualityScoreState(tenant_id=actor.tenant_id, object_name=object_name)
        session.add(done)
    done.rules_fingerprint = rules_fingerprint(session, actor.tenant_id, object_name)
    done.records, done.changed = result.records, result.changed
    done.computed_at = utc_now()
    session.flush()
    logger.info(
        "quality scores recomputed",
        extra={
            "tenant": str(actor.tenant_id),
            "object": object_name,
            "records": result.records,
            "changed": result.changed,
        },
    )
    return result
