"""The checks behind quality scores: each rule kind applied to one value, and the evaluator.

An ``Evaluator`` applies one object's rules in force at one moment to records
given as plain dicts of field values, so the write path, the tenant job and the
reports share one implementation.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.timeutil import ensure_utc, utc_now
from zhike.customers.quality_rules import (
    FormatRule,
    FreshnessRule,
    QualityRule,
    RangeRule,
    ReferentialRule,
    RequiredRule,
    column_fields,
)
from zhike.ingestion import standardize

# The test of one rule: true when it fails for (record state, custom values, live references).
_FailureTest = Callable[[dict[str, Any], dict[str, Any], dict[str, set[Any]]], bool]

_POSTAL_CODE = re.compile(r"^[0-9]{6}$")
_HOST = re.compile(r"^[A-Za-z0-9\-.\u00a1-\uffff]+\.[A-Za-z\u00a1-\uffff]{2,}$")


@dataclass(frozen=True)
class Finding:
    field: str
    rule: str
    code: str
    weight: int
    params: dict[str, Any] = dataclass_field(default_factory=dict)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == {}


def _valid_url(text: str) -> bool:
    candidate = text.strip()
    if " " in candidate:
        return False
    if "://" not in candidate:
        candidate = "http://" + candidate
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(_HOST.match(parts.hostname or ""))


def _valid_format(name: str, value: Any, region: str) -> bool:
    text = str(value)
    try:
        if name == "email":
            standardize.normalize_email(text)
        elif name == "mobile":
            standardize.normalize_mobile(text, region)
        elif name == "phone":
            standardize.normalize_phone(text, region)
        elif name == "credit_code":
            standardize.normalize_credit_code(text)
        elif name == "url":
            return _valid_url(text)
        elif name == "postal_code":
            return bool(_POSTAL_CODE.match(text.strip()))
    except standardize.StandardizationError:
        return False
    return True


def _as_number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _as_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return ensure_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=utc_now().tzinfo)
    try:
        return ensure_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def _range_finding(rule: RangeRule, value: Any, today: date) -> Finding | None:
    if rule.not_in_future:
        day = _as_date(value)
        if day is not None and day > today:
            return Finding(rule.field, rule.kind, "quality.range_future", rule.weight)
    bounds = [bound for bound in (rule.minimum, rule.maximum) if bound is not None]
    if not bounds:
        return None
    # The rule set check makes both bounds the field's type: numbers or dates.
    measured: Any = _as_number(value) if isinstance(bounds[0], Decimal) else _as_date(value)
    if measured is None:
        return Finding(rule.field, rule.kind, "quality.range_unreadable", rule.weight)
    if rule.minimum is not None and measured < rule.minimum:
        return Finding(
            rule.field, rule.kind, "quality.range_below", rule.weight, {"minimum": rule.minimum}
        )
    if rule.maximum is not None and measured > rule.maximum:
        return Finding(
            rule.field, rule.kind, "quality.range_above", rule.weight, {"maximum": rule.maximum}
        )
    return None


def value_of(state: dict[str, Any], name: str) -> Any:
    if name.startswith("custom."):
        custom = state.get("custom") or {}
        return custom.get(name.removeprefix("custom.")) if isinstance(custom, dict) else None
    return state.get(name)


@dataclass
class Evaluator:
    """The checks of one object's rules, with the live-reference lookups done per batch."""

    object_name: str
    rules: list[QualityRule]
    region: str
    now: datetime

    def __post_init__(self) -> None:
        # Worked out once, because a batch evaluates every rule for every row.
        self.total_weight = sum(rule.weight for rule in self.rules)
        self._plan = [
            (rule, rule.field.startswith("custom."), rule.field.removeprefix("custom."))
            for rule in self.rules
        ]
        self._cutoffs = {
            rule.field: self.now - timedelta(days=rule.max_age_days)
            for rule in self.rules
            if isinstance(rule, FreshnessRule)
        }
        self._failure_tests = [(rule.weight, self._failure_test(rule)) for rule in self.rules]

    @property
    def fields(self) -> set[str]:
        names = {rule.field for rule in self.rules}
        for rule in self.rules:
            if isinstance(rule, RequiredRule):
                names.update(rule.alternatives)
        return {name for name in names if not name.startswith("custom.")} | (
            {"custom"} if any(name.startswith("custom.") for name in names) else set()
        )

    def live_references(
        self, session: Session, tenant_id: uuid.UUID, states: Iterable[dict[str, Any]]
    ) -> dict[str, set[Any]]:
        """For each referential rule's field: which of the referenced ids are live records."""
        referential = [rule.field for rule in self.rules if isinstance(rule, ReferentialRule)]
        if not referential:
            return {}
        from zhike.core.registry import load_models

        tables = load_models().metadata.tables
        targets = column_fields(self.object_name)
        states = list(states)
        live: dict[str, set[Any]] = {}
        for name in referential:
            wanted = {value_of(state, name) for state in states} - {None}
            target = targets[name].target_table if name in targets else None
            if not wanted or target is None:
                live[name] = set()
                continue
            table: Any = tables[target]
            statement = select(table.c.id).where(table.c.id.in_(wanted))
            if "tenant_id" in table.c:
                statement = statement.where(table.c.tenant_id == tenant_id)
            if "deleted_at" in table.c:
                statement = statement.where(table.c.deleted_at.is_(None))
            live[name] = set(session.scalars(statement))
        return live

    def evaluate(
        self, state: dict[str, Any], live: dict[str, set[Any]]
    ) -> tuple[int, list[Finding]]:
        findings: list[Finding] = []
        failed = 0
        custom = state.get("custom")
        if not isinstance(custom, dict):
            custom = {}
        for rule, is_custom, key in self._plan:
            value = custom.get(key) if is_custom else state.get(key)
            if isinstance(rule, RequiredRule) and rule.alternatives and _is_empty(value):
                finding = self._check_alternatives(rule, state)
            else:
                finding = self._check(rule, value, live)
            if finding is not None:
                findings.append(finding)
                failed += rule.weight
        total = self.total_weight
        score = 100 if total == 0 else 100 * (total - failed) // total
        return score, findings

    def score(self, state: dict[str, Any], live: dict[str, set[Any]]) -> int:
        """Compute the score that ``evaluate`` gives, without describing the failed rules.

        The write path scores every row of an import, so this runs one precompiled
        test per rule instead of the checks that build findings.
        """
        custom = state.get("custom")
        if not isinstance(custom, dict):
            custom = {}
        failed = 0
        for weight, fails in self._failure_tests:
            if fails(state, custom, live):
                failed += weight
        total = self.total_weight
        return 100 if total == 0 else 100 * (total - failed) // total

    def _failure_test(self, rule: QualityRule) -> _FailureTest:
        """Compile one rule into a test that is true when the rule fails, as ``_check`` decides."""
        is_custom = rule.field.startswith("custom.")
        key = rule.field.removeprefix("custom.")

        if isinstance(rule, RequiredRule):
            alternatives = tuple(rule.alternatives)

            def required_fails(
                state: dict[str, Any], custom: dict[str, Any], live: dict[str, set[Any]]
            ) -> bool:
                value = custom.get(key) if is_custom else state.get(key)
                # _is_empty, written out: this test runs for most rules of every row.
                if (
                    value is not None
                    and value != {}
                    and not (isinstance(value, str) and not value.strip())
                ):
                    return False
                return all(_is_empty(value_of(state, name)) for name in alternatives)

            return required_fails
        if isinstance(rule, FormatRule):
            format_name, region = rule.format, self.region

            def format_fails(
                state: dict[str, Any], custom: dict[str, Any], live: dict[str, set[Any]]
            ) -> bool:
                value = custom.get(key) if is_custom else state.get(key)
                return not _is_empty(value) and not _valid_format(format_name, value, region)

            return format_fails
        if isinstance(rule, ReferentialRule):
            field = rule.field

            def referential_fails(
                state: dict[str, Any], custom: dict[str, Any], live: dict[str, set[Any]]
            ) -> bool:
                value = custom.get(key) if is_custom else state.get(key)
                return not _is_empty(value) and value not in live.get(field, set())

            return referential_fails
        if isinstance(rule, FreshnessRule):
            cutoff = self._cutoffs[rule.field]

            def freshness_fails(
                state: dict[str, Any], custom: dict[str, Any], live: dict[str, set[Any]]
            ) -> bool:
                value = custom.get(key) if is_custom else state.get(key)
                if _is_empty(value):
                    return False
                moment = _as_time(value)
                return moment is not None and moment < cutoff

            return freshness_fails

        def range_fails(
            state: dict[str, Any], custom: dict[str, Any], live: dict[str, set[Any]]
        ) -> bool:
            value = custom.get(key) if is_custom else state.get(key)
            return not _is_empty(value) and self._check(rule, value, live) is not None

        return range_fails

    def _check_alternatives(self, rule: RequiredRule, state: dict[str, Any]) -> Finding | None:
        """Check a required rule whose own field is empty: one alternative with a value passes."""
        if any(not _is_empty(value_of(state, name)) for name in rule.alternatives):
            return None
        return Finding(
            rule.field,
            rule.kind,
            "quality.required_any",
            rule.weight,
            {"alternatives": list(rule.alternatives)},
        )

    def _check(self, rule: QualityRule, value: Any, live: dict[str, set[Any]]) -> Finding | None:
        if isinstance(rule, RequiredRule):
            if _is_empty(value):
                return Finding(rule.field, rule.kind, "quality.required", rule.weight)
            return None
        if _is_empty(value):
            # Only a required rule needs a value, so the other kinds pass on an empty field.
            return None
        if isinstance(rule, FormatRule):
            if not _valid_format(rule.format, value, self.region):
                return Finding(
                    rule.field, rule.kind, "quality.format", rule.weight, {"format": rule.format}
                )
            return None
        if isinstance(rule, RangeRule):
            return _range_finding(rule, value, self.now.date())
        if isinstance(rule, ReferentialRule):
            if value not in live.get(rule.field, set()):
                return Finding(rule.field, rule.kind, "quality.referential", rule.weight)
            return None
        if isinstance(rule, FreshnessRule):
            moment = _as_time(value)
            if moment is not None and moment < self._cutoffs[rule.field]:
                return Finding(
                    rule.field,
                    rule.kind,
                    "quality.freshness",
                    rule.weight,
                    {"days": rule.max_age_days},
                )
        return None
