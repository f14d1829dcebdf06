"""Deduplication quality: a generated Chinese duplicate set and the FEBRL public sets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from dedup_cn_support import duplicate_set, true_pairs
from typer.testing import CliRunner

from zhike.cli import app
from zhike.customers.identity_settings import DEFAULT_AUTO_LINK_THRESHOLD
from zhike.customers.matching import febrl
from zhike.customers.matching.contacts import CONTACT_SPEC, match_record
from zhike.customers.matching.engine import candidate_pairs, compare_pairs, train_model


def test_chinese_duplicate_set_reaches_f1_095() -> None:
    people = duplicate_set(entities=300)
    truth = true_pairs(people)
    records = [
        match_record(
            {
                "name": p.name,
                "mobile": p.mobile,
                "email": p.email,
                "company": p.company,
                "city": p.city,
            }
        )
        for p in people
    ]
    candidates, _matches, implied = febrl.deduplicate(records, CONTACT_SPEC)
    predicted = {frozenset(pair) for pair in implied}
    result = febrl.score_pairs(len(records), candidates, predicted, truth, set(), 0.0)
    assert result.records == len(people)
    assert result.true_pairs == len(truth) > 400
    assert result.f1 >= 0.95, result
    assert result.precision >= 0.95, result


def test_chinese_duplicate_set_covers_every_variant() -> None:
    people = duplicate_set(entities=300)
    names = " ".join(p.name for p in people)
    companies = " ".join(p.company for p in people)
    mobiles = " ".join(p.mobile or "" for p in people)
    assert "+86 " in mobiles
    assert "-" in mobiles
    assert "１" in mobiles
    assert any(
        form in companies for form in ("有限责任公司", "股份有限公司", "(集团)", "Co., Ltd.")
    )
    assert all(
        form in companies for form in ("有限责任公司", "股份有限公司", "(集团)", "Co., Ltd.")
    )
    assert any(char in names for char in "張陳劉楊黃")
    assert any("Ｗ" <= char <= "ｚ" or "Ａ" <= char <= "Ｚ" for char in names + companies)


@pytest.mark.slow
def test_dedup_eval_command_on_febrl_1(data_dir: Path) -> None:
    folder = data_dir / "febrl"
    result = CliRunner().invoke(
        app,
        [
            "dedup",
            "eval",
            "--records",
            str(folder / "dataset1.csv"),
            "--truth",
            str(folder / "dataset1_true_pairs.csv"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["records"] == 800
    assert scores["true_pairs"] == 400
    assert scores["f1"] >= 0.95
    assert set(scores) == {
        "records",
        "candidate_pairs",
        "predicted_pairs",
        "true_pairs",
        "true_positives",
        "precision",
        "recall",
        "f1",
        "blocking_recall",
        "seconds",
    }


@pytest.mark.slow
@pytest.mark.parametrize("number", [2, 3])
def test_febrl_dedup_reaches_f1_095(data_dir: Path, number: int) -> None:
    folder = data_dir / "febrl"
    ids, records = febrl.read_records(folder / f"dataset{number}.csv")
    result = febrl.evaluate(
        ids, records, febrl.read_truth(folder / f"dataset{number}_true_pairs.csv")
    )
    assert result.f1 >= 0.95, result


@pytest.mark.slow
def test_febrl_linkage_reaches_f1_095(data_dir: Path) -> None:
    folder = data_dir / "febrl"
    left_ids, left = febrl.read_records(folder / "dataset4a.csv")
    right_ids, right = febrl.read_records(folder / "dataset4b.csv")
    groups = ["a"] * len(left) + ["b"] * len(right)
    result = febrl.evaluate(
        left_ids + right_ids,
        left + right,
        febrl.read_truth(folder / "dataset4_true_links.csv"),
        groups,
    )
    assert result.true_pairs == 4000
    assert result.f1 >= 0.95, result


def test_colleagues_stay_below_auto_link() -> None:
    # Two in five people work with someone else in the set and share the firm's e-mail domain.
    people = duplicate_set(entities=300, colleague_share=0.4, company_mail=True)
    records = [
        match_record(
            {
                "name": p.name,
                "mobile": p.mobile,
                "email": p.email,
                "company": p.company,
                "city": p.city,
            }
        )
        for p in people
    ]
    scores = compare_pairs(records, candidate_pairs(records, CONTACT_SPEC), CONTACT_SPEC)
    model = train_model(records, scores, CONTACT_SPEC)
    colleagues = [
        ("王琳", "wanglin@acme.cn", "王波平", "wangbp@acme.cn"),
        ("王琳", "wanglin@acme.cn", "王丽", "wangli@acme.cn"),
        ("王小明", "xiaoming.wang@acme.cn", "王小红", "xiaohong.wang@acme.cn"),
    ]
    for first_name, first_email, second_name, second_email in colleagues:
        pair = [
            match_record(
                {"name": name, "email": email, "company": "杭州艾克美科技有限公司", "city": "杭州"}
            )
            for name, email in ((first_name, first_email), (second_name, second_email))
        ]
        levels = compare_pairs(pair, np.array([[0, 1]]), CONTACT_SPEC).levels
        assert model.probabilities(levels)[0] < DEFAULT_AUTO_LINK_THRESHOLD, second_name
