"""Retrieval evaluation: load articles or FAQ entries into a fresh index and score questions.

Methods, each adding one step to the previous, so their benefit is measured on the same data:

- ``bm25``: BM25 over jieba words of each question or passage.
- ``fused``: plus characters and bigrams, and each entry scored as one document.
- ``synonyms``: plus query expansion by synonyms mined from the entries' similar questions
  (and from labelled pairs when given).
- ``reranked``: plus a logistic re-ranker trained by leave-one-out over the similar questions.
- ``reranked_pairs``: plus a pair model trained on labelled pairs, as a re-ranker feature.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zhike.ai.retrieval.engine import RetrievalConfig, SearchIndex
from zhike.ai.retrieval.synonyms import group_pairs, mine_synonyms
from zhike.ai.retrieval.training import fit_pair_model, fit_reranker
from zhike.core.errors import InvalidInput
from zhike.knowledge.index import entry_texts

METHODS = ("bm25", "fused", "synonyms", "reranked", "reranked_pairs")


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InvalidInput("model_eval_file_missing", path=str(path))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def load_entries(path: Path) -> dict[str, list[str]]:
    """``id,title,body`` articles or ``id,question,answer`` FAQ rows, grouped by id."""
    rows = _rows(path)
    columns = set(rows[0]) if rows else set()
    entries: dict[str, list[str]] = {}
    for row in rows:
        if "question" in columns:
            entries.setdefault(row["id"], []).append(row["question"])
        elif {"title", "body"} <= columns:
            entries[row["id"]] = entry_texts("article", row["title"], row["body"], ())
        else:
            raise InvalidInput(
                "model_eval_column_missing", path=str(path), column="question", known=columns
            )
    return entries


def load_questions(path: Path) -> list[tuple[str, str]]:
    rows = _rows(path)
    if rows and not {"question", "expected_id"} <= set(rows[0]):
        raise InvalidInput(
            "model_eval_column_missing", path=str(path), column="expected_id", known=set(rows[0])
        )
    return [(row["question"], row["expected_id"]) for row in rows]


def load_pairs(path: Path, excluded_texts: set[str]) -> list[tuple[str, str, int]]:
    """Labelled (sentence1, sentence2, label) TSV rows, minus those touching ``excluded_texts``."""
    pairs = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            first, second = row["sentence1"], row["sentence2"]
            if first in excluded_texts or second in excluded_texts:
                continue
            pairs.append((first, second, int(row["label"])))
    return pairs


def build_index(
    entries: dict[str, list[str]],
    method: str = "reranked",
    pairs: Sequence[tuple[str, str, int]] = (),
) -> SearchIndex:
    step = METHODS.index(method)
    config = RetrievalConfig(
        use_characters=step >= 1, use_entry_documents=step >= 1, use_synonyms=step >= 2
    )
    if step >= 2:
        paraphrases = group_pairs(entries.values())
        paraphrases += [(first, second) for first, second, label in pairs if label == 1]
        config.synonyms = mine_synonyms(paraphrases)
    index = SearchIndex(config)
    for key, texts in entries.items():
        index.put(key, texts)
    if step >= 4 and pairs:
        config.pair_model = fit_pair_model(pairs, config.synonyms)
    if step >= 3:
        config.reranker = fit_reranker(index)
    return index


def evaluate(index: SearchIndex, questions: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Top-1 and top-5 accuracy by id, MRR over the top 10, and latency percentiles."""
    top1 = top5 = 0
    reciprocal = 0.0
    latencies = []
    for question, expected in questions:
        started = time.perf_counter()
        keys = [hit.key for hit in index.search(question, 10)]
        latencies.append((time.perf_counter() - started) * 1000)
        if keys[:1] == [expected]:
            top1 += 1
        if expected in keys[:5]:
            top5 += 1
        if expected in keys:
            reciprocal += 1.0 / (keys.index(expected) + 1)
    count = len(questions) or 1
    values = np.asarray(latencies or [0.0])
    return {
        "questions": len(questions),
        "entries": len(index),
        "top1": round(top1 / count, 4),
        "top5": round(top5 / count, 4),
        "mrr": round(reciprocal / count, 4),
        "latency_ms": {
            name: round(float(np.percentile(values, point)), 2)
            for name, point in (("p50", 50), ("p95", 95), ("p99", 99))
        },
    }
