"""Knowledge-base retrieval on the BQ bank customer-service corpus, and latency at 10,000 entries.

Every method in zhike.knowledge.evaluation.METHODS is measured in the same run on the
same FAQ entries and paraphrase questions. Labelled pairs that contain any evaluated
question's exact text are removed before anything is learned from them, so nothing
fitted has seen an evaluated question.

    .venv/bin/python -m benchmarks.bench_kb
"""

from __future__ import annotations

import argparse
import os
import random
from pathlib import Path
from typing import Any

from benchmarks.common import REPO_ROOT, machine_facts, write_results
from zhike.knowledge.evaluation import (
    METHODS,
    build_index,
    evaluate,
    load_entries,
    load_pairs,
    load_questions,
)

DEFAULT_DATA = Path(os.environ.get("ZHIKE_DATASETS_DIR", REPO_ROOT.parent / "shared" / "data"))


def padded_entries(
    entries: dict[str, list[str]], pairs: list[tuple[str, str, int]], size: int, seed: int
) -> dict[str, list[str]]:
    """The FAQ entries plus distractor entries made from other bank questions, up to ``size``."""
    rng = random.Random(seed)
    known = {text for texts in entries.values() for text in texts}
    pool = sorted({text for pair in pairs for text in pair[:2]} - known)
    padded = dict(entries)
    number = 0
    while len(padded) < size:
        if number < len(pool):
            texts = [pool[number]]
        else:
            first, second = rng.sample(pool, 2)
            texts = [first[: len(first) // 2] + second[len(second) // 2 :]]
        padded[f"pad-{number:05d}"] = texts
        number += 1
    return padded


def run(data: Path, scale: int, seed: int) -> dict[str, Any]:
    folder = data / "zh_bq_corpus"
    entries = load_entries(folder / "faq_articles.csv")
    questions = load_questions(folder / "faq_questions.csv")
    asked = {question for question, _ in questions}
    pairs = load_pairs(folder / "bq_pairs.tsv", asked)
    methods = {}
    for method in METHODS:
        index = build_index(entries, method, pairs)
        methods[method] = evaluate(index, questions)
        print(method, methods[method], flush=True)
    large = build_index(padded_entries(entries, pairs, scale, seed), "reranked_pairs", pairs)
    at_scale = evaluate(large, questions)
    print("at scale", at_scale, flush=True)
    return {
        "benchmark": "kb_retrieval",
        "machine": machine_facts(),
        "pairs_used": len(pairs),
        "questions": len(questions),
        "entries": len(entries),
        "methods": methods,
        "at_scale": {"entries": scale, **at_scale},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--scale", type=int, default=10_000, help="entries for the latency run")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--output", type=Path, default=None)
    arguments = parser.parse_args()
    payload = run(arguments.data, arguments.scale, arguments.seed)
    print(write_results("kb", payload, arguments.output))


if __name__ == "__main__":
    main()
