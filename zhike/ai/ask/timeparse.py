"""Time expressions in Chinese and English questions, as report filters and time buckets.

Relative periods ("上季度", "last month", "下个月", "next 30 days") stay named, so the
report service resolves them in the tenant's time zone and fiscal calendar on the day
the report runs.
Explicit periods ("2017年第二季度", "March 2017", "FY2017") become inclusive date
ranges; fiscal years start in the tenant's fiscal start month.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from zhike.ai.ask.vocabulary import NUMBER_WORDS
from zhike.analytics.periods import unit_range

TimeBucketName = str


@dataclass(frozen=True, slots=True)
class TimeFilter:
    """``relative`` with a period name, ``between`` with two ISO dates (inclusive), or a
    comparison (``gte``, ``gt``, ``lte``, ``lt``) with one ISO date."""

    op: str
    value: str | list[str]


# Marker of the time bucket's place in the question. ``find_time`` puts it where the bucket
# was, so the bucket takes its turn among the question's other groups.
BUCKET_MARKER = "__bucket__"


@dataclass(slots=True)
class TimeFindings:
    filter: TimeFilter | None
    bucket: TimeBucketName | None
    # The question with the time ranges blanked out and the bucket replaced by BUCKET_MARKER.
    text: str
    # The matched time expressions, in the order they were read.
    phrases: list[str] = field(default_factory=list)


_CN_DIGITS = "一二两三四五六七八九十"
_NUMBER = rf"(\d+|[{_CN_DIGITS}]+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|thirty)"
_MONTHS_EN = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_NAME = "|".join([*_MONTHS_EN, *(name[:3] for name in _MONTHS_EN), "sept"])
_QUARTER_WORDS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}


def number_value(text: str) -> int | None:
    """Read "3", "三", "十二" or "three" as an integer; None when it is not a number."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text in NUMBER_WORDS:
        return NUMBER_WORDS[text]
    if text == "twelve":
        return 12
    if text == "thirty":
        return 30
    if text and all(char in _CN_DIGITS for char in text):
        if "十" in text:
            tens, _, ones = text.partition("十")
            return (NUMBER_WORDS.get(tens, 1) if tens else 1) * 10 + (
                NUMBER_WORDS.get(ones, 0) if ones else 0
            )
        if len(text) == 1:
            return NUMBER_WORDS.get(text)
    return None


def _month_number(name: str) -> int:
    name = name[:3]
    return next(index for index, month in enumerate(_MONTHS_EN, 1) if month.startswith(name))


def _between(start: date, end_exclusive: date) -> TimeFilter:
    return TimeFilter(
        "between", [start.isoformat(), (end_exclusive - timedelta(days=1)).isoformat()]
    )


def _quarter(year: int, quarter: int) -> TimeFilter:
    start = date(year, (quarter - 1) * 3 + 1, 1)
    return _between(*unit_range("quarter", start, 1))


def _month(year: int, month: int) -> TimeFilter:
    return _between(*unit_range("month", date(year, month, 1), 1))


def _year(year: int) -> TimeFilter:
    return _between(date(year, 1, 1), date(year + 1, 1, 1))


def _fiscal_year(year: int, start_month: int) -> TimeFilter:
    return _between(*unit_range("fiscal_year", date(year, start_month, 1), start_month))


def _half(year: int, second: bool) -> TimeFilter:
    return _between(
        date(year, 7 if second else 1, 1), date(year + 1, 1, 1) if second else date(year, 7, 1)
    )


def _date_span(
    start_year: int,
    start_month: int,
    start_day: str | None,
    end_year: int | None,
    end_month: int,
    end_day: str | None,
) -> TimeFilter | None:
    """Build the inclusive range between two months or days. A missing day is the month's edge.

    A range written with one year ("2017年5月到8月", "from 1 June to 15 July 2017") puts both
    ends in it, unless the end month comes before the start month ("2017年11月到2月").
    """
    if end_year is None:
        end_year = start_year + (1 if end_month < start_month else 0)
    try:
        start = date(start_year, start_month, int(start_day) if start_day else 1)
        if end_day:
            end = date(end_year, end_month, int(end_day))
        else:
            end = unit_range("month", date(end_year, end_month, 1), 1)[1] - timedelta(days=1)
    except ValueError:
        return None
    if end < start:
        return None
    return TimeFilter("between", [start.isoformat(), end.isoformat()])


def _english_span(match: re.Match[str]) -> TimeFilter | None:
    """Read ``_EN_SPAN``, whose ends are "1 June", "June 1st" or "June" with the year last."""
    groups = match.groupdict()
    start_month = groups["sm1"] or groups["sm2"]
    end_month = groups["em1"] or groups["em2"]
    return _date_span(
        int(groups["sy"] or groups["ey"]),
        _month_number(start_month),
        groups["sd1"] or groups["sd2"],
        int(groups["ey"]),
        _month_number(end_month),
        groups["ed1"] or groups["ed2"],
    )


def _open_ended(word: str, year: int, month: int, day: int) -> TimeFilter | None:
    """Build a one-sided date range: ``gte``/``gt``/``lte``/``lt`` with one ISO date."""
    try:
        start = date(year, month, day)
    except ValueError:
        return None
    return TimeFilter(_OPEN_END_OPS[word], start.isoformat())


def _rolling_days(count: int) -> TimeFilter:
    return TimeFilter("relative", f"last_{max(1, min(count, 9999))}_days")


def _next_days(count: int) -> TimeFilter:
    return TimeFilter("relative", f"next_{max(1, min(count, 9999))}_days")


def _rolling_months(count: int, today: date) -> TimeFilter:
    index = today.year * 12 + today.month - 1 - count
    start = date(index // 12, index % 12 + 1, min(today.day, 28)) + timedelta(days=1)
    return TimeFilter("between", [start.isoformat(), today.isoformat()])


def _next_months(count: int, today: date) -> TimeFilter:
    """Today and the ``count`` months after it, ending the day before the same day of month."""
    index = today.year * 12 + today.month - 1 + max(1, min(count, 120))
    end = date(index // 12, index % 12 + 1, min(today.day, 28)) - timedelta(days=1)
    return TimeFilter("between", [today.isoformat(), end.isoformat()])


_YEAR = r"((?:19|20)\d{2})"
# Words that open a range at a date ("2017年10月1日及之后", "on or after October 1, 2017")
# or close it ("之前", "before"); the first group is the word, read by ``_open_ended``.
_OPEN_END_CN = (
    r"(及之后|及以后|或之后|或以后|或更晚|之后|以后|以来|起"
    r"|及之前|及以前|或之前|或以前|或更早|之前|以前)"
)
_OPEN_END_EN = r"(on or after|since|from|starting|after|on or before|before|until|up to)"
_OPEN_END_OPS = {
    "及之后": "gte",
    "及以后": "gte",
    "或之后": "gte",
    "或以后": "gte",
    "或更晚": "gte",
    "或之前": "lte",
    "或以前": "lte",
    "或更早": "lte",
    "之后": "gt",
    "以后": "gt",
    "以来": "gte",
    "起": "gte",
    "及之前": "lte",
    "及以前": "lte",
    "之前": "lt",
    "以前": "lt",
    "on or after": "gte",
    "since": "gte",
    "from": "gte",
    "starting": "gte",
    "after": "gt",
    "on or before": "lte",
    "before": "lt",
    "until": "lte",
    "up to": "lte",
}
_ISO_DATE = r"(\d{4}-\d{1,2}-\d{1,2})"
# A range of months or days with the year written once or twice: "2017年5月到8月",
# "2017年6月1日至2017年7月15日", "从2017年3月到5月之间".
_CN_SPAN = (
    rf"(?:从|在)?\s*{_YEAR}\s*年\s*(\d{{1,2}})\s*月份?\s*(?:(\d{{1,2}})\s*[日号])?"
    rf"\s*(?:到|至|-|~|—)\s*(?:{_YEAR}\s*年)?\s*(\d{{1,2}})\s*月份?\s*(?:(\d{{1,2}})\s*[日号])?"
    r"\s*(?:之间|期间)?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
# "from 1 June to 15 July 2017", "between June 1 and July 15, 2017", "June-August 2017".
_EN_SPAN = (
    rf"(?:(?:from|between)\s+)?"
    rf"(?:(?P<sd1>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<sm1>{_MONTH_NAME})"
    rf"|(?P<sm2>{_MONTH_NAME})\.?(?:\s+(?P<sd2>\d{{1,2}}){_ORDINAL})?)(?![a-z])"
    rf"(?:,?\s*(?P<sy>(?:19|20)\d{{2}}))?"
    r"\s*(?:to|and|until|till|through|thru|-|–)\s*"
    rf"(?:(?P<ed1>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<em1>{_MONTH_NAME})"
    rf"|(?P<em2>{_MONTH_NAME})\.?(?:\s+(?P<ed2>\d{{1,2}}){_ORDINAL})?)(?![a-z])"
    rf",?\s*(?P<ey>(?:19|20)\d{{2}})"
)

# Each pattern and how to build the filter from its match. Longer, more specific
# patterns come first, because a match blanks its text out for the later ones.
_RELATIVE: tuple[tuple[str, str], ...] = (
    (r"本财年|今年财年|这个财年|当前财年|this fiscal year|current fiscal year", "this_fiscal_year"),
    (
        r"上一?个?财年|去年财年|last fiscal year|previous fiscal year|prior fiscal year",
        "last_fiscal_year",
    ),
    (
        r"下一?个?财年|明年财年|next fiscal year|coming fiscal year|following fiscal year",
        "next_fiscal_year",
    ),
    (r"今天|今日|today", "today"),
    (r"明天|明日|tomorrow", "tomorrow"),
    (r"昨天|昨日|yesterday", "yesterday"),
    (
        r"本周|这周|这一周|这个星期|本星期|这礼拜|这个礼拜|本礼拜|this week|current week",
        "this_week",
    ),
    (
        r"上周|上一周|上个星期|上星期|上礼拜|上个礼拜|last week|previous week|past week",
        "last_week",
    ),
    (
        r"下周|下一周|下个星期|下星期|下礼拜|下个礼拜"
        r"|next week|coming week|upcoming week|following week",
        "next_week",
    ),
    (r"本月|这个月|当月|this month|current month|month to date", "this_month"),
    (r"上个月|上月|上一个月|last month|previous month|past month", "last_month"),
    (
        r"下个月|下月|下一个月|next month|coming month|upcoming month|following month",
        "next_month",
    ),
    (
        r"本季度|本季|这个季度|这季度|当季|这个q(?![a-z0-9])|本q(?![a-z0-9])"
        r"|this quarter|current quarter|quarter to date",
        "this_quarter",
    ),
    (
        r"上个季度|上季度|上一季度|上一个季度|上季|上个q(?![a-z0-9])"
        r"|last quarter|previous quarter|past quarter|prior quarter",
        "last_quarter",
    ),
    (
        r"下个季度|下季度|下一季度|下一个季度|下季|下个q(?![a-z0-9])"
        r"|next quarter|coming quarter|upcoming quarter|following quarter",
        "next_quarter",
    ),
    (r"今年|本年度|本年|这一年|this year|current year|year to date|ytd", "this_year"),
    (r"去年|上一年|上年度|last year|previous year|prior year|past year", "last_year"),
    (r"明年|下一年|来年|下年度|next year|coming year|upcoming year|following year", "next_year"),
)
# Words that look ahead from today: "未来30天", "接下来3个月", "in the next 30 days".
_AHEAD_CN = r"(?:未来|接下来|今后|往后)"
_AHEAD_EN = r"(?:next|coming|upcoming|following)"

_BUCKETS: tuple[tuple[str, str], ...] = (
    (r"每个?财年|按财年|by fiscal year|per fiscal year", "fiscal_year"),
    (r"每天|每日|按天|按日|逐日|daily|per day|by day|each day", "day"),
    (r"每周|每个?星期|按周|逐周|weekly|per week|by week|each week|week[\s-]by[\s-]week", "week"),
    (
        r"每个?月|按月份?|逐月|月度|各月|分月"
        r"|monthly|per month|by month|each month|month[\s-]by[\s-]month|month over month",
        "month",
    ),
    (
        r"每个?季度|按季度?|逐季|季度(?:分布|趋势)|各季度|分季度|每个?q(?![a-z0-9])|各q(?![a-z0-9])"
        r"|quarterly|per quarter|by quarter|each quarter|quarter[\s-]by[\s-]quarter",
        "quarter",
    ),
    (
        r"每年|按年份?|逐年|各年|分年"
        # "yearly revenue" is a field of accounts, not a bucket.
        r"|yearly(?!\s+(?:revenue|income|sales|turnover))|per year|by year|each year"
        r"|year[\s-]by[\s-]year|year over year|annually",
        "year",
    ),
)


def find_time(text: str, today: date, fiscal_start_month: int) -> TimeFindings:
    """Find the time range and the time bucket of a normalized question."""
    found: TimeFilter | None = None
    bucket: str | None = None
    phrases: list[str] = []

    def take(
        pattern: str, build: TimeFilter | Callable[[re.Match[str]], TimeFilter | None]
    ) -> None:
        nonlocal text, found
        match = re.search(pattern, text)
        if match is None or found is not None:
            return
        result = build if isinstance(build, TimeFilter) else build(match)
        if result is not None:
            found = result
            phrases.append(match.group(0).strip())
            text = text[: match.start()] + " " + text[match.end() :]

    take(
        rf"(?:from|between|从)?\s*{_ISO_DATE}\s*(?:to|and|until|-|到|至|~)\s*{_ISO_DATE}",
        lambda m: TimeFilter("between", [_iso(m.group(1)), _iso(m.group(2))]),
    )
    take(
        _CN_SPAN,
        lambda m: _date_span(
            int(m.group(1)),
            int(m.group(2)),
            m.group(3),
            int(m.group(4)) if m.group(4) else None,
            int(m.group(5)),
            m.group(6),
        ),
    )
    # "2017年7-12月", "17年3到5月": the month word written once, after the second month.
    take(
        r"(?<!\d)((?:19|20)?\d{2})\s*年\s*(\d{1,2})\s*(?:到|至|-|~|—)\s*(\d{1,2})\s*月份?",
        lambda m: (
            _date_span(_full_year(m.group(1)), int(m.group(2)), None, None, int(m.group(3)), None)
            if 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 12
            else None
        ),
    )
    take(rf"(?<![a-z]){_EN_SPAN}", _english_span)
    take(
        rf"{_YEAR}\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*[日号]?\s*{_OPEN_END_CN}",
        lambda m: _open_ended(m.group(4), int(m.group(1)), int(m.group(2)), int(m.group(3))),
    )
    take(
        rf"{_OPEN_END_EN}\s+({_MONTH_NAME})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s*{_YEAR}",
        lambda m: _open_ended(
            m.group(1), int(m.group(4)), _month_number(m.group(2)), int(m.group(3))
        ),
    )
    take(
        rf"{_OPEN_END_EN}\s+{_ISO_DATE}",
        lambda m: _open_ended(m.group(1), *(int(part) for part in m.group(2).split("-"))),
    )
    take(
        rf"{_YEAR}\s*财年|fy\s*{_YEAR}|fiscal (?:year )?{_YEAR}|{_YEAR} fiscal year",
        lambda m: _fiscal_year(int(next(g for g in m.groups() if g)), fiscal_start_month),
    )
    take(
        rf"{_YEAR}\s*年?\s*(?:第\s*)?([一二三四1-4])\s*季度?",
        lambda m: _quarter(int(m.group(1)), number_value(m.group(2)) or 1),
    )
    take(
        rf"{_YEAR}\s*年?\s*q([1-4])|q([1-4])\s*(?:of\s*)?{_YEAR}",
        lambda m: _quarter(int(m.group(1) or m.group(4)), int(m.group(2) or m.group(3))),
    )
    take(
        rf"(first|second|third|fourth|1st|2nd|3rd|4th) quarter (?:of )?{_YEAR}",
        lambda m: _quarter(int(m.group(2)), _QUARTER_WORDS[m.group(1)]),
    )
    take(
        r"(?<!\d)(\d{2})\s*年\s*(?:第\s*)?([一二三四1-4])\s*季度?",
        lambda m: _quarter(2000 + int(m.group(1)), number_value(m.group(2)) or 1),
    )
    take(
        r"(?<!\d)(\d{2})\s*年\s*q([1-4])(?![0-9])",
        lambda m: _quarter(2000 + int(m.group(1)), int(m.group(2))),
    )
    take(
        rf"\bh([12])\s*(?:of\s*)?{_YEAR}|{_YEAR}\s*年?\s*h([12])\b"
        r"|(?<!\d)(\d{2})\s*年\s*h([12])(?![a-z0-9])",
        lambda m: _half(
            _full_year(m.group(2) or m.group(3) or m.group(5)),
            (m.group(1) or m.group(4) or m.group(6)) == "2",
        ),
    )
    take(
        rf"{_YEAR}\s*年?\s*(上|下)半年|(?<!\d)(\d{{2}})\s*年\s*(上|下)半年",
        lambda m: _half(_full_year(m.group(1) or m.group(3)), (m.group(2) or m.group(4)) == "下"),
    )
    take(
        rf"(first|second) half (?:of )?{_YEAR}",
        lambda m: _half(int(m.group(2)), m.group(1) == "second"),
    )
    take(
        rf"{_YEAR}\s*年\s*(\d{{1,2}})\s*月份?|{_YEAR}-(\d{{1,2}})(?!\d|-)",
        lambda m: (
            _month(int(m.group(1) or m.group(3)), int(m.group(2) or m.group(4)))
            if 1 <= int(m.group(2) or m.group(4)) <= 12
            else None
        ),
    )
    take(
        rf"\b({_MONTH_NAME})\.?,?\s*(?:of\s*)?{_YEAR}",
        lambda m: _month(int(m.group(2)), _month_number(m.group(1))),
    )
    # A year of two digits, as people type it ("17年4月"), is read as 20xx.
    take(
        r"(?<!\d)(\d{2})\s*年\s*(\d{1,2})\s*月份?",
        lambda m: (
            _month(2000 + int(m.group(1)), int(m.group(2))) if 1 <= int(m.group(2)) <= 12 else None
        ),
    )
    # A year of two digits alone ("17年逐月", "16年度"), but no count of years ("近10年").
    take(
        r"(?<![\d近前过去最后])(\d{2})\s*年(?:度|全年)?(?!\s*(?:以|内|前|后|之|多|左右|来|收入|营收|第|q|\d))",
        lambda m: _year(2000 + int(m.group(1))),
    )
    for pattern, name in _RELATIVE:
        # "下下个月" and "上上周" are no "下个月" or "上周": left for the leftover check.
        take(
            rf"(?:(?<!下)(?=下)|(?<!上)(?=上)|(?![上下]))(?:{pattern})",
            TimeFilter("relative", name),
        )
    take(
        rf"(?:最近|过去|近|前)\s*{_NUMBER}\s*(?:天|日)|(?:last|past|previous)\s*{_NUMBER}\s*days?",
        lambda m: _rolling_days(number_value(m.group(1) or m.group(2)) or 1),
    )
    take(
        rf"(?:最近|过去|近)\s*{_NUMBER}\s*(?:周|个星期)|(?:last|past|previous)\s*{_NUMBER}\s*weeks?",
        lambda m: _rolling_days(7 * (number_value(m.group(1) or m.group(2)) or 1)),
    )
    take(
        rf"(?:最近|过去|近)\s*{_NUMBER}\s*个?月|(?:last|past|previous)\s*{_NUMBER}\s*months?",
        lambda m: _rolling_months(number_value(m.group(1) or m.group(2)) or 1, today),
    )
    take(
        rf"{_AHEAD_CN}\s*{_NUMBER}\s*(?:天|日)|{_AHEAD_EN}\s*{_NUMBER}\s*days?",
        lambda m: _next_days(number_value(m.group(1) or m.group(2)) or 1),
    )
    take(
        rf"{_AHEAD_CN}\s*{_NUMBER}\s*(?:周|个星期)|{_AHEAD_EN}\s*{_NUMBER}\s*weeks?",
        lambda m: _next_days(7 * (number_value(m.group(1) or m.group(2)) or 1)),
    )
    take(
        rf"{_AHEAD_CN}\s*{_NUMBER}\s*个?月|{_AHEAD_EN}\s*{_NUMBER}\s*months?",
        lambda m: _next_months(number_value(m.group(1) or m.group(2)) or 1, today),
    )
    take(
        rf"{_AHEAD_CN}\s*{_NUMBER}\s*个?季度|{_AHEAD_EN}\s*{_NUMBER}\s*quarters?",
        lambda m: _next_months(3 * (number_value(m.group(1) or m.group(2)) or 1), today),
    )
    # A quarter with no year is one of this year: "Q3 revenue", "第三季度的赢单".
    take(
        r"(?<![a-z0-9])q([1-4])(?![0-9])|(?<![前近去上下本这每各])第?([一二三四1-4])\s*季度",
        lambda m: _quarter(today.year, number_value(m.group(1) or m.group(2)) or 1),
    )
    take(
        rf"(?:in|during|for|of|throughout|within)\s+{_YEAR}(?!\d)|{_YEAR}\s*年(?:度|全年)?|^{_YEAR}(?!\d)"
        r"|(?<!over)(?<!above)(?<!under)(?<!below)(?<!than)(?<!least)(?<!most)"
        rf"\s{_YEAR}$",
        lambda m: _year(int(next(g for g in m.groups() if g))),
    )
    # A year right before what it dates: "Corliss's 2017 won revenue", "2016 bookings". A
    # comparison word before the number makes it an amount or a count ("over 2000 deals").
    take(
        r"(?<!over )(?<!above )(?<!under )(?<!below )(?<!than )(?<!least )(?<!most )(?<!top )"
        rf"(?<![\d.$])\b{_YEAR}\s+(?=(?:won|lost|closed|bookings|revenue|sales|pipeline"
        r"|win rate|results)\b)",
        lambda m: _year(int(m.group(1))),
    )
    for pattern, name in _BUCKETS:
        match = re.search(pattern, text)
        if match is not None:
            bucket = name
            phrases.append(match.group(0).strip())
            text = text[: match.start()] + f" {BUCKET_MARKER} " + text[match.end() :]
            break
    return TimeFindings(found, bucket, text, phrases)


# Time words that ``find_time`` does not read, or reads only once: "前年", "三月份",
# "月底", "春节期间", "3 quarters ago", "before 2017". Whatever of them is left in a
# question after ``find_time`` is a time phrase the answer did not apply.
_LEFTOVER_TIME = re.compile(
    r"(?:下下|上上|下|明|后|来|未来|接下来|今后|近|最近|过去|前|上|本|这|今|去|当)\s*"
    r"(?:\d+|[一二两三四五六七八九十几]+)?\s*个?\s*(?:周|星期|礼拜|月|季度|季|半年|财年|年|天|日)"
    r"|(?:\d+|[一二两三四五六七八九十几]+)\s*(?:个月|个季度|个星期|周|年|月份?|[日号])"
    r"|(?:19|20)\d{2}"
    r"|月初|月底|月末|月中|年初|年底|年末|年中|季初|季末|周末|上旬|中旬|下旬|上半年|下半年"
    r"|春节|国庆|元旦|中秋|双十一|节假日|假期|期间|以来|至今|截至|截止"
    # Left alone after a date that ``find_time`` read without it ("2017年之后"), so a
    # space precedes it; "排除GTK 500之后" is no time phrase.
    r"|(?:^|(?<=\s))(?:之前|之后|以前|以后)"
    r"|\b(?:next|coming|upcoming|following|last|past|previous|prior|this|current)\s+"
    r"(?:\d+\s+|few\s+|couple\s+of\s+|several\s+)?"
    r"(?:days?|weeks?|weekend|months?|quarters?|years?|fiscal\s+years?|half)\b"
    r"|\b\d+\s+(?:days?|weeks?|months?|quarters?|years?)\b"
    r"|\b(?:january|february|march|april|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|in\s+may)\b"
    r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tonight|ago"
    r"|ytd|qtd|mtd|q[1-4]|h[12]|fy\s*\d{2,4}|since|before|after|until|till|prior\s+to)\b"
)


# Phrases for the whole history so far, which need no date filter: "截至目前", "有史以来".
_WHOLE_HISTORY = re.compile(
    r"截[至止]目前|截[至止]现在|到目前为止|迄今为止|到现在为止|有史以来|至今"
)


def leftover_time(text: str, today: date, fiscal_start_month: int) -> list[str]:
    """Return the time phrases still in ``text`` after ``find_time`` has read its own.

    A second range or bucket ("上个月和本月") is found by reading the text again; the
    rest by ``_LEFTOVER_TIME``.
    """
    again = find_time(_WHOLE_HISTORY.sub(" ", text), today, fiscal_start_month)
    found = list(again.phrases)
    found.extend(match.group(0).strip() for match in _LEFTOVER_TIME.finditer(again.text))
    return found


def _full_year(text: str) -> int:
    """Read "2017" or "17" as a year; two digits are a year of this century."""
    return int(text) if len(text) == 4 else 2000 + int(text)


def _iso(text: str) -> str:
    year, month, day = (int(part) for part in text.split("-"))
    return date(year, month, day).isoformat()
