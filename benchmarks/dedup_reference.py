"""The reference matcher for the deduplication benchmark: the recordlinkage toolkit.

Runs in whichever interpreter has ``recordlinkage`` installed (its package metadata requires
pandas < 3, so it is installed with ``--no-deps`` beside the project's pandas, or kept
in a separate virtualenv) and prints one JSON object for one data set:

    python benchmarks/dedup_reference.py --records A.csv [--other B.csv] --truth T.csv

Method: the baseline described with the FEBRL data (block on given name OR surname;
Jaro-Winkler >= 0.85 on both names and address_1; exact date of birth, suburb and state),
classified by recordlinkage's own unsupervised Fellegi–Sunter (ECM) classifier and, for
comparison, by the documented rule "at least 4 of the 6 comparisons agree".
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
import recordlinkage


def read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, skipinitialspace=True, dtype=str)
    frame.columns = [column.strip() for column in frame.columns]
    return frame.set_index("rec_id")


def truth_pairs(path: Path) -> set[frozenset[str]]:
    frame = pd.read_csv(path, skipinitialspace=True, dtype=str)
    return {frozenset((a, b)) for a, b in zip(frame.iloc[:, 0], frame.iloc[:, 1], strict=True)}


def scores(predicted: set[frozenset[str]], truth: set[frozenset[str]]) -> dict[str, float | int]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "predicted_pairs": len(predicted),
        "true_positives": hits,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--other", type=Path, default=None, help="second file: linkage")
    parser.add_argument("--truth", type=Path, required=True)
    arguments = parser.parse_args()

    started = time.perf_counter()
    left = read(arguments.records)
    right = read(arguments.other) if arguments.other else None
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("surname")
    candidates = indexer.index(left) if right is None else indexer.index(left, right)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    compare.exact("date_of_birth", "date_of_birth")
    compare.exact("suburb", "suburb")
    compare.exact("state", "state")
    compare.string("address_1", "address_1", method="jarowinkler", threshold=0.85)
    features = (
        compare.compute(candidates, left)
        if right is None
        else compare.compute(candidates, left, right)
    )
    comparing_seconds = time.perf_counter() - started

    truth = truth_pairs(arguments.truth)
    results: dict[str, object] = {
        "library": f"recordlinkage {recordlinkage.__version__}",
        "pandas": pd.__version__,
        "candidate_pairs": len(candidates),
        "true_pairs": len(truth),
        "blocking_recall": round(
            len({frozenset(pair) for pair in candidates} & truth) / len(truth), 4
        ),
    }
    for name in ("ecm", "rule_4_of_6"):
        started_classifying = time.perf_counter()
        if name == "ecm":
            matches = recordlinkage.ECMClassifier().fit_predict(features)
        else:
            matches = features[features.sum(axis=1) >= 4].index
        seconds = comparing_seconds + time.perf_counter() - started_classifying
        predicted = {frozenset(pair) for pair in matches}
        results[name] = {**scores(predicted, truth), "seconds": round(seconds, 3)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
