"""Words of a question that the parser recognised but the query does not apply.

A recognised word that the query leaves out makes the answer one to a different
question: "下个月的商机" answered over all time, "不是紧急的工单" answered for the
urgent ones. The parser reports such words, grouped by kind, so the answer can
warn about them by name instead of dropping them in silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from zhike.ai.ask import vocabulary as words
from zhike.ai.ask.reading import Reading, path_for
from zhike.ai.ask.tokens import Phrase
from zhike.analytics.query import ReportFilter, ReportGroup, ReportMeasure

IgnoredKind = Literal["time", "filter", "group", "measure"]
_CJK_END = re.compile(r"[\u3400-\u9fff]$")
_CJK_START = re.compile(r"[\u3400-\u9fff]")
# Aggregates that a superlative also stands for ("最大" ranks as often as it asks
# for a maximum), so they count as applied when the question ranks.
_SUPERLATIVE_AGGREGATES = frozenset({"max", "min", "sum"})


@dataclass(frozen=True, slots=True)
class Ignored:
    """One recognised phrase of the question that the query does not apply."""

    kind: IgnoredKind
    text: str


@dataclass(slots=True)
class Applied:
    """The parts of the query, with the phrases that produced measures and groups."""

    filters: list[ReportFilter]
    groups: list[ReportGroup]
    measures: list[ReportMeasure]
    grouped_positions: set[int] = field(default_factory=set)
    rate_phrase: Phrase | None = None
    conversion: bool = False


def ignored_phrases(reading: Reading, applied: Applied) -> list[Ignored]:
    """Return the filter, group and measure phrases of ``reading`` that ``applied`` leaves out."""
    found: list[Ignored] = []
    found.extend(Ignored("filter", text) for text in _ignored_conditions(reading))
    found.extend(Ignored("filter", text) for text in _ignored_negations(reading, applied))
    found.extend(Ignored("group", text) for text in _ignored_groups(reading, applied))
    found.extend(Ignored("measure", text) for text in _ignored_measures(reading, applied))
    return found


def _ignored_conditions(reading: Reading) -> list[str]:
    """Condition words ("紧急", "open") that no path of the base object reaches."""
    ignored = []
    for phrase in reading.phrases:
        if not phrase.terms or any(term.kind != "condition" for term in phrase.terms):
            continue
        reachable = any(term.target in words.PATHS.get(reading.base, {}) for term in phrase.terms)
        if not reachable:
            ignored.append(phrase.text)
    return ignored


def _ignored_negations(reading: Reading, applied: Applied) -> list[str]:
    """Negation words that negate no value: "不是紧急的工单" would count the urgent ones."""
    ignored = []
    for phrase in reading.phrases:
        if not phrase.has("negation") or any(term.kind != "negation" for term in phrase.terms):
            continue
        following = (
            reading.phrases[phrase.position + 1]
            if phrase.position + 1 < len(reading.phrases)
            else None
        )
        if following is not None and _negated_value(reading, following, applied):
            continue
        if following is None:
            ignored.append(phrase.text)
        elif _CJK_END.search(phrase.text) and _CJK_START.match(following.text):
            ignored.append(phrase.text + following.text)
        else:
            ignored.append(f"{phrase.text} {following.text}")
    return ignored


def _negated_value(reading: Reading, phrase: Phrase, applied: Applied) -> bool:
    negated_paths = {item.field for item in applied.filters if item.op in ("ne", "not_in")}
    for term in phrase.terms:
        if term.kind != "value":
            continue
        for target in (term.target, "managers"):
            if path_for(reading.base, target, term.field) in negated_paths:
                return True
    return False


def _ignored_groups(reading: Reading, applied: Applied) -> list[str]:
    """Dimensions after an explicit group word ("按", "by") that the query does not group by."""
    grouped = {group.field for group in applied.groups}
    filtered = {item.field for item in applied.filters}
    ignored = []
    for phrase in reading.phrases:
        if not phrase.has("dimension") or phrase.position in applied.grouped_positions:
            continue
        if phrase.has("object") or phrase.has("measure_field") or phrase.has("value"):
            continue
        if not reading.governed(phrase, ("group",), before=1):
            continue
        paths = {
            path_for(reading.base, term.target, term.field)
            for term in phrase.terms
            if term.kind == "dimension"
        }
        if not paths & (grouped | filtered):
            ignored.append(phrase.text)
    return ignored


def _ignored_measures(reading: Reading, applied: Applied) -> list[str]:
    aggregates = {measure.aggregate for measure in applied.measures}
    ranked = bool(reading.of("top") or reading.of("bottom") or reading.of("rank"))
    ignored = []
    for phrase in reading.phrases:
        aggregate = phrase.first("aggregate")
        if aggregate is not None and isinstance(aggregate.value, str):
            superlative = aggregate.value in _SUPERLATIVE_AGGREGATES and (
                ranked or aggregate.value == "sum"
            )
            # "平均赢单率": a rate is already an average over the records.
            rate_average = aggregate.value == "avg" and "share" in aggregates
            if aggregate.value not in aggregates and not superlative and not rate_average:
                ignored.append(phrase.text)
                continue
        if phrase.has("rate") and phrase is not applied.rate_phrase:
            conversion_applied = applied.conversion and phrase.has("conversion")
            if not conversion_applied and not _applied_condition(reading, phrase):
                ignored.append(phrase.text)
                continue
        lone_conversion = phrase.has("conversion") and not phrase.has("rate")
        if lone_conversion and not applied.conversion and not _applied_condition(reading, phrase):
            ignored.append(phrase.text)
            continue
        if _measure_field_ignored(reading, phrase, applied):
            ignored.append(phrase.text)
    return ignored


def _applied_condition(reading: Reading, phrase: Phrase) -> bool:
    return any(
        term.kind == "condition" and term.target in words.PATHS.get(reading.base, {})
        for term in phrase.terms
    )


def _measure_field_ignored(reading: Reading, phrase: Phrase, applied: Applied) -> bool:
    """True for a phrase that only names a numeric field which no part of the query uses."""
    if not phrase.terms or any(term.kind != "measure_field" for term in phrase.terms):
        return False
    used = (
        {measure.field for measure in applied.measures}
        | {item.field for item in applied.filters}
        | {group.field for group in applied.groups}
    )
    paths = {path_for(reading.base, term.target, term.field) for term in phrase.terms}
    return not paths & used
