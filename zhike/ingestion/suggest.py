"""Suggested column mappings: which field each column of an uploaded file probably fills.

A header is compared with every field's name, its zh-CN and en labels and the
common spellings below (custom fields bring their own labels). Texts are
normalised first: NFKC folds full-width letters, and case and separators
are dropped, so "E-mail", "ｅｍａｉｌ" and "email" are the same word. An exact
match scores 1; otherwise the rapidfuzz similarity of the two texts, where a
short Chinese label found inside a longer header ("手机" in "客户手机号")
scores high too, a little higher at the end of the header. Each field goes
to at most one column, best score first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from rapidfuzz import fuzz

from zhike.platform.field_catalog import FieldInfo

MIN_SCORE = 0.75
ALTERNATIVES = 3
_SEPARATORS = re.compile(r"[\s_\-./()（）:：#]+")

# Spellings seen in Chinese and English CRM exports, beyond each field's own labels.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "联系人", "联系人姓名", "full name", "contact name"),
    "mobile": (
        "手机",
        "手机号",
        "手机号码",
        "移动电话",
        "联系手机",
        "cell",
        "cellphone",
        "mobile phone",
    ),
    "phone": ("电话", "座机", "固定电话", "办公电话", "联系电话", "telephone", "tel"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "邮件", "mail", "email address"),
    "company": ("公司", "单位", "公司名称", "企业", "企业名称", "工作单位", "organization"),
    "title": ("职位", "职务", "头衔", "岗位", "job title", "position"),
    "department": ("部门", "所属部门"),
    "city": ("城市", "所在城市", "市"),
    "province": ("省", "省份", "所在省份", "state"),
    "district": ("区", "区县", "县区"),
    "address": ("地址", "详细地址", "联系地址", "通讯地址", "street"),
    "gender": ("性别", "sex"),
    "birth_date": ("生日", "出生日期", "birthday", "date of birth"),
    "external_id": ("编号", "客户编号", "外部编号", "外部id", "id", "record id"),
    "lead_source": ("来源", "线索来源", "获客渠道"),
    "industry": ("行业", "所属行业"),
    "website": ("网址", "官网", "网站", "url", "homepage"),
    "description": ("备注", "描述", "说明", "notes", "remark", "comment"),
    "amount": ("金额", "合同金额", "预计金额", "商机金额", "value"),
    "expected_close_date": ("预计成交日期", "预计签约日期", "预计成交时间", "close date"),
    "country": ("国家", "国家地区"),
    "id_number": ("身份证", "身份证号", "证件号码", "身份证号码"),
    "annual_revenue": ("年收入", "营业额", "年营业额", "revenue"),
    "employee_count": ("员工数", "员工人数", "人数", "规模", "employees"),
    "unified_social_credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "税号"),
    "account_id": ("客户", "所属客户", "客户名称", "account", "account name"),
    "owner_id": ("负责人", "所有人", "负责人邮箱", "销售", "owner", "owner email"),
    "product_id": ("产品", "意向产品", "product"),
    "subject": ("主题", "标题"),
    "priority": ("优先级", "紧急程度"),
}


@dataclass
class Candidate:
    field: str
    score: float


@dataclass
class ColumnSuggestion:
    column: str
    field: str | None
    score: float
    alternatives: list[Candidate] = dataclass_field(default_factory=list)


def normalize_text(text: str) -> str:
    """Fold width and case and drop separators, for comparing headers with labels."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SEPARATORS.sub("", folded)


def _terms(info: FieldInfo) -> set[str]:
    plain = info.name.removeprefix("custom.")
    words = {plain, plain.replace("_", " "), info.label_zh, info.label_en}
    if not info.is_custom:
        words.update(ALIASES.get(plain, ()))
    return {normalize_text(word) for word in words if word and normalize_text(word)}


def _similarity(header: str, term: str) -> float:
    if header == term:
        return 1.0
    score = fuzz.ratio(header, term) / 100.0
    shorter, longer = sorted((header, term), key=len)
    if len(shorter) >= 2 and shorter in longer:
        # A label inside a longer header is a strong hint, weaker the more is around it.
        contained = 0.8 + 0.15 * len(shorter) / len(longer)
        if longer.endswith(shorter):
            # Chinese compounds end in their head noun: 客户姓名 is a 姓名, not a 客户.
            contained += 0.03
        score = max(score, contained)
    return score


def suggest_mapping(header: list[str], fields: list[FieldInfo]) -> list[ColumnSuggestion]:
    """Return one suggestion per column; ``field`` is None where nothing is close enough."""
    terms = {info.name: _terms(info) for info in fields}
    scored: list[tuple[float, int, str]] = []
    per_column: list[list[Candidate]] = []
    for position, column in enumerate(header):
        normalized = normalize_text(column)
        candidates = []
        for name, words in terms.items():
            best = max((_similarity(normalized, word) for word in words), default=0.0)
            if normalized and best > 0:
                candidates.append(Candidate(name, round(best, 3)))
                scored.append((best, position, name))
        candidates.sort(key=lambda candidate: (-candidate.score, candidate.field))
        per_column.append(candidates[:ALTERNATIVES])
    chosen: dict[int, tuple[str, float]] = {}
    taken: set[str] = set()
    for score, position, name in sorted(scored, key=lambda item: (-item[0], item[1], item[2])):
        if score < MIN_SCORE or position in chosen or name in taken:
            continue
        chosen[position] = (name, score)
        taken.add(name)
    return [
        ColumnSuggestion(
            column=column,
            field=chosen[position][0] if position in chosen else None,
            score=round(chosen[position][1], 3) if position in chosen else 0.0,
            alternatives=per_column[position],
        )
        for position, column in enumerate(header)
    ]
