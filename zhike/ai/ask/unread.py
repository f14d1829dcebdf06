"""Content words of a question that nothing in the parse accounted for.

A word the lexicon does not know is otherwise skipped like a filler word, so "top 5
customers by churn risk" would be answered as "top 5 customers" with no sign that
"churn risk" played no part. After removing filler words, numbers and everything the
lexicon matched, the words that are left are reported, joined back into the phrases
the asker wrote, so the answer can warn about them and state a lower confidence.
"""

from __future__ import annotations

import itertools
import re

from zhike.ai.ask import vocabulary as words
from zhike.ai.ask.lexicon import Lexicon
from zhike.ai.ask.tokens import Phrase, Unmatched

# Words of time phrases. The time parser reads the phrases it knows and names the rest
# in a time warning; a word it leaves over is part of such a phrase, not a new subject.
_TIME_WORDS = frozenset(
    {
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "quarter",
        "quarters",
        "year",
        "years",
        "period",
        "periods",
        "date",
        "dates",
        "time",
        "over",
        "during",
        "through",
        "throughout",
        "until",
        "till",
        "since",
        "before",
        "after",
        "between",
        "past",
        "previous",
        "next",
        "last",
        "coming",
        "upcoming",
        "recent",
        "recently",
        "lately",
        "ago",
        "季度",
        "月份",
        "年度",
        "时间",
        "日期",
        "期间",
        "时候",
        "以来",
        "最近",
        "近期",
    }
)
_NUMBER = re.compile(r"^[$¥￥]?\d[\d.,]*(?:k|m|st|nd|rd|th|s)?$")
# A Chinese count or ordinal with its measure word ("两个", "第三"), which the top-N and
# time patterns read where it matters.
_CJK_NUMBER = re.compile(
    r"^第?[零一二两三四五六七八九十百千万亿\d]+[个位家笔名条款项次种大强张单]?$"
)


# Words after which an unknown word names what to group or rank by: "by churn risk", "按满意度".
_SLOT_OPENERS = ("group", "rank")
# Superlatives and aggregates before an unknown measure: "highest churn risk", "平均满意度".
_MEASURE_OPENERS = ("top", "bottom", "aggregate")
# Words after an unknown measure or dimension: "流失风险最高", "churn risk ranking", "满意度分布".
_SLOT_CLOSERS = ("top", "bottom", "rank", "group_after")
# Words that fill the measure slot after an English superlative: "the most open opps".
_SLOT_FILLERS = ("object", "measure_field", "condition", "rate", "value")
# Unmatched tokens allowed between a slot word and the unknown word ("by their churn risk").
_MAX_GAP = 2


def unread_words(unmatched: list[Unmatched], lexicon: Lexicon, accounted: list[str]) -> list[str]:
    """Return the content words of ``unmatched``, neighbours joined, in question order.

    ``accounted`` holds phrases that another warning already names (an unread time
    phrase such as "春节期间"), so no word is reported twice.
    """
    return [_joined(run) for run in _runs(unmatched, lexicon, accounted)]


def key_words(
    unmatched: list[Unmatched], phrases: list[Phrase], lexicon: Lexicon, accounted: list[str]
) -> list[str]:
    """Return the unread words that stand where the question names its measure or dimension.

    In "top 5 customers by churn risk" and "流失风险最高的5个客户" the unknown words say
    what to rank by, so answering with another measure would answer another question.
    Unknown words elsewhere ("麻烦老板要的") are filler that the answer can do without.
    """
    # "最活跃的客户": jieba cuts 最 off the unknown word, and 最 alone is no known superlative.
    superlative_prefix = {word.token + 1 for word in unmatched if word.text == "最" and word.whole}
    return [
        _joined(run)
        for run in _runs(unmatched, lexicon, accounted)
        if all(word.whole for word in run)
        and (run[0].token in superlative_prefix or _in_key_slot(run, phrases))
    ]


def _in_key_slot(run: list[Unmatched], phrases: list[Phrase]) -> bool:
    # NOTE: only neighbours are read. An unknown field compared with a number ("churn risk
    # above 0.5") is not found, and the comparison falls back to the money field.
    first, last = run[0].token, run[-1].token
    before = [phrase for phrase in phrases if phrase.last_token < first]
    after = [phrase for phrase in phrases if phrase.first_token > last]
    previous = before[-1] if before and first - before[-1].last_token <= _MAX_GAP + 1 else None
    following = after[0] if after and after[0].first_token - last <= _MAX_GAP + 1 else None
    # A known field right after the unknown word fills the slot: "by annual contract value".
    adjacent = after[0] if after and after[0].first_token == last + 1 else None
    if adjacent is not None and (adjacent.has("measure_field") or adjacent.has("rate")):
        return False
    if previous is not None:
        if any(previous.has(kind) for kind in _SLOT_OPENERS):
            return adjacent is None or not adjacent.has("dimension")
        # "top 5" is read as a marker: the unknown word after it may be a filter of the records.
        is_marker = previous.text.startswith("__")
        opens_measure = any(
            term.kind in _MEASURE_OPENERS and not isinstance(term.value, tuple)
            for term in previous.terms
        )
        if opens_measure and not is_marker:
            return True
    if following is None or not any(following.has(kind) for kind in _SLOT_CLOSERS):
        return False
    # In English the superlative comes before what it ranks: in "who's carrying the most open
    # opps" the unknown verb is before "most", and "open opps" fills the measure slot.
    if not run[0].is_cjk and (following.has("top") or following.has("bottom")):
        filled = [
            phrase
            for phrase in after[1:3]
            if phrase.first_token - following.last_token <= _MAX_GAP + 1
        ]
        return not any(phrase.has(kind) for phrase in filled for kind in _SLOT_FILLERS)
    return True


def _runs(
    unmatched: list[Unmatched], lexicon: Lexicon, accounted: list[str]
) -> list[list[Unmatched]]:
    runs: list[list[Unmatched]] = []
    previous: Unmatched | None = None
    for word in unmatched:
        if not _is_content(word, lexicon) or any(word.text in text for text in accounted):
            previous = None
            continue
        if previous is not None and word.token == previous.token + 1 and word.whole:
            runs[-1].append(word)
        else:
            runs.append([word])
        previous = word if word.whole else None
    return runs


def _is_content(word: Unmatched, lexicon: Lexicon) -> bool:
    text = word.text
    if text in words.FILLER_WORDS or text in _TIME_WORDS:
        return False
    if word.is_cjk:
        # A single character left over is a particle or a measure word ("的", "单", "过")
        # far more often than a word of its own, and so is a word made only of such
        # characters where jieba joined two of them ("还有", "单笔").
        if len(text) < 2 or _CJK_NUMBER.match(text) is not None:
            return False
        return any(character not in words.FILLER_WORDS for character in text)
    if _NUMBER.match(text) or text in words.NUMBER_WORDS:
        return False
    # "top-selling", "highest-performing": a compound is content only through a part that
    # is neither a known word nor a filler.
    parts = [part for part in re.split(r"[-_+&.']", text) if part]
    return any(
        part not in words.FILLER_WORDS
        and part not in lexicon.terms
        and part not in words.NUMBER_WORDS
        and _NUMBER.match(part) is None
        and len(part) > 1
        for part in parts
    )


def _joined(run: list[Unmatched]) -> str:
    text = run[0].text
    for previous, word in itertools.pairwise(run):
        text += word.text if previous.is_cjk and word.is_cjk else " " + word.text
    return text
