"""Request and answer shapes of natural-language questions."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zhike.ai.context.intent import Intent
from zhike.analytics.query import ReportColumn, ReportQuery

ChartType = Literal["number", "bar", "line", "pie", "table"]


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=500)
    as_of: date | None = Field(
        default=None,
        description="the day relative periods count from; default today in the tenant's time zone",
    )


class ChartSuggestion(BaseModel):
    """How to draw the rows: ``x`` and ``series`` are dimension columns, ``y`` measure columns."""

    type: ChartType
    x: str | None = None
    y: list[str] = Field(default_factory=list)
    series: str | None = None


class ClarificationOut(BaseModel):
    """The question asked back instead of a guess; ``options`` are values the asker may pick."""

    code: str
    message: str
    options: list[str] = Field(default_factory=list)


class AnswerWarning(BaseModel):
    """Words of the question that the answer does not apply, so the asker can rephrase them.

    ``code`` names the part left out: ``assistant_ignored_time``,
    ``assistant_ignored_filter``, ``assistant_ignored_group`` or ``assistant_ignored_measure``
    for recognised words, ``assistant_unknown_words`` for words not recognised at all, and
    ``assistant_future_outcome`` for won or lost deals in a period that has not begun, which
    the answer replaces with the open deals expected to close in it (a win or loss rate
    there stays empty, since none of its deals has closed). ``assistant_name_shared`` names
    people whose name more than one user has, so the result contains the records of all of them.
    """

    code: str
    message: str
    words: list[str] = Field(default_factory=list)


class AskAnswer(BaseModel):
    question: str
    intent: Intent
    intent_confidence: float
    confidence: float = Field(
        default=0.0,
        description="how far the answer can be trusted to answer the whole question, 0 to 1: "
        "the share of the question's phrases the query accounts for, times the classifier's "
        "probability of the intent answered; 0 when no query was run",
    )
    source: Literal["offline", "llm"] = Field(description="which parser built the query")
    query: ReportQuery | None = None
    columns: list[ReportColumn] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)
    chart: ChartSuggestion | None = None
    clarification: ClarificationOut | None = None
    message: str | None = Field(default=None, description="a short answer or hint for the asker")
    warnings: list[AnswerWarning] = Field(
        default_factory=list,
        description="parts of the question that the answer does not apply; show them with it",
    )
    column_labels: dict[str, str] = Field(
        default_factory=dict,
        description="each column's heading in the asker's language, by column name, as the "
        "report screen and report files label it",
    )
    value_labels: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="labels of choice values in the asker's language: column name, then stored "
        "value, to label",
    )
