"""Synonyms mined from paraphrases: words that replace each other between two ways of asking.

Customers say 借款/贷款, 额度/钱, 开通/申请 for the same thing; word overlap misses those.
Every pair of questions known to mean the same (similar questions of one FAQ entry, or
labelled positive pairs) votes for the words one has and the other lacks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from zhike.ai.retrieval.text import words

MIN_PAIR_COUNT = 2
MIN_ASSOCIATION = 0.08
MAX_SYNONYMS = 5


def mine_synonyms(
    paraphrase_pairs: Iterable[tuple[str, str]],
) -> dict[str, dict[str, float]]:
    """Map a word to the words it is replaced by, each with an association in (0, 1]."""
    together: Counter[tuple[str, str]] = Counter()
    alone: Counter[str] = Counter()
    for first, second in paraphrase_pairs:
        left, right = set(words(first)), set(words(second))
        only_left, only_right = left - right, right - left
        alone.update(only_left)
        alone.update(only_right)
        for word in only_left:
            for other in only_right:
                together[(word, other)] += 1
                together[(other, word)] += 1
    candidates: dict[str, list[tuple[float, str]]] = {}
    for (word, other), count in together.items():
        if count < MIN_PAIR_COUNT or word == other:
            continue
        association = count / math.sqrt(alone[word] * alone[other])
        if association >= MIN_ASSOCIATION:
            candidates.setdefault(word, []).append((association, other))
    return {
        word: {
            other: round(score, 4) for score, other in sorted(found, reverse=True)[:MAX_SYNONYMS]
        }
        for word, found in candidates.items()
    }


def group_pairs(
    groups: Iterable[Sequence[str]], limit_per_group: int = 20
) -> list[tuple[str, str]]:
    """All pairs within each group of equivalent questions (bounded for very large groups)."""
    pairs: list[tuple[str, str]] = []
    for group in groups:
        members = list(group)[:limit_per_group]
        pairs.extend(
            (members[i], members[j])
            for i in range(len(members))
            for j in range(i + 1, len(members))
        )
    return pairs


def expand(
    query_words: Sequence[str], synonyms: dict[str, dict[str, float]], weight: float = 0.6
) -> dict[str, float]:
    """Query term weights: the words themselves at 1, their synonyms at a reduced weight."""
    weights: dict[str, float] = dict.fromkeys(query_words, 1.0)
    for word in query_words:
        for other, association in synonyms.get(word, {}).items():
            if other not in weights:
                weights[other] = max(weights.get(other, 0.0), weight * association)
    return weights
