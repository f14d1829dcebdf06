"""Per-tenant search indexes of published knowledge, kept in step with publishing.

Each process holds one index per tenant, built from the published revisions on
first use. Publishing, archiving or deleting an article writes a numbered change
row in the same transaction; before each search a process applies the changes
it has not seen, entry by entry, so every process serves a publish on its next
search once the publishing transaction has committed.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.ai.retrieval.engine import RetrievalConfig, SearchIndex
from zhike.ai.retrieval.synonyms import group_pairs, mine_synonyms
from zhike.knowledge.models import (
    KnowledgeArticle,
    KnowledgeArticleRevision,
    KnowledgeIndexChange,
)

logger = logging.getLogger(__name__)

PASSAGE_CHARACTERS = 300
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")

_indexes: dict[uuid.UUID, tuple[SearchIndex, int]] = {}
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


def _published_texts(
    session: Session, tenant_id: uuid.UUID, article_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """What the index should hold now for each article; articles absent here are removed."""
    rows = session.execute(
        select(KnowledgeArticle.id, KnowledgeArticle.kind, KnowledgeArticleRevision)
        .join(
            KnowledgeArticleRevision,
            (KnowledgeArticleRevision.article_id == KnowledgeArticle.id)
            & (KnowledgeArticleRevision.revision == KnowledgeArticle.published_revision),
        )
        .where(
            KnowledgeArticle.tenant_id == tenant_id,
            KnowledgeArticle.id.in_(article_ids),
            KnowledgeArticle.deleted_at.is_(None),
            KnowledgeArticle.published_revision.is_not(None),
            KnowledgeArticle.status != "archived",
        )
    ).all()
    return {
        article_id: entry_texts(kind, revision.title, revision.body, revision.similar_questions)
        for article_id, kind, revision in rows
    }


def _last_sequence(session: Session, tenant_id: uuid.UUID) -> int:
    value = session.scalar(
        select(func.max(KnowledgeIndexChange.sequence)).where(
            KnowledgeIndexChange.tenant_id == tenant_id
        )
    )
    return int(value or 0)


def tenant_index(session: Session, tenant_id: uuid.UUID) -> SearchIndex:
    """The tenant's index, first brought up to date with changes made by any process."""
    with _lock:
        found = _indexes.get(tenant_id)
    if found is None:
        # Read the position first: a change committed during the build is applied again
        # on the next search, which is harmless because applying a change is idempotent.
        sequence = _last_sequence(session, tenant_id)
        built = _build(session, tenant_id)
        with _lock:
            found = _indexes.setdefault(tenant_id, (built, sequence))
        return found[0]
    index, applied = found
    changes = session.execute(
        select(KnowledgeIndexChange.sequence, KnowledgeIndexChange.article_id)
        .where(
            KnowledgeIndexChange.tenant_id == tenant_id,
            KnowledgeIndexChange.sequence > applied,
        )
        .order_by(KnowledgeIndexChange.sequence)
    ).all()
    if not changes:
        return index
    article_ids = list(dict.fromkeys(article_id for _, article_id in changes))
    current = _published_texts(session, tenant_id, article_ids)
    for article_id in article_ids:
        texts = current.get(article_id)
        if texts is None:
            index.remove(str(article_id))
        else:
            index.put(str(article_id), texts)
    with _lock:
        stored = _indexes.get(tenant_id)
        if stored is not None and stored[0] is index:
            _indexes[tenant_id] = (index, max(stored[1], changes[-1][0]))
    logger.debug(
        "knowledge index caught up", extra={"tenant_id": str(tenant_id), "changes": len(changes)}
    )
    return index


def record_change(session: Session, tenant_id: uuid.UUID, article_id: uuid.UUID) -> None:
    """Number a change to what an article publishes, in the caller's transaction.

    Two transactions that take the same number conflict on the unique index, so one
    fails rather than a change being skipped.
    """
    session.add(
        KnowledgeIndexChange(
            tenant_id=tenant_id,
            sequence=_last_sequence(session, tenant_id) + 1,
            article_id=article_id,
        )
    )
    session.flush()


def forget(tenant_id: uuid.UUID) -> None:
    with _lock:
        _indexes.pop(tenant_id, None)
