"""A per-tenant search index over FAQ entries and article passages.

Each entry is a key with one or more texts (a standard question and its similar
questions, or an article's title and passages). Retrieval runs in two stages:
candidates from fused BM25 (jieba words, characters and mined synonyms), then a
linear re-ranker over pair features. Both stages are optional so that the benefit
of each can be measured on the same data.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from zhike.ai.retrieval.bm25 import BM25Index, FloatArray
from zhike.ai.retrieval.features import PreparedText, best_of, prepare, prepared_pair_features
from zhike.ai.retrieval.synonyms import expand
from zhike.ai.retrieval.text import characters, words

CANDIDATE_ENTRIES = 30
ROWS_PER_ENTRY = 4
CHAR_WEIGHT = 1.0
ENTRY_DOCUMENT_WEIGHT = 0.5


@dataclass(frozen=True)
class LinearModel:
    """Weights of a logistic model, applied without scikit-learn on the query path."""

    coefficients: tuple[float, ...]
    intercept: float
    means: tuple[float, ...]
    scales: tuple[float, ...]

    def decision(self, rows: FloatArray) -> FloatArray:
        standardized = (rows - np.asarray(self.means)) / np.asarray(self.scales)
        result: FloatArray = standardized @ np.asarray(self.coefficients) + self.intercept
        return result

    def probability(self, rows: FloatArray) -> FloatArray:
        result: FloatArray = 1.0 / (1.0 + np.exp(-self.decision(rows)))
        return result


@dataclass
class RetrievalConfig:
    use_characters: bool = True
    use_synonyms: bool = True
    use_entry_documents: bool = True
    synonyms: dict[str, dict[str, float]] = field(default_factory=dict)
    pair_model: LinearModel | None = None
    reranker: LinearModel | None = None


@dataclass(frozen=True)
class Hit:
    key: str
    score: float
    text: str  # the question or passage of the entry that matched best


@dataclass
class Candidate:
    key: str
    fused: float
    word: float
    char: float
    synonym: float
    rows: list[int]
    total: float = 0.0  # score of the entry as one document


class SearchIndex:
    """Entries of one tenant; safe to search while another thread publishes.

    Two granularities are indexed: each question or passage on its own (the best
    match of an entry counts) and each entry as one document (evidence spread over
    many similar questions adds up).
    """

    def __init__(self, config: RetrievalConfig | None = None) -> None:
        self.config = config or RetrievalConfig()
        self._words = BM25Index()
        self._chars = BM25Index()
        self._entry_words = BM25Index()
        self._entry_chars = BM25Index()
        self._row_text: list[str] = []
        self._row_prepared: list[PreparedText] = []
        self._row_entry: list[int] = []
        self._entry_key: list[str] = []
        self._entries: dict[str, tuple[int, list[int]]] = {}
        self._row_entry_array: npt.NDArray[np.int64] | None = None
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def keys(self) -> list[str]:
        return list(self._entries)

    def texts(self, key: str) -> list[str]:
        return [self._row_text[row] for row in self.rows_of(key)]

    def rows_of(self, key: str) -> list[int]:
        entry = self._entries.get(key)
        return list(entry[1]) if entry else []

    def put(self, key: str, texts: Sequence[str]) -> None:
        """Add or replace an entry; only its own postings change."""
        kept = [text for text in texts if text.strip()]
        with self._lock:
            self.remove(key)
            if not kept:
                return
            joined = "\n".join(kept)
            entry = self._entry_words.add(words(joined))
            self._entry_chars.add(characters(joined))
            self._entry_key.append(key)
            rows = []
            for text in kept:
                row = self._words.add(words(text))
                self._chars.add(characters(text))
                self._row_text.append(text)
                self._row_prepared.append(prepare(text))
                self._row_entry.append(entry)
                rows.append(row)
            self._entries[key] = (entry, rows)
            self._row_entry_array = None

    def remove(self, key: str) -> None:
        with self._lock:
            found = self._entries.pop(key, None)
            if found is None:
                return
            entry, rows = found
            self._entry_words.remove(entry)
            self._entry_chars.remove(entry)
            for row in rows:
                self._words.remove(row)
                self._chars.remove(row)

    def _row_scores(self, query: str) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        query_words = words(query)
        word_scores = _scaled(self._words.scores(query_words))
        fused = word_scores.copy()
        char_scores = synonym_scores = np.zeros_like(word_scores)
        if self.config.use_characters:
            char_scores = _scaled(self._chars.scores(characters(query)))
            fused += CHAR_WEIGHT * char_scores
        if self.config.use_synonyms and self.config.synonyms:
            weights = expand(query_words, self.config.synonyms)
            synonym_scores = _scaled(self._words.scores(list(weights), weights))
            fused += synonym_scores
        return fused, word_scores, char_scores, synonym_scores

    def _entry_scores(self, query: str) -> FloatArray:
        scores = _scaled(self._entry_words.scores(words(query)))
        if self.config.use_characters:
            scores = scores + _scaled(self._entry_chars.scores(characters(query)))
        return scores

    def candidates(self, query: str, limit: int = CANDIDATE_ENTRIES) -> list[Candidate]:
        with self._lock:
            fused, word_scores, char_scores, synonym_scores = self._row_scores(query)
            if self._row_entry_array is None:
                self._row_entry_array = np.asarray(self._row_entry, dtype=np.int64)
            best = np.zeros(len(self._entry_key), dtype=np.float64)
            np.maximum.at(best, self._row_entry_array, fused)
            whole = self._entry_scores(query) if self.config.use_entry_documents else None
            combined = best + ENTRY_DOCUMENT_WEIGHT * whole if whole is not None else best
            top = np.argpartition(-combined, min(limit, combined.size - 1))[:limit]
            found = []
            for entry in top[np.argsort(-combined[top], kind="stable")]:
                if combined[entry] <= 0.0:
                    break
                key = self._entry_key[int(entry)]
                rows = sorted(self._entries[key][1], key=lambda row: -fused[row])
                found.append(
                    Candidate(
                        key=key,
                        fused=float(combined[entry]),
                        word=float(word_scores[rows[0]]),
                        char=float(char_scores[rows[0]]),
                        synonym=float(synonym_scores[rows[0]]),
                        rows=rows[:ROWS_PER_ENTRY],
                        total=float(whole[entry]) if whole is not None else 0.0,
                    )
                )
            return found

    def entry_features(self, query: str, candidates: list[Candidate]) -> FloatArray:
        synonyms = self.config.synonyms
        prepared_query = prepare(query)
        pair_rows = [
            [
                prepared_pair_features(prepared_query, self._row_prepared[row], synonyms)
                for row in candidate.rows
            ]
            for candidate in candidates
        ]
        best_pair: list[float] = []
        if self.config.pair_model is not None and pair_rows:
            # One matrix product for all candidates' questions, then the best per candidate.
            flat = np.asarray([pair for pairs in pair_rows for pair in pairs], dtype=np.float64)
            probabilities = self.config.pair_model.probability(flat)
            bounds = np.cumsum([0] + [len(pairs) for pairs in pair_rows])
            best_pair = [
                float(probabilities[start:end].max())
                for start, end in itertools.pairwise(bounds.tolist())
            ]
        rows = []
        for rank, (candidate, pairs) in enumerate(zip(candidates, pair_rows, strict=True)):
            features = [
                candidate.fused,
                candidate.word,
                candidate.char,
                candidate.synonym,
                candidate.total,
                1.0 / (rank + 1),
                math.log1p(len(self._entries[candidate.key][1])),
                *best_of(pairs),
            ]
            if self.config.pair_model is not None:
                features.append(best_pair[rank])
            rows.append(features)
        return np.asarray(rows, dtype=np.float64)

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        candidates = self.candidates(query)
        if not candidates:
            return []
        scores = np.asarray([candidate.fused for candidate in candidates])
        if self.config.reranker is not None:
            scores = self.config.reranker.probability(self.entry_features(query, candidates))
        order = np.argsort(-scores, kind="stable")[:limit]
        return [
            Hit(
                candidates[index].key,
                float(scores[index]),
                self._row_text[candidates[index].rows[0]],
            )
            for index in order
        ]


def _scaled(scores: FloatArray) -> FloatArray:
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else scores
