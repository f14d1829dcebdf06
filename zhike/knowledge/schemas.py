"""API bodies of the knowledge base."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from zhike.platform.schemas import OptionalText, OwnedRead, WriteSchema

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Body = Annotated[str, StringConstraints(max_length=200_000)]
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class ArticleCreate(WriteSchema):
    kind: Literal["article", "faq"] = "article"
    title: Title = Field(description="article title, or the standard question of an FAQ entry")
    body: Body = Field(default="", description="article text, or the answer of an FAQ entry")
    similar_questions: list[Question] = Field(default_factory=list, max_length=200)
    category: OptionalText = None
    tags: list[Tag] = Field(default_factory=list, max_length=30)
    owner_id: uuid.UUID | None = None


class ArticleUpdate(WriteSchema):
    title: Title | None = None
    body: Body | None = None
    similar_questions: list[Question] | None = Field(default=None, max_length=200)
    category: OptionalText = None
    tags: list[Tag] | None = Field(default=None, max_length=30)
    owner_id: uuid.UUID | None = None


class ArticleRead(OwnedRead):
    kind: str
    title: str
    body: str
    similar_questions: list[str]
    category: str | None
    tags: list[str]
    status: str
    revision: int
    published_revision: int | None
    published_at: datetime | None


class RevisionRead(BaseModel):
    revision: int
    title: str
    body: str
    similar_questions: list[str]
    author_id: uuid.UUID | None
    created_at: datetime


class SearchHit(BaseModel):
    article_id: uuid.UUID
    kind: str
    title: str
    matched_text: str = Field(description="the question or passage that matched best")
    answer: str
    score: float


class SearchResult(BaseModel):
    query: str
    hits: list[SearchHit]
