"""The matching specification for people in the CRM: contacts and leads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from rapidfuzz.distance import JaroWinkler

from zhike.customers.matching.chinese import (
    company_key,
    email_key,
    has_chinese,
    mobile_key,
    person_name_key,
    to_simplified,
)
from zhike.customers.matching.comparators import (
    Comparison,
    IndexArray,
    LevelArray,
    edit_comparison,
    exact_comparison,
    similarity_comparison,
)
from zhike.customers.matching.engine import MatchSpec, Record
from zhike.ingestion.standardize import clean_text

MATCH_FIELDS = ("name", "mobile", "email", "company", "city")

# Mailbox providers anyone can sign up with, so sharing one is no evidence about a person.
FREE_MAIL_DOMAINS = frozenset(
    (
        "qq.com", "vip.qq.com", "foxmail.com", "163.com", "vip.163.com", "126.com",
        "vip.126.com", "188.com", "yeah.net", "sina.com", "sina.cn", "vip.sina.com",
        "sohu.com", "139.com", "189.cn", "wo.cn", "aliyun.com", "tom.com", "21cn.com",
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com",
        "live.cn", "msn.com", "yahoo.com", "yahoo.com.cn", "icloud.com", "me.com",
        "aol.com", "proton.me", "protonmail.com", "yandex.com", "mail.com",
    )
)  # fmt: skip
# Shared mailboxes of a team rather than of one person.
ROLE_LOCAL_PARTS = frozenset(
    (
        "admin", "bd", "business", "contact", "enquiry", "finance", "hello", "hr", "info",
        "inquiry", "job", "jobs", "kefu", "mail", "market", "marketing", "noreply",
        "office", "postmaster", "sales", "service", "support", "webmaster",
    )
)  # fmt: skip
# A local part shorter than this after canonicalisation (``lw``, ``w.l``) names too many people.
MIN_PERSONAL_LOCAL_PART = 5
# A Latin name word must reach this Jaro-Winkler similarity to a word of the other name.
_NAME_WORD_SIMILARITY = 0.8

EMAIL_LEVELS = ("disagree", "same_domain", "same_local_part", "near_exact", "exact")
NAME_LEVELS = ("disagree", "partial", "close", "exact")


def match_record(values: Mapping[str, Any]) -> Record:
    """Build one person's matching keys from name, mobile, email, company and city."""
    city = values.get("city")
    return {
        "name": person_name_key(values.get("name")),
        "mobile": mobile_key(values.get("mobile")),
        "email": email_key(values.get("email")),
        "company": company_key(values.get("company")),
        "city": to_simplified(clean_text(city)).removesuffix("市") if city else None,
    }


def canonical_local_part(local_part: str) -> str:
    """Drop a ``+tag`` and the dots, hyphens and underscores people add or leave out."""
    base = local_part.split("+", 1)[0]
    return base.replace(".", "").replace("-", "").replace("_", "")


def is_shared_mailbox(email: str) -> bool:
    """Tell whether a normalised address is a team mailbox such as ``info@`` or ``sales@``."""
    local_part = email.rpartition("@")[0]
    return canonical_local_part(local_part) in ROLE_LOCAL_PARTS


def _shared_identifier(name: str, value: str) -> bool:
    return name == "email" and is_shared_mailbox(value)


def email_level(left: str, right: str) -> int:
    """Compare two normalised addresses by mailbox first; a shared domain alone is weak.

    Colleagues share their company's domain and often similar pinyin local parts
    (wanglin@ and wangli@), so the domain never counts as agreement on the person.
    """
    if left == right:
        # Colleagues who write from one team mailbox share the company, not the person.
        shared = is_shared_mailbox(left)
        return EMAIL_LEVELS.index("same_domain" if shared else "exact")
    left_local, _, left_domain = left.rpartition("@")
    right_local, _, right_domain = right.rpartition("@")
    left_canonical = canonical_local_part(left_local)
    same_domain = left_domain == right_domain
    if left_canonical and left_canonical == canonical_local_part(right_local):
        if same_domain:
            return EMAIL_LEVELS.index("near_exact")
        personal = (
            len(left_canonical) >= MIN_PERSONAL_LOCAL_PART
            and left_canonical not in ROLE_LOCAL_PARTS
        )
        return EMAIL_LEVELS.index("same_local_part") if personal else 0
    if same_domain and left_domain not in FREE_MAIL_DOMAINS:
        return EMAIL_LEVELS.index("same_domain")
    return 0


def email_levels(values: Sequence[str], left: IndexArray, right: IndexArray) -> LevelArray:
    """``email_level`` for many pairs: each address is split once, the pairs decided in numpy."""
    canonical: dict[str, int] = {}
    domains: dict[str, int] = {}
    canonical_codes, domain_codes, personal, shared, free_domain = [], [], [], [], []
    for email in values:
        local_part, _, domain = email.rpartition("@")
        local = canonical_local_part(local_part)
        # An empty canonical local part agrees with nothing, as in email_level.
        canonical_codes.append(canonical.setdefault(local, len(canonical)) if local else -1)
        domain_codes.append(domains.setdefault(domain, len(domains)))
        personal.append(len(local) >= MIN_PERSONAL_LOCAL_PART and local not in ROLE_LOCAL_PARTS)
        shared.append(local in ROLE_LOCAL_PARTS)
        free_domain.append(domain in FREE_MAIL_DOMAINS)
    local_codes = np.array(canonical_codes, dtype=np.int64)
    domain_array = np.array(domain_codes, dtype=np.int64)
    same_local = (local_codes[left] >= 0) & (local_codes[left] == local_codes[right])
    same_domain = domain_array[left] == domain_array[right]
    personal_left = np.array(personal, dtype=bool)[left]

    levels = np.zeros(len(left), dtype=np.int8)
    levels[same_domain & ~np.array(free_domain, dtype=bool)[left]] = EMAIL_LEVELS.index(
        "same_domain"
    )
    levels[same_local & ~same_domain & personal_left] = EMAIL_LEVELS.index("same_local_part")
    levels[same_local & same_domain] = EMAIL_LEVELS.index("near_exact")
    equal = left == right
    levels[equal] = EMAIL_LEVELS.index("exact")
    levels[equal & np.array(shared, dtype=bool)[left]] = EMAIL_LEVELS.index("same_domain")
    return levels


def person_name_level(left: str, right: str) -> int:
    """Compare two name keys so that a shared surname with another given name disagrees.

    Chinese names are two to four characters, most of them in a few hundred
    surnames, so a string similarity rates 王琳 and 王丽 as alike. A Chinese name
    agrees partly only when it keeps its length (three characters or more) and
    differs in one given-name character, the typing error of one character.
    A Latin (pinyin) name needs every word close to a word of the other name.
    """
    if left == right:
        return NAME_LEVELS.index("exact")
    if has_chinese(left) or has_chinese(right):
        if len(left) != len(right) or len(left) < 3 or left[0] != right[0]:
            return 0
        differing = sum(1 for first, second in zip(left, right, strict=True) if first != second)
        return NAME_LEVELS.index("partial") if differing == 1 else 0
    left_words, right_words = left.split(), right.split()
    if len(left_words) > 1 and len(right_words) > 1:
        for words, others in ((left_words, right_words), (right_words, left_words)):
            for word in words:
                best = max(JaroWinkler.similarity(word, other) for other in others)
                if best < _NAME_WORD_SIMILARITY:
                    return 0
    similarity = JaroWinkler.similarity(left, right)
    if similarity >= 0.9:
        return NAME_LEVELS.index("close")
    return NAME_LEVELS.index("partial") if similarity >= 0.7 else 0


def _prefix(field: str, width: int, other: str | None = None, other_width: int = 1) -> Any:
    def key(record: Record) -> str | None:
        value = record.get(field)
        if not value:
            return None
        if other is None:
            return f"{field}:{value[:width]}"
        second = record.get(other)
        return f"{field}:{value[:width]}|{second[:other_width]}" if second else None

    return key


CONTACT_SPEC = MatchSpec(
    comparisons=(
        # A one-character difference may be a typing error or a sibling or colleague.
        Comparison(
            "name", NAME_LEVELS, person_name_level, weak_levels=(NAME_LEVELS.index("partial"),)
        ),
        edit_comparison("mobile"),
        Comparison(
            "email",
            EMAIL_LEVELS,
            email_level,
            weak_levels=(EMAIL_LEVELS.index("same_domain"),),
            compare_batch=email_levels,
        ),
        similarity_comparison("company", (0.9, 0.8)),
        exact_comparison("city"),
    ),
    blocking_keys=(
        _prefix("name", 64),
        _prefix("company", 4, "name", 1),
        _prefix("mobile", 10, "name", 1),
    ),
    strong_identifiers=("mobile", "email"),
    shared_identifier=_shared_identifier,
)
