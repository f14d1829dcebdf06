"""An incremental BM25 inverted index.

Adding or removing a document touches only that document's postings, so a publish is
searchable at once; scoring is vectorised over the postings of the query terms.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class _Postings:
    __slots__ = ("_arrays", "_saturated", "documents", "frequencies")

    def __init__(self) -> None:
        self.documents: list[int] = []
        self.frequencies: list[int] = []
        self._arrays: tuple[npt.NDArray[np.int64], FloatArray] | None = None
        # The term-frequency part of BM25 per posting, and the average length it was computed for.
        self._saturated: tuple[float, FloatArray] | None = None

    def add(self, document: int, frequency: int) -> None:
        self.documents.append(document)
        self.frequencies.append(frequency)
        self._arrays = None
        self._saturated = None

    def saturated(
        self, average: float, lengths: FloatArray, k1: float, b: float
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Documents and tf·(k1+1)/(tf+norm) of each, cached until the average length changes."""
        documents, frequencies = self.arrays()
        if self._saturated is None or self._saturated[0] != average:
            norm = k1 * (1.0 - b + b * lengths[documents] / average)
            self._saturated = (average, frequencies * (k1 + 1.0) / (frequencies + norm))
        return documents, self._saturated[1]

    def arrays(self) -> tuple[npt.NDArray[np.int64], FloatArray]:
        if self._arrays is None:
            self._arrays = (
                np.asarray(self.documents, dtype=np.int64),
                np.asarray(self.frequencies, dtype=np.float64),
            )
        return self._arrays


class BM25Index:
    """BM25 over internal document numbers; removed documents are masked, not rebuilt."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, _Postings] = {}
        self._lengths: list[float] = []
        self._alive: list[bool] = []
        self._document_frequency: Counter[str] = Counter()
        self._terms: list[tuple[str, ...]] = []
        self._live_count = 0
        self._total_length = 0.0
        self._length_array: FloatArray | None = None
        self._alive_array: npt.NDArray[np.bool_] | None = None

    def __len__(self) -> int:
        return len(self._lengths)

    @property
    def live_count(self) -> int:
        return self._live_count

    def add(self, terms: Iterable[str]) -> int:
        """Index one document and return its number."""
        document = len(self._lengths)
        counts = Counter(terms)
        for term, frequency in counts.items():
            postings = self._postings.get(term)
            if postings is None:
                postings = self._postings[term] = _Postings()
            postings.add(document, frequency)
            self._document_frequency[term] += 1
        length = float(sum(counts.values()))
        self._lengths.append(length)
        self._alive.append(True)
        self._terms.append(tuple(counts))
        self._live_count += 1
        self._total_length += length
        self._length_array = None
        self._alive_array = None
        return document

    def remove(self, document: int) -> None:
        if not self._alive[document]:
            return
        self._alive[document] = False
        for term in self._terms[document]:
            self._document_frequency[term] -= 1
        self._live_count -= 1
        self._total_length -= self._lengths[document]
        self._alive_array = None

    def idf(self, term: str) -> float:
        frequency = self._document_frequency.get(term, 0)
        return math.log(1.0 + (self._live_count - frequency + 0.5) / (frequency + 0.5))

    def scores(self, terms: Iterable[str], weights: dict[str, float] | None = None) -> FloatArray:
        """BM25 score of every document number (removed ones score 0)."""
        total = np.zeros(len(self._lengths), dtype=np.float64)
        if not self._live_count:
            return total
        if self._length_array is None:
            self._length_array = np.asarray(self._lengths, dtype=np.float64)
        if self._alive_array is None:
            self._alive_array = np.asarray(self._alive, dtype=np.bool_)
        average = self._total_length / self._live_count or 1.0
        for term, query_frequency in Counter(terms).items():
            postings = self._postings.get(term)
            if postings is None or self._document_frequency[term] <= 0:
                continue
            documents, saturated = postings.saturated(average, self._length_array, self.k1, self.b)
            weight = self.idf(term) * (weights.get(term, 1.0) if weights else 1.0)
            total[documents] += (weight * query_frequency) * saturated
        total[~self._alive_array] = 0.0
        return total
