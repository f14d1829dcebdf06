"""Labels of stored choice values in answers: stage keys, ticket statuses and the like.

A report groups by the stored value (``proposal``, ``on_hold``); the asker reads
the label in their language. Pipeline stages carry their own Chinese and English
names; built-in choice fields take theirs from the catalogs
(``assistant.choice.<object>.<field>.<value>``). A value without a label is shown as stored.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.analytics.query import ReportQuery, ReportResult
from zhike.analytics.relations import sources
from zhike.core.i18n import DEFAULT_LOCALE, load_catalog
from zhike.sales.models import PipelineStage
from zhike.security.access import scope_select
from zhike.security.context import Actor

# Built-in fields whose stored values are codes with catalog labels.
CATALOG_CHOICES = frozenset(
    {
        ("tickets", "status"),
        ("tickets", "priority"),
        ("leads", "status"),
        ("activities", "kind"),
        ("activities", "status"),
    }
)


def field_owner(base: str, path: str) -> tuple[str, str] | None:
    """Return the object and field name that ``path`` reaches from ``base``, or None."""
    parts = path.split(".")
    source = sources().get(base)
    while source is not None and len(parts) > 1 and parts[0] in source.relations:
        source = sources().get(source.relations[parts.pop(0)].target)
    if source is None or len(parts) != 1:
        return None
    return source.name, parts[0]


def value_labels(
    session: Session, actor: Actor, query: ReportQuery, result: ReportResult
) -> dict[str, dict[str, str]]:
    """Return the labels of the choice values in ``result``, by column name, then stored value."""
    names = [column.name for column in result.columns]
    labels: dict[str, dict[str, str]] = {}
    for group in query.group_by:
        if group.bucket is not None or group.name not in names:
            continue
        owner = field_owner(query.object, group.field)
        if owner is None:
            continue
        index = names.index(group.name)
        values = sorted({row[index] for row in result.rows if isinstance(row[index], str)})
        found = _labels(session, actor, owner, values)
        if found:
            labels[group.name] = found
    return labels


def _labels(
    session: Session, actor: Actor, owner: tuple[str, str], values: list[str]
) -> dict[str, str]:
    if not values:
        return {}
    if owner == ("pipeline_stages", "key"):
        stages = session.scalars(
            scope_select(actor, PipelineStage, select(PipelineStage)).where(
                PipelineStage.key.in_(values)
            )
        )
        english = actor.locale == "en"
        return {
            stage.key: (stage.name_en if english else stage.name_zh) or stage.key
            for stage in stages
        }
    if owner in CATALOG_CHOICES:
        object_name, field = owner
        found = {}
        for value in values:
            label = _catalog_label(f"assistant.choice.{object_name}.{field}.{value}", actor.locale)
            if label is not None:
                found[value] = label
        return found
    return {}


def _catalog_label(key: str, locale: str) -> str | None:
    return load_catalog(locale).get(key) or load_catalog(DEFAULT_LOCALE).get(key)
