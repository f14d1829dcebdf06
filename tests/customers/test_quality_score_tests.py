"""The write path's compiled rule tests give the score that the described findings give."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from zhike.customers.quality_checks import Evaluator
from zhike.customers.quality_rules import (
    DEFAULT_RULES,
    FormatRule,
    FreshnessRule,
    QualityRule,
    RangeRule,
    ReferentialRule,
    RequiredRule,
)

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
LIVE_ACCOUNT = uuid.UUID(int=1)
DELETED_ACCOUNT = uuid.UUID(int=2)
LIVE = {"account_id": {LIVE_ACCOUNT}, "parent_account_id": {LIVE_ACCOUNT}}

# Rules on custom fields and with alternatives, which the built-in sets use little.
CUSTOM_RULES: list[QualityRule] = [
    RequiredRule(field="custom.company", weight=2, alternatives=["custom.brand", "email"]),
    FormatRule(field="custom.site", format="url", weight=3),
    FormatRule(field="custom.postcode", format="postal_code"),
    RangeRule(field="custom.seats", minimum=Decimal(1), maximum=Decimal(500), weight=2),
    RangeRule(field="custom.signed_on", not_in_future=True),
    FreshnessRule(field="custom.checked_at", max_age_days=30, weight=4),
    ReferentialRule(field="account_id", weight=5),
]

STATES: list[dict[str, Any]] = [
    {},
    {"custom": None},
    {"custom": "not a mapping"},
    {
        "name": "王芳",
        "mobile": "+8613812345678",
        "email": "wang.fang@example.com",
        "account_id": LIVE_ACCOUNT,
        "city": "杭州",
        "address": "西湖区文三路 90 号",
        "birth_date": date(1990, 5, 1),
        "updated_at": NOW,
    },
    {"name": "   ", "mobile": "", "phone": "010-62345678", "email": "not-an-email"},
    {"name": "张伟", "mobile": "010-62345678", "phone": None, "account_id": DELETED_ACCOUNT},
    {"mobile": "12345", "email": " ", "birth_date": date(1800, 1, 1)},
    {"birth_date": NOW.date() + timedelta(days=3), "updated_at": NOW - timedelta(days=400)},
    {"birth_date": "not a date", "updated_at": "2020-01-01T00:00:00+00:00"},
    {"updated_at": "not a time", "custom": {}},
    {
        "unified_social_credit_code": "91350100M000100Y43",
        "website": "example.com",
        "employee_count": -1,
        "founded_year": 2200,
        "annual_revenue": Decimal("12.50"),
        "parent_account_id": LIVE_ACCOUNT,
        "lead_source": "展会",
        "company": "知客",
    },
    {"website": "http://bad host", "annual_revenue": "many", "parent_account_id": uuid.uuid4()},
    {"custom": {"company": "知客"}},
    {"custom": {"brand": "知客云"}},
    {"custom": {"company": " "}, "email": "a@example.com"},
    {
        "custom": {
            "site": "https://zhike.example.cn",
            "postcode": "310000",
            "seats": "20",
            "signed_on": "2026-05-30",
            "checked_at": "2026-05-20T10:00:00+08:00",
        }
    },
    {
        "custom": {
            "site": "ftp://files",
            "postcode": "31000",
            "seats": "900",
            "signed_on": "2027-01-01",
            "checked_at": "2025-01-01T00:00:00",
        }
    },
    {"custom": {"seats": "many", "signed_on": 5, "checked_at": date(2026, 5, 31)}},
]

RULE_SETS = {**{name: list(rules) for name, rules in DEFAULT_RULES.items()}, "custom": CUSTOM_RULES}


@pytest.mark.parametrize("rule_set", sorted(RULE_SETS))
@pytest.mark.parametrize("state_index", range(len(STATES)))
def test_score_matches_evaluate(rule_set: str, state_index: int) -> None:
    evaluator = Evaluator("contacts", RULE_SETS[rule_set], "CN", NOW)
    state = STATES[state_index]

    expected, _findings = evaluator.evaluate(state, LIVE)

    assert evaluator.score(state, LIVE) == expected


def test_score_counts_failed_weight() -> None:
    evaluator = Evaluator("contacts", CUSTOM_RULES, "CN", NOW)
    state = STATES[-2]

    score, findings = evaluator.evaluate(state, LIVE)

    # Every rule fails but the account reference (weight 5, left empty): 13 of 18.
    assert {finding.field for finding in findings} == {
        "custom.company",
        "custom.site",
        "custom.postcode",
        "custom.seats",
        "custom.signed_on",
        "custom.checked_at",
    }
    assert score == 100 * (18 - 13) // 18
    assert evaluator.score(state, LIVE) == score


def test_score_without_rules_is_full() -> None:
    evaluator = Evaluator("contacts", [], "CN", NOW)

    assert evaluator.score({"name": ""}, {}) == 100
