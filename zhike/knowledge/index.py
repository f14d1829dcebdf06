"""Per-tenant search indexes of published knowledge, kept in step with publishing.

Each process holds one index per tenant, built from the published revisions on
first use and then changed entry by entry when an article is published, archived
or deleted, once the transaction that did so has committed.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Iterable

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from zhike.ai.retrieval.engine import RetrievalConfig, SearchIndex
from zhike.ai.retrieval.synonyms import group_pairs, mine_synonyms
from zhike.knowledge.models import KnowledgeArticle, KnowledgeArticleRevision

logger = logging.getLogger(__name__)

PASSAGE_CHARACTERS = 300
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")

_indexes: dict[uuid.UUID, SearchIndex] = {}
_lock = threading.Lock()


def passages(body: str, size: int = PASSAGE_CHARACTERS) -> list[str]:
    """Split an article into passages of whole sentences, each at most about ``size`` long."""
    found: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(body):
        sentence = sentence.strip()
        if not sentence:
            continue
        if current and len(current) + len(sentence) > size:
            found.append(current)
            current = ""
        current += sentence
    if current:
        found.append(current)
    return found


def entry_texts(kind: str, title: str, body: str, similar_questions: Iterable[str]) -> list[str]:
    """What the index matches: the questions of an FAQ entry, or an article's title and passages."""
    if kind == "faq":
        return [title, *similar_questions]
    return [title, *passages(body)]


def _build(session: Session, tenant_id: uuid.UUID) -> SearchIndex:
    rows = session.execute(
        select(KnowledgeArticle.id, KnowledgeArticle.kind, KnowledgeArticleRevision)
        .join(
            KnowledgeArticleRevision,
            (KnowledgeArticleRevision.article_id == KnowledgeArticle.id)
            & (KnowledgeArticleRevision.revision == KnowledgeArticle.published_revision),
        )
        .where(
            KnowledgeArticle.tenant_id == tenant_id,
            KnowledgeArticle.deleted_at.is_(None),
            KnowledgeArticle.published_revision.is_not(None),
            KnowledgeArticle.status != "archived",
        )
    ).all()
    groups = [
        [revision.title, *revision.similar_questions] for _, kind, revision in rows if kind == "faq"
    ]
    config = RetrievalConfig(synonyms=mine_synonyms(group_pairs(groups)))
    index = SearchIndex(config)
    for article_id, kind, revision in rows:
        index.put(
            str(article_id),
            entry_texts(kind, revision.title, revision.body, revision.similar_questions),
        )
    logger.info("knowledge index built", extra={"tenant_id": str(tenant_id), "entries": len(index)})
    return index


def tenant_index(session: Session, tenant_id: uuid.UUID) -> SearchIndex:
    with _lock:
        index = _indexes.get(tenant_id)
    if index is None:
        index = _build(session, tenant_id)
        with _lock:
            index = _indexes.setdefault(tenant_id, index)
    return index


def after_commit(session: Session, tenant_id: uuid.UUID, key: str, texts: list[str] | None) -> None:
    """Put (or with None remove) an entry once the session commits; a rollback changes nothing."""

    def apply(_session: Session) -> None:
        with _lock:
            index = _indexes.get(tenant_id)
        if index is None:
            return  # built from the database on first search, which already has the change
        if texts is None:
            index.remove(key)
        else:
            index.put(key, texts)

    event.listen(session, "after_commit", apply, once=True)


def forget(tenant_id: uuid.UUID) -> None:
    with _lock:
        _indexes.pop(tenant_id, None)
