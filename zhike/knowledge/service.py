"""Knowledge-base rules: the review-and-publish workflow, revisions and search.

Create, read, update and delete go through the generic record service, so the
role grants, audit and optimistic concurrency hold as for every CRM object.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.service import record_change
from zhike.core.errors import Conflict, PreconditionFailed
from zhike.core.i18n import catalog_label
from zhike.core.timeutil import utc_now
from zhike.knowledge import index as knowledge_index
from zhike.knowledge.models import KnowledgeArticle, KnowledgeArticleRevision
from zhike.knowledge.objects import KB_ARTICLES
from zhike.knowledge.schemas import RevisionRead, SearchHit, SearchResult
from zhike.platform.records import RecordService
from zhike.security.access import require
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

# Which workflow step may start from which status.
TRANSITIONS = {
    "submit": ("draft",),
    "publish": ("draft", "in_review"),
    "archive": ("draft", "in_review", "published"),
}
TARGET_STATUS = {"submit": "in_review", "publish": "published", "archive": "archived"}


class KnowledgeService:
    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.records = RecordService(session, actor, KB_ARTICLES)

    def transition(self, article_id: uuid.UUID, step: str, expected_version: int | None) -> Any:
        """Move an article along draft → in_review → published, or archive it."""
        article = self.records.get(article_id, "update")
        if article.status not in TRANSITIONS[step]:
            raise Conflict(
                "kb_invalid_transition",
                status=catalog_label("field_choice.kb_articles.status", article.status),
                step=catalog_label("kb.step", step),
            )
        before = self.records.present(article)
        values: dict[str, Any] = {"status": TARGET_STATUS[step]}
        if step == "publish":
            values["published_revision"] = article.revision
            values["published_at"] = utc_now()
        if expected_version is not None and article.version != expected_version:
            raise PreconditionFailed(
                "version_mismatch", expected=expected_version, current=article.version
            )
        for name, value in values.items():
            setattr(article, name, value)
        self.session.flush()
        record_change(
            self.session,
            self.actor,
            KB_ARTICLES.name,
            article.id,
            f"kb.{step}",
            before,
            self.records.present(article),
        )
        self._sync_index(article)
        logger.info("knowledge article %s", step, extra={"article_id": str(article.id)})
        return article

    def delete(self, article_id: uuid.UUID, expected_version: int | None) -> None:
        article = self.records.delete(article_id, expected_version)
        knowledge_index.record_change(self.session, self.actor.tenant_id, article.id)

    def _sync_index(self, article: KnowledgeArticle) -> None:
        knowledge_index.record_change(self.session, self.actor.tenant_id, article.id)

    def revisions(self, article_id: uuid.UUID) -> list[RevisionRead]:
        self.records.get(article_id)
        rows = self.session.scalars(
            select(KnowledgeArticleRevision)
            .where(KnowledgeArticleRevision.article_id == article_id)
            .order_by(KnowledgeArticleRevision.revision)
        )
        return [
            RevisionRead(
                revision=row.revision,
                title=row.title,
                body=row.body,
                similar_questions=list(row.similar_questions),
                author_id=row.author_id,
                created_at=row.created_at,
            )
            for row in rows
        ]

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """Published answers that match a question, best first."""
        require(self.actor, KB_ARTICLES.name, "read")
        index = knowledge_index.tenant_index(self.session, self.actor.tenant_id)
        hits = index.search(query, limit)
        if not hits:
            return SearchResult(query=query, hits=[])
        identifiers = [uuid.UUID(hit.key) for hit in hits]
        rows = self.session.execute(
            select(KnowledgeArticle, KnowledgeArticleRevision)
            .join(
                KnowledgeArticleRevision,
                (KnowledgeArticleRevision.article_id == KnowledgeArticle.id)
                & (KnowledgeArticleRevision.revision == KnowledgeArticle.published_revision),
            )
            .where(
                KnowledgeArticle.tenant_id == self.actor.tenant_id,
                KnowledgeArticle.id.in_(identifiers),
                KnowledgeArticle.deleted_at.is_(None),
            )
        ).all()
        published = {article.id: (article, revision) for article, revision in rows}
        found = []
        for hit in hits:
            pair = published.get(uuid.UUID(hit.key))
            if pair is None:
                continue  # removed in another process since this index was built
            article, revision = pair
            found.append(
                SearchHit(
                    article_id=article.id,
                    kind=article.kind,
                    title=revision.title,
                    matched_text=hit.text,
                    answer=revision.body,
                    score=round(hit.score, 4),
                )
            )
        return SearchResult(query=query, hits=found)
