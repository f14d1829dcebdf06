"""Answering a natural-language question: intent, typed query, report run, chart.

The one entry point for the CLI, the API and the assistant panel. The query is
run by the report service as the asker, so the answer never holds more than
the same user sees in the report builder.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.ai.ask.charts import suggest_chart
from zhike.ai.ask.choices import value_labels
from zhike.ai.ask.coverage import Ignored
from zhike.ai.ask.lexicon import cached_lexicon
from zhike.ai.ask.llm import QUERY_PURPOSE, parse_with_model
from zhike.ai.ask.parser import STRONG_COUNT_WORDS, ParseResult, parse_question
from zhike.ai.ask.schemas import AnswerWarning, AskAnswer, ClarificationOut
from zhike.ai.ask.summary import stream_summary
from zhike.ai.context.intent import IntentResult, network_provider_configured, recognise_intent
from zhike.ai.llm.gateway import LLMGateway
from zhike.analytics.column_labels import column_labels
from zhike.analytics.periods import reference_day
from zhike.analytics.query import ReportQuery
from zhike.analytics.service import run_report
from zhike.core.errors import InvalidInput
from zhike.core.i18n import load_catalog, translate
from zhike.security.access import grant_for
from zhike.security.context import Actor
from zhike.security.models import User
from zhike.security.roles import OWNED_OBJECTS

logger = logging.getLogger(__name__)

# Warning codes in the order the answer lists them.
WARNING_CODES = (
    "assistant_future_outcome",
    "assistant_name_shared",
    "assistant_scope_limited",
    "assistant_ignored_time",
    "assistant_ignored_filter",
    "assistant_ignored_group",
    "assistant_ignored_measure",
    "assistant_unknown_words",
)
# Below this confidence, a request for an action that the parser read as a query
# gets a data result.
OVERRIDE_CONFIDENCE = 0.6
# Clarifications of questions that the parser read as rankings or groupings, so they are
# data questions whatever the intent classifier says.
RANKING_CLARIFICATIONS = frozenset({"assistant_key_word_unknown"})

_gateway: LLMGateway | None = None
_gateway_lock = threading.Lock()


def default_gateway() -> LLMGateway:
    """Return the process-wide gateway, created on first use so that imports stay cheap."""
    global _gateway
    with _gateway_lock:
        if _gateway is None:
            _gateway = LLMGateway()
        return _gateway


def _parse(
    session: Session,
    actor: Actor,
    question: str,
    today: date,
    gateway: LLMGateway | None,
) -> tuple[ParseResult, str]:
    lexicon = cached_lexicon(session, actor)
    if gateway is not None and network_provider_configured(session, actor, QUERY_PURPOSE):
        parsed = parse_with_model(session, actor, question, lexicon, today, gateway)
        if parsed is not None:
            return parsed, "llm"
    return parse_question(question, lexicon, today, actor.user_id), "offline"


def _data_question(intent: IntentResult, parsed: ParseResult) -> bool:
    """Decide whether to return data: the classifier chose a query, or the parser read one.

    A parsed query with filters, groups, a measure beyond a bare count or a count word
    ("how many products …") overrides any intent but a confident request for an action,
    and so does a ranking whose unknown key the parser asks back about.
    """
    if intent.intent == "query_data":
        return True
    if parsed.clarification is not None and parsed.clarification.code in RANKING_CLARIFICATIONS:
        # The parser read a ranking or grouping whose key it does not know: a data question.
        return intent.intent != "take_action" or intent.confidence < OVERRIDE_CONFIDENCE
    if parsed.query is None:
        return False
    query = parsed.query
    # "how many products are in our catalog": a count word with the records to count.
    counted = any(text in STRONG_COUNT_WORDS for text in parsed.understood)
    understood = bool(
        query.filters or query.group_by or query.measures[0].aggregate != "count" or counted
    )
    if intent.intent == "take_action":
        return understood and intent.confidence < OVERRIDE_CONFIDENCE
    return understood or intent.intent == "investigate_anomaly"


def ask(
    session: Session,
    actor: Actor,
    question: str,
    *,
    as_of: date | None = None,
    gateway: LLMGateway | None = None,
) -> AskAnswer:
    """Answer ``question`` as ``actor``; ``gateway`` None keeps everything offline."""
    return _finish(*_steps(session, actor, question, as_of, gateway))


def _steps(
    session: Session,
    actor: Actor,
    question: str,
    as_of: date | None,
    gateway: LLMGateway | None,
) -> tuple[Session, Actor, str, IntentResult, ParseResult, str, date | None]:
    text = question.strip()
    if not text:
        raise InvalidInput("assistant_empty_question")
    today = reference_day(as_of, actor.timezone)
    intent = recognise_intent(session, actor, text, gateway)
    parsed, source = _parse(session, actor, text, today, gateway)
    return session, actor, text, intent, parsed, source, as_of


def _finish(
    session: Session,
    actor: Actor,
    question: str,
    intent: IntentResult,
    parsed: ParseResult,
    source: str,
    as_of: date | None,
) -> AskAnswer:
    started = time.perf_counter()
    answer = AskAnswer(
        question=question,
        intent=intent.intent,
        intent_confidence=intent.confidence,
        source=source,
    )
    if not _data_question(intent, parsed):
        answer.message = translate(f"assistant.intent_hint.{intent.intent}", actor.locale)
        return answer
    answer.intent = (
        "investigate_anomaly" if intent.intent == "investigate_anomaly" else "query_data"
    )
    if parsed.clarification is not None:
        answer.clarification = ClarificationOut(
            code=parsed.clarification.code,
            message=translate(
                f"assistant.clarify.{parsed.clarification.code}",
                actor.locale,
                **parsed.clarification.params,
            ),
            options=parsed.clarification.options,
        )
        return answer
    assert parsed.query is not None
    query = parsed.query.model_copy(update={"as_of": as_of}) if as_of else parsed.query
    result = run_report(session, actor, query)
    answer.query = parsed.query
    answer.columns = result.columns
    answer.rows = result.rows
    answer.chart = suggest_chart(query, result)
    answer.value_labels = value_labels(session, actor, query, result)
    headings = column_labels(session, actor, query)
    answer.column_labels = {
        column.name: headings[column.name] for column in result.columns if column.name in headings
    }
    answer.warnings = answer_warnings(
        parsed.ignored,
        actor.locale,
        parsed.unread,
        parsed.future_outcome,
        future_rate=parsed.future_rate,
        shared_names=_shared_names(session, actor, parsed.query),
        scoped_object=_scoped_object(actor, query),
    )
    answer.confidence = _answer_confidence(intent, answer.intent, parsed)
    answer.message = translate("assistant.answer_rows", actor.locale, count=len(result.rows))
    logger.info(
        "question answered",
        extra={
            "object": query.object,
            "source": source,
            "rows": len(result.rows),
            "ignored": len(parsed.ignored),
            "unread": len(parsed.unread),
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return answer


def _answer_confidence(intent: IntentResult, answered: str, parsed: ParseResult) -> float:
    """Return how far the answer can be trusted to answer the whole question, 0 to 1.

    It is the share of the question's phrases the query accounts for, times the
    classifier's probability of the intent answered. When the parser overrode the
    classifier, only the chosen intent's probability is known, so the answered one's
    is taken at its largest possible value, one minus that.
    """
    probability = intent.confidence if intent.intent == answered else 1 - intent.confidence
    return round(parsed.coverage * probability, 3)


def _scoped_object(actor: Actor, query: ReportQuery) -> str | None:
    """Return the object's label when the asker's data scope leaves out other people's records.

    Two reps asking the same question get different figures, so the warning states that
    the result counts only the records the asker may read. A question about the asker's
    own records ("我的商机") loses nothing to the scope and gets no warning.
    """
    object_name = query.object
    grant = grant_for(actor, object_name)
    if object_name not in OWNED_OBJECTS or grant is None or grant.scope == "company":
        return None
    own = str(actor.user_id)
    if any(item.field == "owner_id" and item.value == own for item in query.filters):
        return None
    return load_catalog(actor.locale).get(f"access.object.{object_name}") or object_name


def _shared_names(session: Session, actor: Actor, query: ReportQuery) -> list[str]:
    """Return the people's names the query filters on that more than one user of the tenant has.

    The parser filters on the display name, which is all the question gives, so two
    colleagues called 王伟 are counted together, and the warning reports it.
    """
    names: list[str] = []
    for item in query.filters:
        if not item.field.endswith("display_name"):
            continue
        values = item.value if isinstance(item.value, list) else [item.value]
        names.extend(value for value in values if isinstance(value, str) and value not in names)
    if not names:
        return []
    counts = session.execute(
        select(User.display_name, func.count())
        .where(User.tenant_id == actor.tenant_id, User.display_name.in_(names))
        .group_by(User.display_name)
    ).all()
    shared = {name for name, count in counts if count > 1}
    return [name for name in names if name in shared]


def answer_warnings(
    ignored: list[Ignored],
    locale: str,
    unread: list[str] | None = None,
    future_outcome: str | None = None,
    *,
    future_rate: bool = False,
    shared_names: list[str] | None = None,
    scoped_object: str | None = None,
) -> list[AnswerWarning]:
    """Return one warning per kind of phrase left out, naming the phrases in question order.

    ``ignored`` are recognised phrases that the query does not apply. ``unread`` are
    content words the parser did not recognise at all, and they get a warning of their own.
    ``future_outcome`` is the future period of a question about won or lost deals, which
    the query answers with the open deals expected to close in it. With ``future_rate`` the
    question asks for a win or loss rate there, which stays empty until deals close, and
    the warning reports that instead. ``shared_names`` are people's names in the query that
    more than one user has, so the result contains the records of all of them.
    ``scoped_object`` is the label of the queried object when the asker sees only part
    of its records.
    """
    by_code: dict[str, list[str]] = {}
    if future_outcome is not None:
        by_code["assistant_future_outcome"] = [future_outcome]
    if shared_names:
        by_code["assistant_name_shared"] = shared_names
    if scoped_object is not None:
        by_code["assistant_scope_limited"] = [scoped_object]
    for found in ignored:
        texts = by_code.setdefault(f"assistant_ignored_{found.kind}", [])
        if found.text not in texts:
            texts.append(found.text)
    if unread:
        by_code["assistant_unknown_words"] = list(dict.fromkeys(unread))
    separator = ", " if locale == "en" else "、"
    warnings = []
    for code in WARNING_CODES:
        if code not in by_code:
            continue
        words = by_code[code]
        key = code
        if code == "assistant_future_outcome" and future_rate:
            key = "assistant_future_rate"
        message = translate(f"assistant.warning.{key}", locale, words=separator.join(words))
        warnings.append(AnswerWarning(code=code, message=message, words=words))
    return warnings


def ask_events(
    session: Session,
    actor: Actor,
    question: str,
    *,
    as_of: date | None = None,
    gateway: LLMGateway | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield the answer of ``ask`` stage by stage, each event as soon as its stage is done.

    Yields ``intent`` once the intent is recognised, then ``query`` once the
    question is parsed, then ``clarification`` or ``result`` once the report has
    run. When a network model is configured for summaries, ``token`` events then
    carry a short written answer as the model produces it. ``done`` comes last,
    with the summary's full text when there is one. Each event's data is JSON-ready.
    """
    text = question.strip()
    if not text:
        raise InvalidInput("assistant_empty_question")
    today = reference_day(as_of, actor.timezone)
    intent = recognise_intent(session, actor, text, gateway)
    yield (
        "intent",
        {"intent": intent.intent, "confidence": intent.confidence, "source": intent.source},
    )
    parsed, source = _parse(session, actor, text, today, gateway)
    if parsed.query is not None:
        yield (
            "query",
            {"query": parsed.query.model_dump(mode="json", exclude_none=True), "source": source},
        )
    answer = _finish(session, actor, text, intent, parsed, source, as_of)
    if answer.clarification is not None:
        yield "clarification", answer.clarification.model_dump(mode="json")
        yield "done", {}
        return
    yield "result", answer.model_dump(mode="json")
    summary = ""
    if answer.query is not None and gateway is not None:
        for piece in stream_summary(session, actor, answer, gateway):
            summary += piece
            yield "token", {"text": piece}
    yield "done", {"summary": summary} if summary else {}
