"""The fields a report builder offers for an object, labelled in zh-CN and en, by relation.

The list follows what ``FieldResolver`` accepts: the base object's fields, then
the fields of each declared relation one step away (``owner.display_name``,
``stage.key``). Fields the actor's role hides are left out. Masked fields are
listed with ``masked`` set, because a report may still count them or ask
whether they are empty. Choice values come with their labels, and fields that
hold a user or team id name that reference, so a client can offer a picker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.analytics.fields import column_kind
from zhike.analytics.relations import Source, field_allowed, sources
from zhike.core.errors import NotFound
from zhike.core.i18n import load_catalog
from zhike.platform.field_catalog import field_label
from zhike.platform.models import FieldDefinition
from zhike.sales.models import PipelineStage
from zhike.security.access import grant_for, require, scope_select
from zhike.security.context import Actor
from zhike.security.fields import hidden_fields, masked_fields
from zhike.security.models import Team, User

LOCALES = ("zh-CN", "en")
Reference = Literal["users", "teams"]
# Id columns that name a person or a team; any other id is reported through its relation.
_REFERENCES: dict[str, Reference] = {
    "owner_id": "users",
    "assignee_id": "users",
    "manager_id": "users",
    "team_id": "teams",
}
# Built-in text fields with a fixed set of values, and the catalog prefix of their labels.
_CHOICES: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("tickets", "priority"): (("low", "normal", "high", "urgent"), "report_choice.priority"),
    (
        "tickets",
        "status",
    ): (("new", "open", "pending", "on_hold", "resolved", "closed"), "report_choice.ticket_status"),
    (
        "tickets",
        "sla_state",
    ): (("none", "ok", "at_risk", "paused", "met", "breached"), "report_choice.sla_state"),
    (
        "activities",
        "kind",
    ): (("call", "meeting", "email", "note", "task", "visit"), "activity_kind"),
    (
        "campaign_members",
        "status",
    ): (("targeted", "sent", "responded", "converted", "unsubscribed"), "member_status"),
}
# Columns of every CRM table that mean nothing to a report reader.
_SKIPPED = frozenset({"id", "tenant_id", "version", "deleted_at", "custom", "merged_into_id"})


class Choice(BaseModel):
    value: str
    label_zh: str
    label_en: str


class ReportField(BaseModel):
    """One field a report can group by, measure, filter or sort on."""

    path: str = Field(description="dotted path as the report query names it, e.g. owner.team_id")
    relation: str = Field(
        description="relation the field is reached through, empty for the base object"
    )
    label_zh: str
    label_en: str
    kind: str = Field(
        description="amount, number, integer, boolean, date, datetime, uuid, string or custom"
    )
    masked: bool = Field(description="only counting and is-empty filters are allowed")
    reference: Reference | None = Field(
        default=None, description="the id names a user or a team; pick it from users or teams"
    )
    choices: list[Choice] | None = None


class ReportRelation(BaseModel):
    name: str
    label_zh: str
    label_en: str


class NamedRecord(BaseModel):
    id: str
    name: str


class ReportFieldCatalog(BaseModel):
    object: str
    relations: list[ReportRelation] = Field(description="base object first, then its relations")
    fields: list[ReportField]
    users: list[NamedRecord] = Field(
        description="active users within your data scope on the object, for owner filters"
    )
    teams: list[NamedRecord]


@dataclass(frozen=True)
class _Labels:
    catalogs: dict[str, dict[str, str]]

    def text(self, key: str, fallback: str) -> tuple[str, str]:
        zh, en = (self.catalogs[locale].get(key) for locale in LOCALES)
        return zh or fallback, en or fallback


def report_field_catalog(session: Session, actor: Actor, object_name: str) -> ReportFieldCatalog:
    """List the reportable fields of ``object_name`` and of its relations for the actor."""
    known = sources()
    base = known.get(object_name)
    if base is None or base.crm_object is None:
        raise NotFound(
            "unknown_object",
            name=object_name,
            known=", ".join(sorted(name for name, source in known.items() if source.crm_object)),
        )
    require(actor, base.crm_object, "read")

    labels = _Labels({locale: load_catalog(locale) for locale in LOCALES})
    object_label = labels.text(f"report_object.{object_name}", object_name)
    relations = [ReportRelation(name="", label_zh=object_label[0], label_en=object_label[1])]
    fields = _source_fields(session, actor, labels, base, "")
    fields.extend(_custom_fields(session, actor, object_name))

    for name, relation in base.relations.items():
        target = known[relation.target]
        if target.crm_object is not None and not _readable(actor, target.crm_object):
            continue
        zh, en = labels.text(f"report_relation.{name}", name)
        relations.append(ReportRelation(name=name, label_zh=zh, label_en=en))
        fields.extend(_source_fields(session, actor, labels, target, name))
    _add_stage_choices(session, actor, fields)

    return ReportFieldCatalog(
        object=object_name,
        relations=relations,
        fields=fields,
        users=_users(session, actor, object_name),
        teams=_teams(session, actor),
    )


def _readable(actor: Actor, object_name: str) -> bool:
    grant = grant_for(actor, object_name)
    return grant is not None and "read" in grant.actions


def _source_fields(
    session: Session, actor: Actor, labels: _Labels, source: Source, relation: str
) -> list[ReportField]:
    table = source.model.__table__
    hidden = hidden_fields(actor, source.crm_object) if source.crm_object else set()
    names = [
        column.key
        for column in table.columns
        if column.key not in _SKIPPED
        and column.key not in hidden
        and field_allowed(source, column.key)
        and (not column.key.endswith("_id") or column.key in _REFERENCES)
    ]
    masked = masked_fields(session, actor, source.crm_object, names) if source.crm_object else set()
    prefix = f"{relation}." if relation else ""
    fields = []
    for name in names:
        zh, en = _field_labels(labels, source.name, name)
        choice = _CHOICES.get((source.name, name))
        fields.append(
            ReportField(
                path=prefix + name,
                relation=relation,
                label_zh=zh,
                label_en=en,
                kind=column_kind(table.c[name].type),
                masked=name in masked,
                reference=_REFERENCES.get(name),
                choices=None if choice is None else _choices(labels, *choice),
            )
        )
    for name, (kind, _) in source.computed.items():
        if name in hidden:
            continue
        zh, en = _field_labels(labels, source.name, name)
        fields.append(
            ReportField(
                path=prefix + name,
                relation=relation,
                label_zh=zh,
                label_en=en,
                kind=kind,
                masked=False,
            )
        )
    return fields


def _field_labels(labels: _Labels, object_name: str, name: str) -> tuple[str, str]:
    for key in (f"report_field.{object_name}.{name}", f"report_field.{name}"):
        found = labels.text(key, "")
        if found[0]:
            return found
    zh, en = (field_label(object_name, name, locale) for locale in LOCALES)
    return zh, en


def _choices(labels: _Labels, values: tuple[str, ...], prefix: str) -> list[Choice]:
    result = []
    for value in values:
        zh, en = labels.text(f"{prefix}.{value}", value)
        result.append(Choice(value=value, label_zh=zh, label_en=en))
    return result


def _custom_fields(session: Session, actor: Actor, object_name: str) -> list[ReportField]:
    hidden = hidden_fields(actor, object_name)
    definitions = list(
        session.scalars(
            scope_select(actor, FieldDefinition, select(FieldDefinition))
            .where(FieldDefinition.object_name == object_name)
            .order_by(FieldDefinition.name)
        )
    )
    visible = [item for item in definitions if item.name not in hidden]
    masked = masked_fields(session, actor, object_name, [item.name for item in visible])
    return [
        ReportField(
            path=f"custom.{item.name}",
            relation="",
            label_zh=item.label_zh,
            label_en=item.label_en,
            kind="custom",
            masked=item.name in masked,
            choices=[Choice(value=value, label_zh=value, label_en=value) for value in item.choices]
            if item.choices
            else None,
        )
        for item in visible
    ]


def _add_stage_choices(session: Session, actor: Actor, fields: list[ReportField]) -> None:
    """Offer the tenant's pipeline stages, in order and by name, for ``stage.key``."""
    stage_fields = [item for item in fields if item.path.endswith("stage.key")]
    if not stage_fields:
        return
    stages = session.scalars(
        scope_select(actor, PipelineStage, select(PipelineStage)).order_by(
            PipelineStage.position, PipelineStage.key
        )
    )
    choices = [
        Choice(value=stage.key, label_zh=stage.name_zh, label_en=stage.name_en) for stage in stages
    ]
    for item in stage_fields:
        item.choices = choices


def _users(session: Session, actor: Actor, object_name: str) -> list[NamedRecord]:
    """List the active users the actor's data scope on ``object_name`` reaches.

    A role that reads the whole company's records picks from every user. Any other
    role picks from itself and the members of its department and sub-teams, so
    the picker names no one whose records the actor cannot read anyway.
    """
    statement = scope_select(actor, User, select(User.id, User.display_name)).where(
        User.is_active.is_(True)
    )
    grant = grant_for(actor, object_name)
    if grant is None or grant.scope != "company":
        reachable = {*actor.department_members, *actor.subtree_members}
        if actor.user_id is not None:
            reachable.add(actor.user_id)
        statement = statement.where(User.id.in_(reachable))
    rows = session.execute(statement.order_by(User.display_name, User.id))
    return [NamedRecord(id=str(user_id), name=name) for user_id, name in rows]


def _teams(session: Session, actor: Actor) -> list[NamedRecord]:
    rows = session.execute(
        scope_select(actor, Team, select(Team.id, Team.name)).order_by(Team.name, Team.id)
    )
    return [NamedRecord(id=str(team_id), name=name) for team_id, name in rows]
