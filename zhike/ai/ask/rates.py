"""Rate measures: the share of records that meet a condition ("赢单率", "share of urgent tickets").

A rate word either names its condition ("赢单率" is won deals, "解决率" resolved
tickets) or takes it from the value or condition named next to it ("紧急工单的比例",
"share of urgent tickets"). The condition becomes the ``where`` of a ``share``
measure and stops being a filter. A win or loss rate counts closed deals only, the
same definition as the standard win-rate dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zhike.ai.ask import vocabulary as words
from zhike.ai.ask.lexicon import Lexicon
from zhike.ai.ask.reading import Reading, path_for
from zhike.ai.ask.tokens import Phrase
from zhike.analytics.query import ReportFilter, ReportMeasure

# Deals with a close date, the population of a win or loss rate.
CLOSED_DEALS = ReportFilter(field="closed_on", op="is_not_empty")
_STAGE_FIELDS = frozenset({"stage.key", "stage.is_won", "stage.is_lost"})
_WON = ReportFilter(field="stage.is_won", op="eq", value=True)
_LOST = ReportFilter(field="stage.is_lost", op="eq", value=True)


@dataclass(slots=True)
class Rate:
    """A rate measure, the phrase that asked for it, and the filters left once it applies."""

    measure: ReportMeasure
    phrase: Phrase
    filters: list[ReportFilter]


def rate_measure(
    reading: Reading, lexicon: Lexicon, base: str, filters: list[ReportFilter]
) -> Rate | None:
    """Return the first rate of the question that applies to ``base``, or None."""
    for phrase in reading.phrases:
        if not phrase.has("rate"):
            continue
        # "转化率" names the leads' condition: on deals it is no rate of the stage before it.
        if any(term.kind == "rate" and term.target is not None for term in phrase.terms):
            where = _own_condition(phrase, base)
        else:
            subject = _subject(reading, phrase)
            where = None if subject is None else _subject_condition(subject, lexicon, base)
        if not where:
            continue
        return _rate(phrase, base, where, filters)
    return None


def _rate(
    phrase: Phrase, base: str, where: list[ReportFilter], filters: list[ReportFilter]
) -> Rate:
    closing = base == "opportunities" and any(item in (_WON, _LOST) for item in where)
    replaced = {item.field for item in where}
    if closing:
        replaced |= _STAGE_FIELDS
    kept = [item for item in filters if item.field not in replaced]
    alias = None
    if closing:
        if CLOSED_DEALS not in kept:
            kept.append(CLOSED_DEALS)
        alias = "win_rate" if _WON in where else "loss_rate"
    measure = ReportMeasure(aggregate="share", where=where, alias=alias)
    return Rate(measure, phrase, kept)


def _own_condition(phrase: Phrase, base: str) -> list[ReportFilter] | None:
    for term in phrase.terms:
        if term.kind != "rate" or term.target is None:
            continue
        prefix = words.PATHS.get(base, {}).get(term.target)
        if prefix is not None:
            return _condition_filters(prefix, term.conditions)
    return None


def _subject(reading: Reading, phrase: Phrase) -> Phrase | None:
    """Return the value or condition a bare rate word is about: right before it, else after it.

    "紧急工单的比例" names it before ("工单" between is an object word, which is
    skipped); "share of urgent tickets" names it after.
    """
    phrases = reading.phrases
    before = [phrases[index] for index in range(phrase.position - 1, -1, -1)]
    after = phrases[phrase.position + 1 :]
    for side in (before, after):
        for other in side[:2]:
            if other.has("value") or other.has("condition"):
                return other
            if not other.has("object"):
                break
    return None


def _subject_condition(subject: Phrase, lexicon: Lexicon, base: str) -> list[ReportFilter] | None:
    for term in subject.terms:
        if term.kind == "value":
            path = path_for(base, term.target, term.field)
            if path is None:
                continue
            if path == "stage.key" and term.value == lexicon.won_stage_key:
                return [_WON]
            if path == "stage.key" and term.value in lexicon.lost_stage_keys:
                return [_LOST]
            return [ReportFilter(field=path, op="eq", value=term.value)]
        if term.kind == "condition":
            prefix = words.PATHS.get(base, {}).get(term.target or "")
            if prefix is not None:
                return _condition_filters(prefix, term.conditions)
    return None


def _condition_filters(
    prefix: str, conditions: tuple[tuple[str, str, Any], ...]
) -> list[ReportFilter]:
    return [ReportFilter(field=prefix + name, op=op, value=value) for name, op, value in conditions]
