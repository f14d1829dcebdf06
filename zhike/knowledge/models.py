"""Knowledge-base articles and FAQ entries, and their saved revisions.

An FAQ entry is an article of kind ``faq``: its title is the standard question
(标准问), ``similar_questions`` holds the similar questions (相似问) and the body is
the one answer. Editing a published article starts a new revision while the
published one keeps answering until the new one is approved.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.models import ExternalIdMixin, OwnedMixin, RecordMixin
from zhike.core.timeutil import utc_now

ARTICLE_KINDS = ("article", "faq")
ARTICLE_STATUSES = ("draft", "in_review", "published", "archived")


class KnowledgeArticle(RecordMixin, OwnedMixin, ExternalIdMixin, Base):
    __tablename__ = "kb_articles"
    __table_args__ = (
        Index("ix_kb_articles_tenant_status", "tenant_id", "status"),
        Index("ix_kb_articles_tenant_external", "tenant_id", "source", "external_id", unique=True),
    )

    kind: Mapped[str] = mapped_column(String(20), default="article")
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    similar_questions: Mapped[list[str]] = mapped_column(default=list)
    category: Mapped[str | None] = mapped_column(String(100), default=None)
    tags: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    published_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)


class KnowledgeArticleRevision(Base):
    """The content of one revision, kept so the published one can be served and compared."""

    __tablename__ = "kb_article_revisions"
    __table_args__ = (
        Index("ix_kb_article_revisions_article", "article_id", "revision", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    similar_questions: Mapped[list[str]] = mapped_column(default=list)
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    def content(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "body": self.body,
            "similar_questions": list(self.similar_questions or []),
        }


class KnowledgeIndexChange(Base):
    """One publish, archive or delete, numbered per tenant so every process can catch up.

    Each process keeps the number of the last change its in-memory index contains
    and, before searching, applies the changes numbered after it (one indexed read
    when nothing changed). A publish in one API process is therefore searchable in
    every other one on its next search.
    """

    __tablename__ = "kb_index_changes"
    __table_args__ = (Index("ix_kb_index_changes_sequence", "tenant_id", "sequence", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    article_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
