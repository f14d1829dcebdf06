"""The tenant's lexicon: every phrase the question parser recognises, with what it means.

The fixed vocabulary (``vocabulary.py``) is joined with what the tenant's own data
names: pipeline stages, products, industries, countries, regions, user names and
custom field labels. Values are read with the asker's permissions through the
report service, so a name the asker cannot see is not a word the parser knows.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.ai.ask import vocabulary as words
from zhike.analytics.query import ReportGroup, ReportMeasure, ReportQuery
from zhike.analytics.service import FISCAL_YEAR_SETTING, run_report
from zhike.core.errors import ZhikeError
from zhike.platform.models import FieldDefinition
from zhike.sales.models import PipelineStage
from zhike.security.access import grant_for, scope_select
from zhike.security.context import Actor
from zhike.security.models import Team, Tenant, User

logger = logging.getLogger(__name__)

TermKind = Literal[
    "object",
    "dimension",
    "value",
    "condition",
    "measure_field",
    "aggregate",
    "count",
    "group",
    "group_after",
    "respectively",
    "money",
    "which",
    "what",
    "who",
    "won_verb",
    "top",
    "bottom",
    "rank",
    "negation",
    "negation_after",
    "created",
    "closed",
    "sla",
    "region_name",
    "manager_after",
    "manager_before",
    "conversion",
    "distinct",
    "versus",
    "rate",
    "expected",
]

# A tenant with more distinct values than this in a field gets no words for them:
# such a field is a name or a code, not a picklist.
MAX_VALUES_PER_FIELD = 300
# How long a built lexicon is reused for the same user. New picklist values show
# up in questions after at most this long.
LEXICON_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Term:
    """One meaning of a phrase.

    ``target`` is the object a field belongs to (``users``, ``teams``, ``accounts``…)
    and ``field`` the field on it; ``conditions`` are (field, op, value) filters on
    ``target``. Which path reaches the target depends on the question's base object.
    """

    kind: TermKind
    target: str | None = None
    field: str | None = None
    value: Any = None
    conditions: tuple[tuple[str, str, Any], ...] = ()


@dataclass(slots=True)
class MoneyField:
    object_name: str
    path: str
    label: str


@dataclass(slots=True)
class Lexicon:
    """Phrases (normalized) to their meanings, plus facts about the tenant's data."""

    terms: dict[str, list[Term]] = field(default_factory=lambda: defaultdict(list))
    money_fields: dict[str, list[MoneyField]] = field(default_factory=dict)
    region_values: list[str] = field(default_factory=list)
    # The key of the won pipeline stage, which closing verbs ("closed", "签约") imply.
    won_stage_key: str | None = None
    lost_stage_keys: list[str] = field(default_factory=list)
    sla_fields: dict[str, str] = field(default_factory=dict)
    fiscal_start_month: int = 1
    timezone: str = "Asia/Shanghai"
    readable: frozenset[str] = frozenset()
    longest: int = 1
    # Phrases whose value meaning holds only beside a word for its field: "服务" is the
    # industry "services" in "服务行业", not in "服务工单". Phrase to (target, field).
    contextual: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, phrase: str, term: Term) -> None:
        key = normalize(phrase).strip()
        if not key:
            return
        if term not in self.terms[key]:
            self.terms[key].append(term)
        self.longest = max(self.longest, len(key))


def normalize(text: str) -> str:
    """Half-width, lower-case text with runs of spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return " ".join(folded.split())


def _fixed_terms(lexicon: Lexicon) -> None:
    for object_name, phrases in words.OBJECT_WORDS.items():
        for phrase in phrases:
            lexicon.add(phrase, Term("object", target=object_name))
    for (target, name), phrases in words.DIMENSION_WORDS.items():
        for phrase in phrases:
            lexicon.add(phrase, Term("dimension", target=target, field=name))
    for (target, name), phrases in words.MEASURE_FIELD_WORDS.items():
        for phrase in phrases:
            lexicon.add(phrase, Term("measure_field", target=target, field=name))
    for phrase in words.WON_AMOUNT_WORDS:
        lexicon.add(phrase, Term("measure_field", target="opportunities", field="amount"))
    for phrase in words.WON_AVERAGE_WORDS:
        lexicon.add(phrase, Term("aggregate", value="avg"))
        lexicon.add(phrase, Term("measure_field", target="opportunities", field="amount"))
    for aggregate, phrases in words.AGGREGATE_WORDS.items():
        for phrase in phrases:
            lexicon.add(phrase, Term("aggregate", value=aggregate))
    simple: tuple[tuple[TermKind, tuple[str, ...]], ...] = (
        ("count", words.COUNT_WORDS),
        ("group", words.GROUP_WORDS),
        ("group_after", words.GROUP_AFTER_WORDS),
        ("respectively", words.RESPECTIVELY_WORDS),
        ("money", words.MONEY_WORDS),
        ("which", words.WHICH_WORDS),
        ("what", words.WHAT_WORDS),
        ("won_verb", words.CLOSE_WON_WORDS),
        ("who", words.WHO_WORDS),
        ("top", words.TOP_WORDS),
        ("bottom", words.BOTTOM_WORDS),
        ("rank", words.RANK_WORDS),
        ("negation", words.NEGATION_WORDS),
        ("negation_after", words.NEGATION_AFTER_WORDS),
        ("created", words.CREATED_WORDS),
        ("closed", words.CLOSED_WORDS),
        ("expected", words.EXPECTED_CLOSE_WORDS),
        ("sla", words.SLA_WORDS),
        ("region_name", words.REGION_NAMES),
        ("manager_after", words.MANAGER_AFTER_WORDS),
        ("manager_before", words.MANAGER_BEFORE_WORDS),
        ("conversion", words.CONVERSION_WORDS),
        ("distinct", words.DISTINCT_WORDS),
        ("versus", words.VERSUS_WORDS),
    )
    for kind, phrases in simple:
        for phrase in phrases:
            lexicon.add(phrase, Term(kind))
    for phrase in words.EARNING_WORDS:
        lexicon.add(phrase, Term("won_verb"))
        lexicon.add(phrase, Term("money"))
    for phrase in words.MANAGER_STAFF_WORDS:
        lexicon.add(phrase, Term("manager_after"))
        lexicon.add(phrase, Term("dimension", target="users", field="display_name"))
    for phrase in words.SELLING_SUPERLATIVES:
        lexicon.add(phrase, Term("won_verb"))
    for phrase in words.CHAMPION_WORDS:
        for term in (
            Term("top"),
            Term("who"),
            Term("won_verb"),
            Term("measure_field", target="opportunities", field="amount"),
        ):
            lexicon.add(phrase, term)
    for (direction, target, name), phrases in words.SUPERLATIVE_FIELD_WORDS.items():
        for phrase in phrases:
            lexicon.add(phrase, Term("top" if direction == "top" else "bottom"))
            lexicon.add(phrase, Term("measure_field", target=target, field=name))
    rates: tuple[tuple[tuple[str, ...], str | None, tuple[tuple[str, str, Any], ...]], ...] = (
        (words.WIN_RATE_WORDS, "opportunities", (("stage.is_won", "eq", True),)),
        (words.LOSS_RATE_WORDS, "opportunities", (("stage.is_lost", "eq", True),)),
        (words.LEAD_CONVERSION_RATE_WORDS, "leads", (("status", "eq", "converted"),)),
        (words.RESOLUTION_RATE_WORDS, "tickets", (("status", "in", ["resolved", "closed"]),)),
        (words.RATE_WORDS, None, ()),
    )
    for phrases, rate_target, meaning in rates:
        for phrase in phrases:
            lexicon.add(phrase, Term("rate", target=rate_target, conditions=meaning))
    for object_name, conditions in words.CONDITION_WORDS.items():
        for phrases, meaning in conditions.items():
            for phrase in phrases:
                lexicon.add(phrase, Term("condition", target=object_name, conditions=meaning))


def _label_terms(lexicon: Lexicon) -> None:
    """Field labels of the catalogs (``field_label.*``) as dimension words of every object."""
    from zhike.analytics.relations import field_allowed, sources
    from zhike.core.i18n import load_catalog

    catalogs = [load_catalog(locale) for locale in ("zh-CN", "en")]
    for object_name in words.PATHS:
        source = sources().get(object_name)
        if source is None:
            continue
        for column in source.model.__table__.c:
            if not field_allowed(source, column.key) or column.key.endswith("_id"):
                continue
            if type(column.type).__name__ not in ("String", "Text"):
                continue
            for catalog in catalogs:
                label = catalog.get(f"field_label.{column.key}")
                if label:
                    lexicon.add(label, Term("dimension", target=object_name, field=column.key))


def _distinct_values(session: Session, actor: Actor, object_name: str, path: str) -> list[str]:
    """Distinct values of a field as the actor may see them; empty when it may not."""
    try:
        result = run_report(
            session,
            actor,
            ReportQuery(
                object=object_name,
                group_by=[ReportGroup(field=path)],
                measures=[ReportMeasure(aggregate="count")],
                limit=MAX_VALUES_PER_FIELD + 1,
            ),
        )
    except ZhikeError:
        return []
    values = [row[0] for row in result.rows if isinstance(row[0], str) and row[0].strip()]
    return [] if len(values) > MAX_VALUES_PER_FIELD else values


def _directory_values(session: Session, actor: Actor, model: Any, column: Any) -> list[str]:
    """Distinct names from the tenant's directory (users, teams), which every member may read."""
    statement = scope_select(actor, model, select(column).distinct()).limit(
        MAX_VALUES_PER_FIELD + 1
    )
    values = [
        value for value in session.scalars(statement) if isinstance(value, str) and value.strip()
    ]
    return [] if len(values) > MAX_VALUES_PER_FIELD else sorted(values)


# Picklist-like fields whose values become words: (base object, path, target, field).
_VALUE_FIELDS = (
    ("accounts", "industry", "accounts", "industry"),
    ("accounts", "country", "accounts", "country"),
    ("accounts", "province", "accounts", "province"),
    ("accounts", "city", "accounts", "city"),
    ("accounts", "tier", "accounts", "tier"),
    ("accounts", "name", "accounts", "name"),
    ("products", "name", "products", "name"),
    ("products", "series", "products", "series"),
    ("tickets", "category", "tickets", "category"),
    ("tickets", "channel", "tickets", "channel"),
    ("leads", "lead_source", "leads", "lead_source"),
)

# Industry names as Chinese speakers say them, for data stored in English.
_INDUSTRY_SYNONYMS = {
    "retail": ("零售", "零售业"),
    "medical": ("医疗", "医疗行业", "医药"),
    "technology": ("科技", "技术", "科技行业", "tech"),
    "software": ("软件", "软件行业"),
    "finance": ("金融", "金融行业"),
    "marketing": ("营销", "市场营销", "广告"),
    "telecommunications": ("电信", "通信", "telecom", "telco"),
    "entertainment": ("娱乐", "文娱", "传媒"),
    "employment": ("人力资源", "招聘", "就业"),
    "services": ("服务", "服务业"),
    "manufacturing": ("制造", "制造业"),
    "education": ("教育",),
}
# Country names as people say them, in Chinese and English short forms, for data that
# stores the English name. The bare pronoun "us" is left out on purpose.
# Country names and their adjectives: "German accounts" are the accounts in Germany.
_COUNTRY_SYNONYMS = {
    "united states": (
        "美国",
        "usa",
        "u.s.",
        "u.s.a.",
        "the us",
        "the usa",
        "america",
        "us-based",
        "american",
    ),
    "united kingdom": ("英国", "uk", "u.k.", "the uk", "britain", "great britain", "british"),
    "china": ("中国", "中国大陆", "prc"),
    "japan": ("日本", "japanese"),
    "korea": ("韩国", "south korea", "korean"),
    "germany": ("德国", "german"),
    "france": ("法国", "french"),
    "italy": ("意大利", "italian"),
    "norway": ("挪威", "norwegian"),
    "brazil": ("巴西", "brazilian"),
    "kenya": ("肯尼亚", "kenyan"),
    "philippines": ("菲律宾",),
    "philipines": ("菲律宾", "philippines"),
    "jordan": ("约旦",),
    "panama": ("巴拿马",),
    "belgium": ("比利时", "belgian"),
    "romania": ("罗马尼亚", "romanian"),
    "poland": ("波兰",),
    "canada": ("加拿大", "canadian"),
    "australia": ("澳大利亚", "澳洲", "australian"),
    "india": ("印度",),
    "singapore": ("新加坡",),
    "spain": ("西班牙", "spanish"),
    "netherlands": ("荷兰", "dutch"),
    "russia": ("俄罗斯",),
    "mexico": ("墨西哥", "mexican"),
}
_REGION_SYNONYMS = {
    "east": ("东区", "东部大区", "东部区域", "east region", "eastern"),
    "west": ("西区", "西部大区", "西部区域", "west region", "western"),
    "central": ("中区", "中部大区", "中部区域", "central region"),
    "north": ("北区", "northern"),
    "south": ("南区", "southern"),
}

_VALUE_SYNONYMS = {"industry": _INDUSTRY_SYNONYMS, "country": _COUNTRY_SYNONYMS}
# Industry synonyms that are also everyday CRM words (服务工单, 技术支持, 营销活动, 广告投放,
# 招聘). They name the industry only next to 行业/industry or in a list of industries.
_CONTEXT_SYNONYMS = {
    "industry": frozenset(
        {"服务", "技术", "营销", "市场营销", "广告", "通信", "招聘", "就业", "传媒"}
    )
}
# Fields of free names rather than picklists: a name that is also a word of the fixed
# vocabulary ("Open", "Top") or a single Chinese character keeps its vocabulary meaning only.
_NAME_FIELDS = frozenset({("accounts", "name")})


def _data_terms(session: Session, actor: Actor, lexicon: Lexicon) -> None:
    for base, path, target, name in _VALUE_FIELDS:
        if grant_for(actor, base) is None:
            continue
        for value in _distinct_values(session, actor, base, path):
            if (target, name) in _NAME_FIELDS and _common_word(lexicon, value):
                continue
            lexicon.add(value, Term("value", target=target, field=name, value=value))
            for synonym in _VALUE_SYNONYMS.get(name, {}).get(value.lower(), ()):
                lexicon.add(synonym, Term("value", target=target, field=name, value=value))
                if synonym in _CONTEXT_SYNONYMS.get(name, ()):
                    lexicon.contextual[normalize(synonym)] = (target, name)
    regions = _directory_values(session, actor, Team, Team.region)
    lexicon.region_values = sorted(regions)
    for region in regions:
        term = Term("value", target="teams", field="region", value=region)
        for suffix in ("", "区", "大区", "地区", "区域", " region", " office"):
            lexicon.add(region + suffix, term)
        for synonym in _REGION_SYNONYMS.get(region.lower(), ()):
            lexicon.add(synonym, term)
    for user in _directory_values(session, actor, User, User.display_name):
        lexicon.add(user, Term("value", target="users", field="display_name", value=user))
    stages = session.scalars(
        scope_select(actor, PipelineStage, select(PipelineStage)).order_by(PipelineStage.position)
    )
    for stage in stages:
        term = Term("value", target="pipeline_stages", field="key", value=stage.key)
        synonyms: tuple[str, ...] = ()
        if stage.is_won:
            synonyms = tuple(words.WON_WORDS)
        elif stage.is_lost:
            synonyms = tuple(words.LOST_WORDS)
        for phrase in (stage.key, stage.name_zh, stage.name_en, *synonyms):
            lexicon.add(phrase, term)
        if stage.is_won and lexicon.won_stage_key is None:
            lexicon.won_stage_key = stage.key
        if stage.is_lost:
            lexicon.lost_stage_keys.append(stage.key)
        if stage.is_won:
            # "赢单金额" is the amount of won deals: a measure and a filter in one phrase.
            for phrase in (*words.WON_AMOUNT_WORDS, *words.WON_AVERAGE_WORDS):
                lexicon.add(phrase, term)


def _common_word(lexicon: Lexicon, value: str) -> bool:
    key = normalize(value).strip()
    return key in lexicon.terms or len(key) < 2


def _custom_terms(session: Session, actor: Actor, lexicon: Lexicon) -> None:
    """Custom fields: labels become measure or dimension words; money fields are listed."""
    definitions = session.scalars(
        scope_select(actor, FieldDefinition, select(FieldDefinition)).order_by(FieldDefinition.name)
    )
    for definition in definitions:
        object_name = definition.object_name
        path = f"custom.{definition.name}"
        labels = (definition.label_zh, definition.label_en, definition.name.replace("_", " "))
        if definition.field_type in ("money", "decimal", "integer"):
            for label in labels:
                lexicon.add(label, Term("measure_field", target=object_name, field=path))
            if definition.field_type == "money":
                lexicon.money_fields.setdefault(object_name, []).append(
                    MoneyField(object_name, path, definition.label_zh)
                )
        elif definition.field_type == "boolean":
            term = Term("condition", target=object_name, conditions=((path, "eq", True),))
            for label in labels:
                lexicon.add(label, term)
            if "sla" in definition.name.lower():
                lexicon.sla_fields[object_name] = path
        else:
            for label in labels:
                lexicon.add(label, Term("dimension", target=object_name, field=path))
            for choice in definition.choices or []:
                lexicon.add(choice, Term("value", target=object_name, field=path, value=choice))


# Built-in money columns, so "金额" is ambiguous once a custom money field joins them.
_BUILTIN_MONEY = {
    "opportunities": [MoneyField("opportunities", "amount", "金额")],
    "accounts": [MoneyField("accounts", "annual_revenue", "年收入")],
    "products": [MoneyField("products", "list_price", "价格")],
}


def build_lexicon(session: Session, actor: Actor) -> Lexicon:
    """Build the lexicon for ``actor``; see ``cached_lexicon`` for the reused copy."""
    lexicon = Lexicon()
    tenant = session.get(Tenant, actor.tenant_id)
    if tenant is not None:
        lexicon.timezone = tenant.timezone
        start = (tenant.settings or {}).get(FISCAL_YEAR_SETTING, 1)
        lexicon.fiscal_start_month = start if isinstance(start, int) and 1 <= start <= 12 else 1
    lexicon.money_fields = {name: list(found) for name, found in _BUILTIN_MONEY.items()}
    lexicon.readable = frozenset(name for name in words.PATHS if grant_for(actor, name) is not None)
    _fixed_terms(lexicon)
    _label_terms(lexicon)
    _data_terms(session, actor, lexicon)
    _custom_terms(session, actor, lexicon)
    return lexicon


_CACHE: dict[tuple[uuid.UUID, uuid.UUID | None, str], tuple[float, Lexicon]] = {}
_CACHE_LOCK = threading.Lock()


def cached_lexicon(session: Session, actor: Actor) -> Lexicon:
    """Return the actor's lexicon, rebuilt when older than ``LEXICON_SECONDS``."""
    key = (actor.tenant_id, actor.user_id, actor.role)
    now = time.monotonic()
    with _CACHE_LOCK:
        found = _CACHE.get(key)
    if found is not None and now - found[0] < LEXICON_SECONDS:
        return found[1]
    lexicon = build_lexicon(session, actor)
    with _CACHE_LOCK:
        if len(_CACHE) > 1000:
            _CACHE.clear()
        _CACHE[key] = (now, lexicon)
    return lexicon


def forget_lexicons() -> None:
    """Drop every cached lexicon, for tests that change a tenant's metadata."""
    with _CACHE_LOCK:
        _CACHE.clear()
