"""Suggested column mappings: which field each column of an uploaded file probably fills.

A header is compared with every field's name, its zh-CN and en labels and the
common spellings below (custom fields bring their own labels). Texts are
normalised first: NFKC folds full-width letters, and case and separators
are dropped, so "E-mail", "ｅｍａｉｌ" and "email" are the same word. An exact
match scores 1; otherwise the rapidfuzz similarity of the two texts, where a
short Chinese label found inside a longer header ("手机" in "客户手机号")
scores high too, a little higher at the end of the header. Each field goes
to at most one column, best score first.

A reference field (``parent_account_id``) matches by its labels and aliases,
and by its own snake_case name only exactly, so a header such as "Account" is
not read as the parent account because "account" occurs in that name. When
sample values are given, they veto what the header suggests: a column of
id-like codes never goes to a name or a by-name lookup, and a column of names
never goes to ``external_id``.
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
    "closed_on": ("实际成交日期", "成交日期", "关闭日期", "closed date", "actual close date"),
    "engaged_on": ("立项日期", "接洽日期", "engage date", "engaged date", "engagement date"),
    "stage_id": ("阶段", "销售阶段", "商机阶段", "stage", "deal stage", "sales stage"),
    "country": ("国家", "国家地区"),
    "id_number": ("身份证", "身份证号", "证件号码", "身份证号码"),
    "annual_revenue": ("年收入", "营业额", "年营业额", "revenue"),
    "employee_count": ("员工数", "员工人数", "人数", "规模", "employees"),
    "unified_social_credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "税号"),
    "account_id": ("客户", "所属客户", "客户名称", "account", "account name"),
    "owner_id": (
        "负责人",
        "所有人",
        "负责人邮箱",
        "销售",
        "销售代表",
        "owner",
        "owner email",
        "sales agent",
        "sales rep",
    ),
    "product_id": ("产品", "意向产品", "product"),
    "subject": ("主题", "标题"),
    "priority": ("优先级", "紧急程度"),
}


# Words for a company, the name of an account: the account's own name when importing
# accounts, the account lookup when importing contacts.
COMPANY_WORDS = (
    "公司",
    "公司名称",
    "企业",
    "企业名称",
    "单位",
    "单位名称",
    "工作单位",
    "所属公司",
    "company",
    "company name",
    "organization",
    "organisation",
)
# Aliases of one object's field; they replace the field's entry in ALIASES.
OBJECT_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("accounts", "name"): (
        *COMPANY_WORDS,
        "客户",
        "客户名",
        "account",
        "account name",
        "customer",
        "customer name",
    ),
    ("contacts", "account_id"): (*COMPANY_WORDS, *ALIASES["account_id"]),
    ("accounts", "parent_account_id"): (
        "上级客户",
        "上级公司",
        "母公司",
        "总公司",
        "集团",
        "parent",
        "parent company",
        "parent account",
    ),
}
# Fields that take a name: the record's own name, or a lookup of another record by its name.
NAME_FIELDS = frozenset({"name", "account_id", "parent_account_id", "product_id"})
# Fields that take an identifier from another system.
ID_FIELDS = frozenset({"external_id"})
# Fields that hold a telephone number: only a column of numbers may fill them.
PHONE_FIELDS = frozenset({"phone", "mobile"})
# Headers meaning "close date" that do not state whether the date is planned or actual.
CLOSE_DATE_HEADERS = frozenset({"closedate", "closingdate", "dateclosed", "成交日期"})
# Score of the actual close date for such a header, below an exact match so the user checks it,
# and a little more when the dates are only on closed deals.
AMBIGUOUS_CLOSE_SCORE = 0.85
CLOSED_ONLY_CLOSE_SCORE = 0.9
_CLOSED_STAGE = re.compile(r"won|lost|closed|赢|输|成交|关闭|丢单", re.I)
_PHONE = re.compile(r"\+?[\d\s\-()（）.]{5,30}(?:(?:ext|转|x)\s*\d{1,6})?", re.I)
# Share of the non-empty sample values that must agree before the values decide.
VALUE_AGREEMENT = 0.8
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
# A code: letters, digits and joiners, at least one digit, no spaces (C-0001, 10023, ACC_17).
_CODE = re.compile(r"(?=[^\s]*\d)[A-Za-z0-9][A-Za-z0-9_\-./:#]{0,63}")


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


def value_kind(values: list[str]) -> str | None:
    """Return "ids" or "names" when most non-empty sample values agree, else None."""
    filled = [value.strip() for value in values if value and value.strip()]
    if not filled:
        return None
    ids = sum(1 for value in filled if _UUID.fullmatch(value) or _CODE.fullmatch(value))
    if ids >= VALUE_AGREEMENT * len(filled):
        return "ids"
    names = sum(1 for value in filled if "@" not in value and not any(c.isdigit() for c in value))
    if names >= VALUE_AGREEMENT * len(filled):
        return "names"
    return None


def looks_like_phones(values: list[str]) -> bool:
    """Return whether most non-empty values look like phone numbers: digits, +, dashes, brackets."""
    filled = [value.strip() for value in values if value and value.strip()]
    if not filled:
        return True
    phones = sum(
        1
        for value in filled
        if _PHONE.fullmatch(value) and sum(char.isdigit() for char in value) >= 5
    )
    return phones >= VALUE_AGREEMENT * len(filled)


def _fits_values(field_name: str, kind: str | None) -> bool:
    if kind == "ids":
        return field_name not in NAME_FIELDS
    if kind == "names":
        return field_name not in ID_FIELDS
    return True


def _terms(info: FieldInfo, object_name: str | None) -> tuple[set[str], set[str]]:
    """Return the texts a header must equal, and those it may resemble or contain."""
    plain = info.name.removeprefix("custom.")
    spelled = {plain, plain.replace("_", " ")}
    words = {info.label_zh, info.label_en}
    if not info.is_custom:
        words.update(OBJECT_ALIASES.get((object_name or "", plain), ALIASES.get(plain, ())))
    exact: set[str] = set()
    if info.field_type == "reference":
        # "parentaccountid" contains "account": only the full spelling names the reference.
        exact = {normalize_text(word) for word in spelled if normalize_text(word)}
    else:
        words |= spelled
    return exact, {normalize_text(word) for word in words if word and normalize_text(word)}


def _similarity(header: str, term: str, header_inside_term: bool = True) -> float:
    """Score a header against one term.

    ``header_inside_term`` decides whether a header found inside a longer term counts,
    as "account" inside "parent account" would.
    """
    if header == term:
        return 1.0
    score = fuzz.ratio(header, term) / 100.0
    shorter, longer = sorted((header, term), key=len)
    if shorter == header and not header_inside_term:
        return score
    if len(shorter) >= 2 and shorter in longer:
        # A label inside a longer header is a strong hint, weaker the more is around it.
        contained = 0.8 + 0.15 * len(shorter) / len(longer)
        if longer.endswith(shorter):
            # Chinese compounds end in their head noun: 客户姓名 is a 姓名, not a 客户.
            contained += 0.03
        score = max(score, contained)
    return score


def _stage_column(header: list[str], rows: list[list[str]]) -> int | None:
    """Return the position of the deal stage column, found by its header."""
    for position, column in enumerate(header):
        if normalize_text(column) in {"stage", "dealstage", "salesstage", "阶段", "销售阶段"}:
            return position
    return None


def _close_date_score(
    header: str,
    fields: set[str],
    rows: list[list[str]],
    position: int,
    stage_position: int | None,
) -> float | None:
    """Return the score of the actual close date for a plain "close date" header, else None.

    CRM exports usually fill such a column when a deal is won or lost. So when the object
    has both dates, the actual one is suggested, with a score below 1 so the user checks it.
    """
    if header not in CLOSE_DATE_HEADERS or "closed_on" not in fields:
        return None
    if stage_position is not None:
        stages = [
            row[stage_position].strip()
            for row in rows
            if position < len(row) and stage_position < len(row) and row[position].strip()
        ]
        if stages and all(_CLOSED_STAGE.search(stage) for stage in stages):
            return CLOSED_ONLY_CLOSE_SCORE
    return AMBIGUOUS_CLOSE_SCORE


def suggest_mapping(
    header: list[str],
    fields: list[FieldInfo],
    rows: list[list[str]] | None = None,
    object_name: str | None = None,
) -> list[ColumnSuggestion]:
    """Return one suggestion per column; ``field`` is None where nothing is close enough.

    ``rows`` are sample rows of the file, whose values rule out fields of the wrong
    kind; ``object_name`` selects the aliases of that object's fields.
    """
    terms = {info.name: _terms(info, object_name) for info in fields}
    reference = {info.name for info in fields if info.field_type == "reference"}
    scored: list[tuple[float, int, str]] = []
    per_column: list[list[Candidate]] = []
    stage_position = _stage_column(header, rows or [])
    for position, column in enumerate(header):
        normalized = normalize_text(column)
        values = [row[position] for row in rows or [] if position < len(row)]
        kind = value_kind(values)
        phones = looks_like_phones(values)
        close_score = _close_date_score(
            normalized, set(terms), rows or [], position, stage_position
        )
        candidates = []
        for name, (exact, words) in terms.items():
            if normalized in exact:
                # A header spelling out the field ("parent_account_id") is taken at its word.
                best = 1.0
            elif not _fits_values(name, kind) or (name in PHONE_FIELDS and not phones):
                continue
            elif close_score is not None and name in ("closed_on", "expected_close_date"):
                best = close_score if name == "closed_on" else close_score - 0.05
            else:
                inside = name not in reference
                best = max(
                    (_similarity(normalized, word, header_inside_term=inside) for word in words),
                    default=0.0,
                )
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
