"""Declaration of knowledge-base articles for the generic record service."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhike.knowledge.models import ARTICLE_STATUSES, KnowledgeArticle, KnowledgeArticleRevision
from zhike.knowledge.schemas import ArticleCreate, ArticleRead, ArticleUpdate
from zhike.platform.normalize import custom_fields, owner_reference, required_fields
from zhike.platform.objects import ObjectSpec
from zhike.security.context import Actor

CONTENT_FIELDS = ("title", "body", "similar_questions")


def clean_questions(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    """Drop blank and repeated similar questions, and the standard question itself."""
    if "similar_questions" not in values or values["similar_questions"] is None:
        values.pop("similar_questions", None)
        return values
    title = values.get("title") or (record.title if record is not None else "")
    seen = {title.strip()}
    kept = []
    for question in values["similar_questions"]:
        question = question.strip()
        if question and question not in seen:
            seen.add(question)
            kept.append(question)
    values["similar_questions"] = kept
    return values


def start_revision(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    """A content change on a published or in-review article opens a new draft revision."""
    for name in ("tags",):
        if name in values and values[name] is None:
            values.pop(name)
    if record is None:
        values["status"] = "draft"
        values["revision"] = 1
        return values
    changed = any(
        name in values and values[name] != getattr(record, name) for name in CONTENT_FIELDS
    )
    if changed and record.status in ("published", "in_review", "archived"):
        values["revision"] = record.revision + 1
        values["status"] = "draft"
    return values


def save_revision(
    session: Session,
    actor: Actor,
    record: Any,
    values: dict[str, Any],
    previous: dict[str, Any] | None,
) -> None:
    if not any(name in values for name in CONTENT_FIELDS):
        return
    existing = (
        session.query(KnowledgeArticleRevision)
        .filter_by(article_id=record.id, revision=record.revision)
        .one_or_none()
    )
    if existing is None:
        existing = KnowledgeArticleRevision(
            tenant_id=record.tenant_id, article_id=record.id, revision=record.revision
        )
        session.add(existing)
    existing.title = record.title
    existing.body = record.body
    existing.similar_questions = list(record.similar_questions or [])
    existing.author_id = actor.user_id
    session.flush()


KB_ARTICLES = ObjectSpec(
    name="kb_articles",
    model=KnowledgeArticle,
    create_schema=ArticleCreate,
    update_schema=ArticleUpdate,
    read_schema=ArticleRead,
    search_fields=("title",),
    filter_fields=("kind", "status", "category", "owner_id", "created_at", "updated_at"),
    choice_fields={"status": ARTICLE_STATUSES},
    sort_fields=("created_at", "updated_at", "title", "published_at"),
    default_sort="-updated_at",
    normalizers=(
        required_fields("title"),
        clean_questions,
        start_revision,
        owner_reference(),
        custom_fields("kb_articles"),
    ),
    after_write=(save_revision,),
)
