"""Comparators, Chinese matching keys, Fellegi–Sunter estimation and clustering."""

from __future__ import annotations

import numpy as np
import pytest

from zhike.customers.matching.accounts import ACCOUNT_SPEC
from zhike.customers.matching.chinese import (
    company_key,
    email_key,
    mobile_key,
    person_name_key,
    to_simplified,
)
from zhike.customers.matching.comparators import (
    MISSING,
    Comparison,
    date_comparison,
    edit_comparison,
    exact_comparison,
    similarity_comparison,
)
from zhike.customers.matching.contacts import (
    CONTACT_SPEC,
    EMAIL_LEVELS,
    NAME_LEVELS,
    email_level,
    match_record,
    person_name_level,
)
from zhike.customers.matching.engine import (
    WEAK_EVIDENCE_BITS,
    agreeing_fields,
    candidate_pairs,
    cap_weak_levels,
    clusters,
    compare_pairs,
)
from zhike.customers.matching.fellegi_sunter import FellegiSunterModel, level_patterns


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


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("wanglin@acme.cn", "wanglin@acme.cn", "exact"),
        ("wang.lin@acme.cn", "wanglin@acme.cn", "near_exact"),
        ("wang_lin+crm@acme.cn", "wanglin@acme.cn", "near_exact"),
        ("wanglin@acme.cn", "wanglin@qq.com", "same_local_part"),
        ("wanglin@acme.cn", "wangbp@acme.cn", "same_domain"),
        ("wanglin@acme.cn", "wangli@acme.cn", "same_domain"),
        ("wanglin@qq.com", "wangbo@qq.com", "disagree"),
        ("wanglin@gmail.com", "wanglin88@gmail.com", "disagree"),
        ("sales@acme.cn", "sales@beta.cn", "disagree"),
        ("wl@acme.cn", "wl@beta.cn", "disagree"),
        ("wanglin@acme.cn", "zhaolei@beta.cn", "disagree"),
    ],
)
def test_email_levels(left: str, right: str, level: str) -> None:
    assert EMAIL_LEVELS[email_level(left, right)] == level


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("王琳", "王琳", "exact"),
        ("王琳", "王丽", "disagree"),
        ("王琳", "王波平", "disagree"),
        ("王小明", "王小红", "partial"),
        ("王小明", "李小明", "disagree"),
        ("lin wang", "lin wang", "exact"),
        ("lin wang", "boping wang", "disagree"),
        ("xiaoming wang", "xiaomin wang", "close"),
    ],
)
def test_person_name_levels(left: str, right: str, level: str) -> None:
    assert NAME_LEVELS[person_name_level(left, right)] == level


def test_weak_levels_are_capped() -> None:
    model = FellegiSunterModel(tuple(len(c.levels) for c in CONTACT_SPEC.comparisons))
    email = [c.field for c in CONTACT_SPEC.comparisons].index("email")
    model.m[email] = np.array([0.01, 0.6, 0.09, 0.1, 0.2])
    model.u[email] = np.array([0.9, 0.05, 0.02, 0.02, 0.01])

    cap_weak_levels(model, CONTACT_SPEC)

    same_domain = EMAIL_LEVELS.index("same_domain")
    weight = np.log2(model.m[email][same_domain] / model.u[email][same_domain])
    assert weight == pytest.approx(WEAK_EVIDENCE_BITS)
    assert model.m[email].sum() == pytest.approx(1.0)
    # The other levels keep their proportions.
    assert model.m[email][4] / model.m[email][3] == pytest.approx(2.0)


# Every pair of these values is compared. They include near and unrelated names, mobiles,
# company names and addresses, team mailboxes, free-mail domains, a local part that
# canonicalises to nothing, and a text without "@".
BATCH_VALUES = [
    "wanglin@acme.cn",
    "wang.lin@acme.cn",
    "wang_lin+crm@acme.cn",
    "wanglin@qq.com",
    "wangli@acme.cn",
    "wanglin88@gmail.com",
    "wanglin@gmail.com",
    "sales@acme.cn",
    "sales@beta.cn",
    "wl@acme.cn",
    "wl@beta.cn",
    "+x@acme.cn",
    "._@beta.cn",
    "no-at-sign",
    "王小明",
    "王小红",
    "xiaoming wang",
    "xiaomin wang",
    "+8613812345678",
    "+8613812345687",
    "+8613912345678",
    "杭州云帆科技",
    "杭州云帆",
    "martha",
    "marhta",
]


@pytest.mark.parametrize(
    "comparison",
    [
        *CONTACT_SPEC.comparisons,
        *ACCOUNT_SPEC.comparisons,
        similarity_comparison("name", (0.92, 0.8)),
        edit_comparison("code", max_edits=2),
        exact_comparison("city"),
    ],
    ids=lambda comparison: comparison.field,
)
def test_batch_levels_match_pairwise(comparison: Comparison) -> None:
    count = len(BATCH_VALUES)
    left = np.repeat(np.arange(count), count)
    right = np.tile(np.arange(count), count)

    batch = comparison.levels_of(BATCH_VALUES, left, right)
    pairwise = [
        comparison.compare(BATCH_VALUES[first], BATCH_VALUES[second])
        for first, second in zip(left.tolist(), right.tolist(), strict=True)
    ]

    assert batch.dtype == np.int8
    assert batch.tolist() == pairwise


def test_level_patterns_follow_numpy_unique() -> None:
    levels = np.random.default_rng(5).integers(-1, 4, size=(5_000, 4)).astype(np.int8)
    levels[:, 3] = MISSING
    patterns, inverse, counts = np.unique(levels, axis=0, return_inverse=True, return_counts=True)

    found = level_patterns(levels)

    assert found.patterns.tolist() == patterns.tolist()
    assert found.counts.tolist() == counts.tolist()
    assert found.inverse.tolist() == inverse.reshape(-1).tolist()
    assert level_patterns(levels[:0]).patterns.shape == (0, 4)
