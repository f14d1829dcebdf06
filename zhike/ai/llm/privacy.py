"""Detecting and redacting personal data in Chinese text.

The detector finds mobile and landline numbers, resident ID numbers (check
digit verified), bank card numbers (Luhn verified), emails, street addresses
and the tenant's own contact and company names. The redactor swaps each value
for a numbered placeholder such as ``⟦PHONE_1⟧`` before text leaves the
company, and restores the values in the answer, also when a placeholder is
split across streamed chunks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from zhike.ai.llm.names import NameMatcher

PLACEHOLDER_OPEN = "⟦"
PLACEHOLDER_CLOSE = "⟧"
PLACEHOLDER_PATTERN = re.compile(r"⟦([A-Z]+)_(\d+)⟧")

PLACEHOLDER_LABELS = {
    "phone": "PHONE",
    "email": "EMAIL",
    "id_number": "ID",
    "bank_card": "CARD",
    "address": "ADDRESS",
    "person": "NAME",
    "company": "COMPANY",
    "value": "VALUE",
}
CATEGORIES = ("phone", "id_number", "bank_card", "email", "address", "person", "company")
# When spans overlap, the stricter or more specific reading wins.
_PRIORITY = {
    "id_number": 0,
    "bank_card": 1,
    "email": 2,
    "phone": 3,
    "person": 4,
    "address": 5,
    "company": 6,
    "value": 7,
}

_SEP = r"[ \-\u00a0]?"
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[ \-]?)?1[3-9]\d" + rf"(?:{_SEP}\d){{8}}(?!\d)")
_LANDLINE = re.compile(
    r"(?<![\d])(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[ \-]?[2-9]\d{2,3}[ \-]?\d{4}"
    r"(?:[ \-]?(?:转|ext\.?)[ ]?\d{1,5})?(?!\d)"
)
_ID_NUMBER = re.compile(
    r"(?<![\dA-Za-z])[1-8]\d{5}[ ]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"[ ]?\d{3}[\dXx](?![\dA-Za-z])"
)
_UUID = re.compile(
    r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"(?![0-9A-Za-z])"
)
_CARD = re.compile(r"(?<![\dA-Za-z])\d{4}(?:[ \-]?\d){12,15}(?![\dA-Za-z])")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
)

PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南"
    "|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
)
_HAN = "\u4e00-\u9fff"
_ADDRESS = re.compile(
    rf"(?:(?:{PROVINCES})(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)?)?"
    rf"(?:[{_HAN}]{{1,6}}?(?:市|州|盟))?(?:[{_HAN}]{{1,6}}?(?:区|县|旗))?"
    rf"(?:[{_HAN}]{{1,8}}?(?:镇|乡|街道))?"
    rf"[{_HAN}A-Za-z0-9]{{1,12}}?(?:路|街|大道|大街|巷|弄|胡同|里)"
    rf"(?:[\d一二三四五六七八九十]{{1,5}}(?:号|弄|巷))"
    rf"(?:[{_HAN}A-Za-z0-9\-]{{0,12}}?(?:号楼|栋|幢|座|单元|层|楼|室|号))*"
)
# Every address has a street and a number; searching for that first keeps the full
# pattern, which is costly to try at every position, to a few short windows.
_ADDRESS_ANCHOR = re.compile(
    r"(?:路|街|大道|大街|巷|弄|胡同|里)[\d一二三四五六七八九十]{1,5}(?:号|弄|巷)"
)
_ADDRESS_REACH = 40
# Words that end a sentence fragment before an address ("我的地址是…", "寄到…").
_ADDRESS_LEADS = re.compile(r"^.*?(?:地址是|地址为|地址：|地址:|寄到|送到|住在|位于|在|是|到|：|:)")
_PROVINCE_START = re.compile(rf"^(?:{PROVINCES})")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ROLE_MARKERS = re.compile(
    r"<\|[^|>]{0,40}\|>|\[/?INST\]|<</?SYS>>|^\s*#{2,}\s*(?:system|instruction|assistant)\b"
    r"|^\s*(?:system|assistant|developer|系统|助手)\s*[:：]",
    re.IGNORECASE | re.MULTILINE,
)


_FULL_WIDTH_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    category: str
    text: str


def digits_of(text: str) -> str:
    return "".join(char for char in text if char.isdigit() or char in "Xx")


def id_check_ok(value: str) -> bool:
    """True when an 18-character resident ID number carries a correct check character."""
    value = value.upper()
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def luhn_ok(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _regex_spans(text: str) -> Iterator[Span]:
    # A record id's last two groups can be sixteen decimal digits that pass the Luhn check;
    # nothing inside an id is personal data.
    ids = [match.span() for match in _UUID.finditer(text)]
    for span in _pattern_spans(text):
        if not any(start < span.end and span.start < end for start, end in ids):
            yield span


def _pattern_spans(text: str) -> Iterator[Span]:
    for match in _ID_NUMBER.finditer(text):
        if id_check_ok(digits_of(match.group())):
            yield Span(match.start(), match.end(), "id_number", match.group())
    for match in _CARD.finditer(text):
        number = "".join(char for char in match.group() if char.isdigit())
        if 16 <= len(number) <= 19 and luhn_ok(number):
            yield Span(match.start(), match.end(), "bank_card", match.group())
    for match in _EMAIL.finditer(text):
        yield Span(match.start(), match.end(), "email", match.group())
    for pattern in (_MOBILE, _LANDLINE):
        for match in pattern.finditer(text):
            yield Span(match.start(), match.end(), "phone", match.group())
    yield from _address_spans(text)


def _address_spans(text: str) -> Iterator[Span]:
    covered = 0
    for anchor in _ADDRESS_ANCHOR.finditer(text):
        if anchor.start() < covered:
            continue
        window = max(covered, anchor.start() - _ADDRESS_REACH)
        limit = min(len(text), anchor.end() + _ADDRESS_REACH)
        match = next(
            (
                found
                for found in _ADDRESS.finditer(text, window, limit)
                if found.start() <= anchor.start() and found.end() >= anchor.end()
            ),
            None,
        )
        if match is None:
            continue
        covered = match.end()
        start, value = match.start(), match.group()
        if not _PROVINCE_START.match(value):
            lead = _ADDRESS_LEADS.match(value)
            if lead and lead.end() < len(value) - 3:
                start += lead.end()
                value = value[lead.end() :]
        yield Span(start, match.end(), "address", value)


def resolve_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Keep a non-overlapping set: earlier, stricter, then longer spans win."""
    ordered = sorted(spans, key=lambda span: (_PRIORITY[span.category], -(span.end - span.start)))
    kept: list[Span] = []
    for span in ordered:
        if all(span.end <= other.start or span.start >= other.end for other in kept):
            kept.append(span)
    return sorted(kept, key=lambda span: span.start)


class Detector:
    """Finds personal data in text; ``names`` adds the tenant's CRM people and companies."""

    def __init__(self, names: NameMatcher | None = None) -> None:
        self.names = names

    def detect(self, text: str) -> list[Span]:
        # Patterns run on a copy with full-width forms folded one character to one, so
        # １３８１２３４５６７８ is found and the offsets still point into ``text``.
        folded = text.translate(_FULL_WIDTH_TO_ASCII)
        spans = [
            Span(span.start, span.end, span.category, text[span.start : span.end])
            for span in _regex_spans(folded)
        ]
        if self.names is not None:
            spans.extend(
                Span(start, end, category, text[start:end])
                for start, end, category in self.names.find(text)
            )
        return resolve_overlaps(spans)


@dataclass
class Redactor:
    """Replaces values with placeholders and keeps the mapping to restore them.

    One redactor serves one request: the same value always gets the same
    placeholder, numbered in order of appearance, so two requests that differ
    only in personal data redact to the same text (and share a cache entry).
    """

    detector: Detector = field(default_factory=Detector)
    redact_categories: frozenset[str] = frozenset(CATEGORIES)
    values: dict[str, str] = field(default_factory=dict)
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=dict)
    literals: list[tuple[str, str]] = field(default_factory=list)
    categories_seen: set[str] = field(default_factory=set)
    categories_kept: set[str] = field(default_factory=set)

    def placeholder_for(self, value: str, category: str) -> str:
        label = PLACEHOLDER_LABELS.get(category, "VALUE")
        key = (label, value)
        existing = self._by_value.get(key)
        if existing is not None:
            return existing
        number = self._counters.get(label, 0) + 1
        self._counters[label] = number
        placeholder = f"{PLACEHOLDER_OPEN}{label}_{number}{PLACEHOLDER_CLOSE}"
        self._by_value[key] = placeholder
        self.values[placeholder] = value
        self.categories_seen.add(category)
        return placeholder

    def redact(self, text: str) -> str:
        """Return ``text`` with every detected value of a redacted category replaced."""
        text = neutralise_placeholders(text)
        # Values the caller knows to be sensitive (from classified fields) go first,
        # whatever they look like; the detector then handles the rest.
        for value, category in self.literals:
            if len(value) >= 2 and value in text:
                text = text.replace(value, self.placeholder_for(value, category))
        parts: list[str] = []
        cursor = 0
        for span in self.detector.detect(text):
            if span.category not in self.redact_categories:
                self.categories_kept.add(span.category)
                continue
            parts.append(text[cursor : span.start])
            parts.append(self.placeholder_for(span.text, span.category))
            cursor = span.end
        parts.append(text[cursor:])
        return "".join(parts)

    def redact_value(self, value: str, category: str) -> str:
        """Replace a whole field value, whatever it looks like."""
        return self.placeholder_for(value, category) if value else value

    def restore(self, text: str) -> str:
        if PLACEHOLDER_OPEN not in text:
            return text
        return PLACEHOLDER_PATTERN.sub(
            lambda match: self.values.get(match.group(), match.group()), text
        )

    def stream_restorer(self) -> StreamRestorer:
        return StreamRestorer(self)


class StreamRestorer:
    """Restores placeholders in streamed text, holding back a placeholder cut between chunks."""

    # Longer than any placeholder a request produces; a stray ⟦ is released after this.
    MAX_HELD = 24

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._pending = ""

    def feed(self, chunk: str) -> str:
        text = self._pending + chunk
        cut = text.rfind(PLACEHOLDER_OPEN)
        if cut != -1 and PLACEHOLDER_CLOSE not in text[cut:] and len(text) - cut < self.MAX_HELD:
            self._pending = text[cut:]
            text = text[:cut]
        else:
            self._pending = ""
        return self._redactor.restore(text)

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return self._redactor.restore(text)


def neutralise_placeholders(text: str) -> str:
    """Stop data from forging a placeholder that restoration would fill in."""
    if PLACEHOLDER_OPEN not in text and PLACEHOLDER_CLOSE not in text:
        return text
    return text.replace(PLACEHOLDER_OPEN, "[").replace(PLACEHOLDER_CLOSE, "]")


def neutralise_role_markers(text: str) -> str:
    """Defuse chat-template tokens and role prefixes so data cannot pose as an instruction."""
    return _ROLE_MARKERS.sub(lambda match: "〔" + match.group().strip() + "〕", text)
