"""A learned pair model on character differences, tried as a re-ranking signal on the BQ corpus.

The model is a logistic regression over hashed features of a question pair: shared
characters and bigrams, characters and bigrams on one side only, and every pair of
differing characters (so 借/贷 can be learned as interchangeable). It is trained on
the labelled pairs of ``bq_pairs.tsv`` (negatives there are hard negatives) plus,
from the knowledge base itself, one positive per FAQ entry and its top BM25
candidates from other entries as negatives. As in ``bench_kb``, labelled pairs that
contain an evaluated question's exact text are removed first. BM25 alone and the
current best method are measured in the same run.

    .venv/bin/python -m benchmarks.bench_kb_char_pairs
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction import FeatureHasher
from sklearn.linear_model import LogisticRegression

from benchmarks.bench_kb import DEFAULT_DATA
from benchmarks.common import machine_facts, write_results
from zhike.ai.retrieval.engine import SearchIndex
from zhike.ai.retrieval.text import normalize
from zhike.knowledge.evaluation import (
    build_index,
    evaluate,
    load_entries,
    load_pairs,
    load_questions,
)

_NON_WORD = re.compile(r"[^\w]+")
HASHED_FEATURES = 2**20
KNOWLEDGE_BASE_PROBES = 1500
NEGATIVES_PER_PROBE = 6


def _grams(text: str) -> tuple[set[str], set[str]]:
    cleaned = _NON_WORD.sub("", normalize(text))
    return set(cleaned), {cleaned[index : index + 2] for index in range(len(cleaned) - 1)}


def difference_features(first: str, second: str) -> dict[str, float]:
    unigrams_a, bigrams_a = _grams(first)
    unigrams_b, bigrams_b = _grams(second)
    found: dict[str, float] = {}
    for gram in unigrams_a & unigrams_b:
        found["shared1:" + gram] = 1.0
    for gram in bigrams_a & bigrams_b:
        found["shared2:" + gram] = 1.0
    only_a, only_b = unigrams_a - unigrams_b, unigrams_b - unigrams_a
    for gram in only_a | only_b:
        found["only1:" + gram] = 1.0
    for gram in bigrams_a ^ bigrams_b:
        found["only2:" + gram] = 1.0
    for left in only_a:
        for right in only_b:
            found["swap:" + min(left, right) + max(left, right)] = 1.0
    found["jaccard1"] = len(unigrams_a & unigrams_b) / max(1, len(unigrams_a | unigrams_b))
    found["jaccard2"] = len(bigrams_a & bigrams_b) / max(1, len(bigrams_a | bigrams_b))
    return found


def training_pairs(
    index: SearchIndex, labelled: Sequence[tuple[str, str, int]], seed: int
) -> list[tuple[str, str, int]]:
    pairs = list(labelled)
    keys = [key for key in index.keys() if len(index.texts(key)) > 1]  # noqa: SIM118 - an index
    random.Random(seed).shuffle(keys)
    for key in keys[:KNOWLEDGE_BASE_PROBES]:
        texts = index.texts(key)
        pairs.append((texts[0], texts[1], 1))
        for candidate in index.candidates(texts[0])[:NEGATIVES_PER_PROBE]:
            if candidate.key != key:
                pairs.append((texts[0], index.texts(candidate.key)[0], 0))
    return pairs


def score(
    index: SearchIndex,
    model: LogisticRegression,
    hasher: FeatureHasher,
    questions: Sequence[tuple[str, str]],
    fused: bool,
) -> dict[str, Any]:
    """Top-1, top-5 and MRR over the top 10 when the pair model orders the 30 candidates."""
    top1 = top5 = 0
    reciprocal = 0.0
    for question, expected in questions:
        candidates = index.candidates(question)
        if not candidates:
            continue
        pair_scores = np.asarray(
            [
                model.decision_function(
                    hasher.transform(
                        difference_features(question, index.texts(candidate.key)[row])
                        for row in range(min(4, len(index.texts(candidate.key))))
                    )
                ).max()
                for candidate in candidates
            ]
        )
        scores = pair_scores
        if fused and index.config.reranker is not None:
            scores = scores + index.config.reranker.decision(
                index.entry_features(question, candidates)
            )
        keys = [candidates[position].key for position in np.argsort(-scores, kind="stable")][:10]
        top1 += int(keys[:1] == [expected])
        top5 += int(expected in keys[:5])
        reciprocal += 1.0 / (keys.index(expected) + 1) if expected in keys else 0.0
    count = len(questions) or 1
    return {
        "top1": round(top1 / count, 4),
        "top5": round(top5 / count, 4),
        "mrr": round(reciprocal / count, 4),
    }


def run(data: Path, seed: int) -> dict[str, Any]:
    folder = data / "zh_bq_corpus"
    entries = load_entries(folder / "faq_articles.csv")
    questions = load_questions(folder / "faq_questions.csv")
    labelled = load_pairs(folder / "bq_pairs.tsv", {question for question, _ in questions})
    baseline = evaluate(build_index(entries, "bm25", labelled), questions)
    print("bm25", baseline, flush=True)

    index = build_index(entries, "reranked_pairs", labelled)
    best = evaluate(index, questions)
    print("reranked_pairs", best, flush=True)
    pairs = training_pairs(index, labelled, seed)
    hasher = FeatureHasher(n_features=HASHED_FEATURES, input_type="dict", alternate_sign=False)
    matrix = hasher.transform(difference_features(first, second) for first, second, _ in pairs)
    model = LogisticRegression(C=0.5, max_iter=2000, solver="liblinear")
    model.fit(matrix, np.asarray([label for _, _, label in pairs]))

    alone = score(index, model, hasher, questions, fused=False)
    print("char_pairs alone", alone, flush=True)
    fused = score(index, model, hasher, questions, fused=True)
    print("reranked_pairs + char_pairs", fused, flush=True)

    return {
        "benchmark": "kb_char_pairs",
        "machine": machine_facts(),
        "training_pairs": len(pairs),
        "labelled_pairs_used": len(labelled),
        "questions": len(questions),
        "methods": {
            "bm25": baseline,
            "reranked_pairs": best,
            "char_pairs_alone": alone,
            "reranked_pairs_plus_char_pairs": fused,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=None)
    arguments = parser.parse_args()
    print(write_results("kb_char_pairs", run(arguments.data, arguments.seed), arguments.output))


if __name__ == "__main__":
    main()
