"""Features of a (query, candidate question) pair, shared by the pair model and the re-ranker."""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from zhike.ai.retrieval.text import characters, normalize, words

_DIGITS = re.compile(r"\d+")

PAIR_FEATURES = (
    "char_jaccard",
    "bigram_jaccard",
    "word_jaccard",
    "word_coverage",
    "synonym_coverage",
    "sequence_ratio",
    "length_ratio",
    "numbers_differ",
)


def _jaccard(left: set[str], right: set[str]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def pair_features(query: str, candidate: str, synonyms: dict[str, dict[str, float]]) -> list[float]:
    query_chars, candidate_chars = characters(query), characters(candidate)
    unigrams_q = {gram for gram in query_chars if len(gram) == 1}
    unigrams_c = {gram for gram in candidate_chars if len(gram) == 1}
    bigrams_q = {gram for gram in query_chars if len(gram) == 2}
    bigrams_c = {gram for gram in candidate_chars if len(gram) == 2}
    words_q, words_c = set(words(query)), set(words(candidate))
    coverage = len(words_q & words_c) / len(words_q) if words_q else 0.0
    bridged = sum(
        1
        for word in words_q
        if word in words_c or any(other in words_c for other in synonyms.get(word, ()))
    )
    synonym_coverage = bridged / len(words_q) if words_q else 0.0
    left, right = normalize(query), normalize(candidate)
    ratio = SequenceMatcher(None, left, right, autojunk=False).ratio()
    length_ratio = min(len(left), len(right)) / max(len(left), len(right), 1)
    numbers_q, numbers_c = set(_DIGITS.findall(left)), set(_DIGITS.findall(right))
    numbers_differ = 1.0 if numbers_q and numbers_c and not numbers_q & numbers_c else 0.0
    return [
        _jaccard(unigrams_q, unigrams_c),
        _jaccard(bigrams_q, bigrams_c),
        _jaccard(words_q, words_c),
        coverage,
        synonym_coverage,
        ratio,
        length_ratio,
        numbers_differ,
    ]


def best_of(rows: Sequence[list[float]]) -> list[float]:
    """Column-wise maximum: an entry matches as well as its closest question."""
    return [max(column) for column in zip(*rows, strict=True)]
