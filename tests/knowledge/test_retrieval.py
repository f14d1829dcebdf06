"""Retrieval engine and the `zhike kb eval` command on a small slice of the BQ corpus."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhike.ai.retrieval.engine import RetrievalConfig, SearchIndex
from zhike.ai.retrieval.synonyms import mine_synonyms
from zhike.cli import app


def test_index_updates_entry_by_entry() -> None:
    index = SearchIndex(RetrievalConfig())
    index.put("card", ["怎么更换还款银行卡", "还款卡怎么换"])
    index.put("rate", ["利息怎么计算"])
    assert [hit.key for hit in index.search("我要换还款的卡", 1)] == ["card"]
    index.put("card", ["怎么注销账户"])
    assert index.texts("card") == ["怎么注销账户"]
    assert [hit.key for hit in index.search("注销账户", 1)] == ["card"]
    index.remove("card")
    assert len(index) == 1
    assert [hit.key for hit in index.search("注销账户还款卡", 5)] == []


def test_synonyms_come_from_paraphrases() -> None:
    pairs = [("借款多久到账", "贷款多久到账"), ("借款利息多少", "贷款利息多少")]
    assert mine_synonyms(pairs)["借款"] == {"贷款": 1.0}


@pytest.mark.slow
def test_kb_eval_on_bq_slice(data_dir: Path, tmp_path: Path) -> None:
    folder = data_dir / "zh_bq_corpus"
    with (folder / "faq_questions.csv").open(encoding="utf-8") as handle:
        questions = list(csv.DictReader(handle))[:40]
    with (folder / "faq_articles.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    wanted = {row["expected_id"] for row in questions}
    others = sorted({row["id"] for row in rows} - wanted)[:120]
    kept = [row for row in rows if row["id"] in wanted or row["id"] in set(others)]
    articles = tmp_path / "articles.csv"
    with articles.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "question", "answer"])
        writer.writeheader()
        writer.writerows(kept)
    asked = tmp_path / "questions.csv"
    with asked.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["question", "expected_id"])
        writer.writeheader()
        writer.writerows(questions)

    command = ["kb", "eval", "--articles", str(articles), "--questions", str(asked)]
    results = {}
    for method in ("bm25", "reranked"):
        outcome = CliRunner().invoke(app, [*command, "--method", method, "--json"])
        assert outcome.exit_code == 0, outcome.output
        results[method] = json.loads(outcome.stdout)
    for result in results.values():
        assert result["questions"] == 40
        assert result["entries"] == len(wanted) + 120
        assert set(result["latency_ms"]) == {"p50", "p95", "p99"}
        assert 0.0 <= result["top1"] <= result["top5"] <= 1.0
    assert results["reranked"]["mrr"] > results["bm25"]["mrr"]
