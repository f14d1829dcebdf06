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
from zhike.ai.ask.tokens import Unmatched

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
_CJK_NUMBER = re.compile(r"^第?[零一二两三四五六七八九十百千万亿\d]+[个位家笔名条款项次种大强]?$")


def unread_words(unmatched: list[Unmatched], lexicon: Lexicon, accounted: list[str]) -> list[str]:
    """Return the content words of ``unmatched``, neighbours joined, in question order.

    ``accounted`` holds phrases that another warning already names (an unread time
    phrase such as "春节期间"), so no word is reported twice.
    """
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
    return [_joined(run) for run in runs]


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
