"""The pattern pass that runs before lexicon matching.

Amounts, comparisons ("金额大于5000", "over 10k"), ranges ("2k-5k", "在1000到5000之间"),
top-N counts ("前三", "the 3 reps with the lowest …") and founding years ("founded
after 2000") are read with regular expressions and replaced by markers, which the
parser then reads as phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from zhike.ai.ask import vocabulary as words
from zhike.ai.ask.timeparse import number_value

# An amount: digits or a Chinese number ("两万"), an optional currency sign before and a
# scale after. Thousands separators are removed before scanning.
_AMOUNT = (
    r"(?:[$¥￥]|rmb\s*|usd\s*)?(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)"
    r"\s*(万|千|百万|亿|(?:million|thousand|billion|bn|k|m|w)(?![a-z]))?"
)
_RANGE = (
    rf"(?:在|介于|between|从|from)\s*{_AMOUNT}\s*(?:到|至|和|与|-|~|and|to)\s*{_AMOUNT}"
    r"\s*(?:之间|以内|范围内)?"
)

# Units that may sit between an amount and 以上/以下: "5000人以上", "1万元以下".
_UNIT = r"(?:人|名|元|块|美元|家|个)?"
_UNIT_AFTER = r"(?:\s*(?:元|块|美元|dollars?|bucks|usd|rmb))?"
# A range with no word before it: "2k-5k", "1000到5000之间", "5,000 to 10,000 dollars".
_BARE_RANGE = (
    rf"(?<![a-z0-9.]){_AMOUNT}\s*(?:到|至|-|~|to)\s*{_AMOUNT}{_UNIT_AFTER}"
    r"(?:\s*之间)?(?![a-z0-9.])"
)
_COMPARATORS: tuple[tuple[str, str], ...] = (
    (r"不少于|不低于|至少|大于等于|>=|at least|no less than|at or above|at or over", "gte"),
    (r"不超过|不高于|至多|小于等于|<=|at most|no more than|at or below|at or under", "lte"),
    (
        r"大于|超过|高于|多于|>|over|above|more than|greater than|exceeding|exceeds"
        r"|bigger than|larger than",
        "gt",
    ),
    (r"小于|低于|少于|不到|<|under|below|less than|smaller than|fewer than", "lt"),
)
_SCALE = {
    "万": 10_000,
    # The pinyin initial of 万, as people type it in chat: "超过1w".
    "w": 10_000,
    "千": 1_000,
    "百万": 1_000_000,
    "亿": 100_000_000,
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "million": 1_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
_CN_NUMBER = (
    r"\d+|[一二两三四五六七八九十]+|one|two|three|four|five|six|seven|eight|nine|ten|twenty"
)
# A number followed by a time unit is a period ("前三个月"), never a count of records.
_NOT_PERIOD = (
    r"(?![\d一二两三四五六七八九十]|\s*个?\s*(?:月|季|周|星期|年|天|日)"
    r"|\s+(?:days?|weeks?|months?|quarters?|years?)\b)"
)
_TOP_N = (
    rf"(?:(?<!倒数)前|排名前|最高的|最多的|最大的|最好的|top|best|highest|biggest|largest|first)[\s-]*({_CN_NUMBER}){_NOT_PERIOD}\s*(?:个|名|位|家|款|大|强|笔)?",
    rf"(?:最低的|最少的|最小的|倒数前|倒数|后|bottom|worst|lowest|last)\s*({_CN_NUMBER}){_NOT_PERIOD}\s*(?:个|名|位|家|款|笔)?",
    rf"(?<![哪每这那])({_CN_NUMBER}){_NOT_PERIOD}\s*(?:个|名|位|家|款|大|笔)",
    rf"\b(?:which|the|our)\s+({_CN_NUMBER})\b(?!\s*(?:days?|weeks?|months?|years?))",
    rf"\b({_CN_NUMBER})\s+(?:best|top|biggest|largest|highest|leading|most)",
    rf"\b({_CN_NUMBER})\s+(?:worst|lowest|smallest|least|fewest)",
    rf"哪\s*({_CN_NUMBER})\s*(?:个|名|位|家|款)",
    # "the 3 reps with the lowest …", "5 products": a count before a plural noun.
    rf"\b({_CN_NUMBER}){_NOT_PERIOD}\s+(?=[a-z]+s\b)",
)
# Patterns of _TOP_N that ask for the lowest values, and those that only count
# when the question also has a superlative ("三个销售" alone is no ranking). The
# superlative then also says which end of the ranking the count takes.
_BOTTOM_PATTERNS = (1, 5)
_NEEDS_SUPERLATIVE = (2, 3, 6, 7)
_BARE_COUNT_PATTERN = 2
_FIELD_SUPERLATIVES = {
    direction: tuple(
        phrase
        for (kind, _, _), phrases in words.SUPERLATIVE_FIELD_WORDS.items()
        if kind == direction
        for phrase in phrases
    )
    for direction in ("top", "bottom")
}
_SUPERLATIVE = re.compile(
    "|".join(
        re.escape(word)
        for word in (
            *words.TOP_WORDS,
            *words.BOTTOM_WORDS,
            *words.RANK_WORDS,
            *_FIELD_SUPERLATIVES["top"],
            *_FIELD_SUPERLATIVES["bottom"],
        )
        if word != "前"
    )
)
_TOP_WORD = re.compile(
    "|".join(
        rf"(?<![a-z]){re.escape(word)}(?![a-z])"
        for word in (*words.TOP_WORDS, *_FIELD_SUPERLATIVES["top"])
        if word != "前"
    )
)
_BOTTOM_WORD = re.compile(
    "|".join(
        rf"(?<![a-z]){re.escape(word)}(?![a-z])"
        for word in (*words.BOTTOM_WORDS, *_FIELD_SUPERLATIVES["bottom"])
    )
)
# Founding years: "founded after 2000", "成立时间晚于2000年", "成立于1990年以前".
FOUNDED_YEAR_WORD = "year founded"
_FOUNDED_EN = re.compile(
    r"\b(?:founded|established|incorporated|set up)\s+"
    r"(?P<word>before|after|since|in|prior to|earlier than|later than|in or after|in or before)?"
    r"\s*(?P<year>\d{4})\b"
    r"(?:\s*(?P<tail>or later|or after|and later|or since|onwards|onward|and after"
    r"|or earlier|or before|and earlier|and before))?"
)
_FOUNDED_ZH = re.compile(
    r"成立(?:时间|年份|日期)?\s*(?:是|于|在)?\s*(?P<before>早于|晚于|在)?\s*(?P<year>\d{4})\s*年?"
    r"\s*(?P<after>(?:或|及|或者)(?:更晚|更早|以后|之后|以前|之前)|以前|之前|以后|之后|以来|前|后)?"
)
# The year first: "2000年以后成立的客户".
_FOUNDED_ZH_YEAR_FIRST = re.compile(
    r"(?P<before>在|早于|晚于)?(?P<year>\d{4})\s*年?\s*"
    r"(?P<after>(?:或|及|或者)(?:更晚|更早|以后|之后|以前|之前)|以前|之前|以后|之后|以来|前|后)?"
    r"\s*成立(?:的)?"
)
# A range of founding years: "1980到1989年间成立的", "founded between 1980 and 1989".
_FOUNDED_RANGE = re.compile(
    r"(?:成立(?:时间|年份)?(?:在|于)?\s*)?(?P<low>\d{4})\s*年?\s*(?:到|至|-|~)\s*(?P<high>\d{4})\s*年?"
    r"\s*(?:间|之间|期间)?\s*成立(?:的)?"
    r"|\b(?:founded|established|incorporated)\s+(?:between\s+)?(?P<low2>\d{4})\s*(?:and|to|-)\s*"
    r"(?P<high2>\d{4})\b"
)
# A decade of founding in digits: "founded in the 90s", "1990s", "成立于90年代", "80年代成立的".
_FOUNDED_DECADE_EN = re.compile(
    r"\b(?:founded|established|incorporated|set up)\s+(?:in\s+)?(?:the\s+)?"
    r"(?P<century>19|20)?(?P<decade>\d)0s\b"
)
_FOUNDED_DECADE_ZH = re.compile(
    r"成立(?:时间|年份)?\s*(?:是|于|在)?\s*(?P<century>19|20)?(?P<decade>\d)0\s*年代"
    r"|(?:在)?(?P<century2>19|20)?(?P<decade2>\d)0\s*年代\s*成立(?:的)?"
)
_FOUNDED_OPS = {
    "before": "lt",
    "prior to": "lt",
    "earlier than": "lt",
    "早于": "lt",
    "以前": "lt",
    "之前": "lt",
    "前": "lt",
    "after": "gt",
    "later than": "gt",
    "晚于": "gt",
    "以后": "gt",
    "之后": "gt",
    "后": "gt",
    "since": "gte",
    "in or after": "gte",
    "in or before": "lte",
    "以来": "gte",
    "in": "eq",
    "在": "eq",
}


@dataclass(slots=True)
class Scan:
    """Findings of the pattern pass that runs before lexicon matching."""

    text: str
    thresholds: list[tuple[str, float | int | list[float | int]]] = field(default_factory=list)
    top_n: int | None = None
    top_ascending: bool = False
    top_text: str = ""


def _number(raw: str, scale: str | None) -> float | int:
    base = number_value(raw) if not raw[0].isdigit() else None
    value = float(base if base is not None else raw) * _SCALE.get(scale or "", 1)
    return int(value) if value.is_integer() else value


def founded_years(text: str) -> tuple[str, list[tuple[str, float | int | list[float | int]]]]:
    """Read founding years ("founded after 2000", "成立于1990年以前") before the time parser.

    A year there compares with the founded year of accounts, not with a date. Each
    match becomes the founded-year field followed by a comparison marker, which the
    comparison pass attaches to that field.
    """
    thresholds: list[tuple[str, float | int | list[float | int]]] = []

    def replace(match: re.Match[str], op: str) -> str:
        thresholds.append((op, int(match.group("year"))))
        return f" {FOUNDED_YEAR_WORD} __threshold{len(thresholds) - 1}__ "

    def english(match: re.Match[str]) -> str:
        tail = match.group("tail")
        if tail is not None:
            # "founded in 2001 or later": the year itself is included.
            return replace(match, "lte" if tail.endswith(("earlier", "before")) else "gte")
        return replace(match, _FOUNDED_OPS.get(match.group("word") or "in", "eq"))

    def chinese(match: re.Match[str]) -> str:
        word = match.group("before") or match.group("after") or ""
        if word[:1] in ("或", "及"):
            # "2001年或更晚", "2001年及以前": the year itself is included.
            return replace(match, "lte" if word.endswith(("早", "前")) else "gte")
        return replace(match, _FOUNDED_OPS.get(word, "eq"))

    def decade(match: re.Match[str]) -> str:
        century = match.group("century") or match.groupdict().get("century2")
        digit = int(match.group("decade") or match.group("decade2"))
        if century is None:
            # "the 90s" is the 1990s, "the 10s" the 2010s.
            century = "19" if digit >= 3 else "20"
        start = int(century) * 100 + digit * 10
        thresholds.append(("between", [start, start + 9]))
        return f" {FOUNDED_YEAR_WORD} __threshold{len(thresholds) - 1}__ "

    def year_range(match: re.Match[str]) -> str:
        low = int(match.group("low") or match.group("low2"))
        high = int(match.group("high") or match.group("high2"))
        thresholds.append(("between", [min(low, high), max(low, high)]))
        return f" {FOUNDED_YEAR_WORD} __threshold{len(thresholds) - 1}__ "

    text = _FOUNDED_RANGE.sub(year_range, text)
    text = _FOUNDED_DECADE_EN.sub(decade, text)
    text = _FOUNDED_DECADE_ZH.sub(decade, text)
    text = _FOUNDED_EN.sub(english, text)
    text = _FOUNDED_ZH.sub(chinese, text)
    text = _FOUNDED_ZH_YEAR_FIRST.sub(chinese, text)
    return text, thresholds


def scan_patterns(
    text: str, thresholds: list[tuple[str, float | int | list[float | int]]] | None = None
) -> Scan:
    scan = Scan(text, thresholds=list(thresholds or []))
    # A range ("在1000到5000之间", "between 1,000 and 5,000") is one inclusive ``between``.
    while True:
        match = re.search(_RANGE, scan.text) or re.search(_BARE_RANGE, scan.text)
        if match is None:
            break
        high = _number(match.group(3), match.group(4))
        # "2-5万" writes the scale once for both ends, but "between 500 and 2k" does not:
        # the scale is shared only when the low end stays below the high end with it.
        low = _number(match.group(1), match.group(2) or match.group(4))
        if match.group(2) is None and low > high:
            low = _number(match.group(1), None)
        scan.thresholds.append(("between", [min(low, high), max(low, high)]))
        marker = f" __threshold{len(scan.thresholds) - 1}__ "
        scan.text = scan.text[: match.start()] + marker + scan.text[match.end() :]
    for pattern, op in _COMPARATORS:
        while True:
            match = re.search(rf"(?:{pattern})\s*{_AMOUNT}", scan.text)
            if match is None:
                break
            scan.thresholds.append((op, _number(match.group(1), match.group(2))))
            marker = f" __threshold{len(scan.thresholds) - 1}__ "
            scan.text = scan.text[: match.start()] + marker + scan.text[match.end() :]
    for pattern, op in (
        (rf"{_AMOUNT}\s*{_UNIT}\s*(?:以上|及以上|或以上|或更多|或更高)", "gte"),
        (rf"{_AMOUNT}\s*{_UNIT}\s*(?:以下|及以下|或以下|或更少|或更低)", "lte"),
        (
            rf"{_AMOUNT}{_UNIT_AFTER}\s*"
            r"(?:or more|or above|or higher|or greater|and up|and above|\+)",
            "gte",
        ),
        (rf"{_AMOUNT}{_UNIT_AFTER}\s*(?:or less|or below|or lower|or fewer|or under)", "lte"),
    ):
        while True:
            match = re.search(pattern, scan.text)
            if match is None:
                break
            scan.thresholds.append((op, _number(match.group(1), match.group(2))))
            marker = f" __threshold{len(scan.thresholds) - 1}__ "
            scan.text = scan.text[: match.start()] + marker + scan.text[match.end() :]
    for index, pattern in enumerate(_TOP_N):
        match = re.search(pattern, scan.text)
        if match is None:
            continue
        count = number_value(match.group(1))
        if count is None or count <= 0:
            continue
        if index in _NEEDS_SUPERLATIVE and not _SUPERLATIVE.search(scan.text):
            continue
        # "给我一个…排名": a bare "一个" is an article, not a count of one.
        if index == _BARE_COUNT_PATTERN and count == 1:
            continue
        scan.top_n = count
        scan.top_ascending = index in _BOTTOM_PATTERNS or (
            index in _NEEDS_SUPERLATIVE
            and _BOTTOM_WORD.search(scan.text) is not None
            and _TOP_WORD.search(scan.text) is None
        )
        scan.top_text = match.group(0).strip()
        marker = " __bottom__ " if scan.top_ascending else " __top__ "
        scan.text = scan.text[: match.start()] + marker + scan.text[match.end() :]
        break
    return scan
