"""Catalogs: every key in both locales, fallback to zh-CN, Accept-Language negotiation."""

from __future__ import annotations

import re
from functools import partial

import pytest

from zhike.core.i18n import Localized, load_catalog, negotiate_locale, translate


def test_both_catalogs_have_the_same_keys() -> None:
    assert set(load_catalog("zh-CN")) == set(load_catalog("en"))


def test_both_catalogs_use_the_same_placeholders() -> None:
    placeholder = re.compile(r"\{(\w+)")
    english = load_catalog("en")
    mismatched = [
        key
        for key, chinese in load_catalog("zh-CN").items()
        if set(placeholder.findall(chinese)) != set(placeholder.findall(english[key]))
    ]
    assert mismatched == []


def test_translate_fills_parameters_in_each_locale() -> None:
    assert translate("error.tenant_exists", "en", slug="acme") == (
        "Tenant acme already exists; choose another slug."
    )
    assert translate("error.tenant_exists", "zh-CN", slug="acme") == load_catalog("zh-CN")[
        "error.tenant_exists"
    ].format(slug="acme")


def test_localized_parameter_follows_the_message_locale() -> None:
    activity = Localized(partial(translate, "activity_kind.call"))

    english = translate("error.stage_activity_required", "en", stage="Won", activity=activity)
    chinese = translate("error.stage_activity_required", "zh-CN", stage="赢单", activity=activity)

    assert english == (
        "The stage Won needs a completed Call linked to this opportunity; log it first."
    )
    assert translate("activity_kind.call", "zh-CN") in chinese
    assert "Call" not in chinese


def test_count_picks_the_singular_or_plural_form() -> None:
    assert translate("assistant.answer_rows", "en", count=1) == "1 row."
    assert translate("assistant.answer_rows", "en", count=0) == "0 rows."
    assert translate("assistant.answer_rows", "en", count=2) == "2 rows."
    assert translate("error.import_rolled_back", "en", count=1).startswith("1 row was rejected")
    chinese = translate("assistant.answer_rows", "zh-CN", count=1)
    assert "1" in chinese
    assert "|" not in chinese


def test_unsupported_locale_falls_back_to_chinese() -> None:
    assert translate("landing.title", "fr") == "知客 CRM"
    assert translate("landing.title", "en") == "Zhike CRM"


def test_missing_key_is_returned_as_is() -> None:
    assert translate("no.such.key", "en") == "no.such.key"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en-US,en;q=0.9", "en"),
        ("zh-TW,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("fr-FR, en;q=0.5", "en"),
        ("en;q=0.3, zh;q=0.8", "zh-CN"),
        ("de-DE", "zh-CN"),
        ("en;q=abc, zh;q=0.1", "zh-CN"),
    ],
)
def test_accept_language_negotiation(header: str | None, expected: str) -> None:
    assert negotiate_locale(header) == expected
