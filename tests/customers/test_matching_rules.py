"""Comparators, Chinese matching keys, Fellegi–Sunter estimation and clustering."""

from __future__ import annotations

import numpy as np
import pytest

from zhike.customers.matching.chinese import (
    company_key,
    email_key,
    mobile_key,
    person_name_key,
    to_simplified,
)
from zhike.customers.matching.comparators import (
    MISSING,
    date_comparison,
    edit_comparison,
    similarity_comparison,
)
from zhike.customers.matching.contacts import CONTACT_SPEC, match_record
from zhike.customers.matching.engine import (
    agreeing_fields,
    candidate_pairs,
    clusters,
    compare_pairs,
)
from zhike.customers.matching.fellegi_sunter import FellegiSunterModel


@pytest.mark.parametrize(
    "name",
    [
        "杭州云帆科技有限公司",
        "杭州云帆科技有限责任公司",
        "杭州云帆科技股份有限公司",
        "杭州云帆科技(集团)有限公司",
        "杭州云帆科技（集团）股份有限公司",
        "杭州雲帆科技有限公司",
        "杭州云帆科技 有限公司 ",
    ],
)
def test_company_key_chinese_variants(name: str) -> None:
    assert company_key(name) == "杭州云帆科技"


@pytest.mark.parametrize(
    "name",
    [
        "Hangzhou Yunfan Technology Co., Ltd.",
        "Hangzhou Yunfan Technology Co.,Ltd",
        "HANGZHOU YUNFAN TECHNOLOGY COMPANY LIMITED",
        "Ｈａｎｇｚｈｏｕ Yunfan Technology Limited",
    ],
)
def test_company_key_latin_legal_forms(name: str) -> None:
    assert company_key(name) == "hangzhouyunfantechnology"


def test_company_key_only_legal_form() -> None:
    assert company_key("有限公司") == "有限公司"
    assert company_key("") is None


def test_person_name_key_variants() -> None:
    assert person_name_key("Zhang Wei") == "wei zhang"
    assert person_name_key("WEI  ZHANG") == "wei zhang"
    assert person_name_key("Ｗｅｉ Ｚｈａｎｇ") == "wei zhang"
    assert person_name_key("張偉") == "张伟"
    assert person_name_key(" 张 伟 ") == "张伟"
    assert to_simplified("劉曉東") == "刘晓东"


def test_phone_and_email_keys() -> None:
    for spelling in (
        "+86 138 1234 5678",
        "138-1234-5678",
        "008613812345678",
        "１３８１２３４５６７８",
    ):
        assert mobile_key(spelling) == "+8613812345678"
    assert mobile_key("not a phone") is None
    assert email_key("  Wei.Zhang@Example.COM ") == "wei.zhang@example.com"
    assert email_key("no-at-sign") is None


def test_comparator_levels() -> None:
    names = similarity_comparison("name", (0.92, 0.8))
    assert names.levels == ("disagree", "jaro_winkler>=0.8", "jaro_winkler>=0.92", "exact")
    assert names.level("martha", "martha") == 3
    assert names.level("martha", "marhta") == 2
    assert names.level("dwayne", "duane") == 1
    assert names.level("martha", "kowalski") == 0
    assert names.level("martha", None) == MISSING
    codes = edit_comparison("code")
    assert [codes.level("2119", b) for b in ("2119", "2191", "2911")] == [2, 1, 0]
    dates = date_comparison("dob")
    assert [dates.level("19560409", b) for b in ("19560409", "19560408", "19560904")] == [3, 2, 2]
    assert [dates.level("19560409", b) for b in ("19561225", "19670409", "")] == [1, 0, MISSING]


def test_em_separates_matches_from_non_matches() -> None:
    rng = np.random.default_rng(3)
    matches = (rng.random((200, 3)) < 0.9).astype(np.int8)
    non_matches = (rng.random((800, 3)) < 0.1).astype(np.int8)
    levels = np.vstack([matches, non_matches])
    levels[0, 2] = MISSING
    model = FellegiSunterModel((2, 2, 2))
    model.fit(levels)
    assert model.match_share == pytest.approx(0.2, abs=0.03)
    for column in range(3):
        assert model.m[column][1] == pytest.approx(0.9, abs=0.05)
        assert model.u[column][1] == pytest.approx(0.1, abs=0.05)
    probabilities = model.probabilities(levels)
    assert (probabilities[:200] > 0.5).mean() > 0.95
    assert (probabilities[200:] < 0.5).mean() > 0.95


def test_clusters_are_connected_components() -> None:
    assert clusters(6, [(0, 1), (1, 2), (4, 5)]) == [[0, 1, 2], [4, 5]]
    assert clusters(3, []) == []


def test_strong_identifier_decides_and_reasons_name_the_fields() -> None:
    records = [
        match_record(
            {"name": "张伟", "mobile": "+86 138 1234 5678", "company": "杭州云帆科技有限公司"}
        ),
        match_record(
            {"name": "張偉", "mobile": "13812345678", "company": "杭州雲帆科技股份有限公司"}
        ),
        match_record({"name": "李娜", "mobile": "13900000000", "company": "上海华信贸易有限公司"}),
    ]
    pairs = candidate_pairs(records, CONTACT_SPEC)
    assert pairs.tolist() == [[0, 1]]
    scores = compare_pairs(records, pairs, CONTACT_SPEC)
    assert scores.deterministic.tolist() == [True]
    assert agreeing_fields(scores.levels[0].tolist(), CONTACT_SPEC) == [
        "name:exact",
        "mobile:exact",
        "company:exact",
    ]
