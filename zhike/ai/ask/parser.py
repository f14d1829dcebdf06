"""The offline semantic parser: a question in Chinese or English to a typed report query.

The grammar works on matched phrases (see ``tokens.py``), not on word order alone:

1. Time ranges, time buckets, numeric comparisons ("金额大于5000") and top-N
   ("前三", "top 5") are read first with patterns and blanked out.
2. Every other phrase is looked up in the tenant's lexicon.
3. The base object is the one the phrases vote for (an object word, a measure
   field, a condition) among those that reach every value and dimension named.
4. Values become filters. Several values of one field become ``in``, and a value
   after a negation becomes ``ne`` or ``not_in``. Dimensions after a group word, a
   "which"/"who" word or a superlative become group-by terms. Aggregate words and
   measure fields become measures, and superlatives sort and limit.

A question the grammar cannot settle is not guessed: ``parse_question`` returns a
``Clarification`` naming what is missing or ambiguous.
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from zhike.ai.ask import vocabulary as words
from zhike.ai.ask.coverage import Applied, Ignored, ignored_phrases
from zhike.ai.ask.lexicon import Lexicon, Term, normalize
from zhike.ai.ask.patterns import Scan, founded_years, scan_patterns
from zhike.ai.ask.rates import rate_measure
from zhike.ai.ask.reading import Reading, path_for
from zhike.ai.ask.shorthand import expand_shorthand, split_hyphens
from zhike.ai.ask.timeparse import BUCKET_MARKER, TimeFilter, find_time, leftover_time
from zhike.ai.ask.tokens import Phrase, Unmatched, match_phrases, tokenize
from zhike.ai.ask.unread import key_words, unread_words
from zhike.analytics.query import (
    ReportFilter,
    ReportGroup,
    ReportMeasure,
    ReportQuery,
    ReportSort,
)

# Base objects in the order a tie between votes is settled.
OBJECT_PRIORITY = (
    "opportunities",
    "tickets",
    "accounts",
    "leads",
    "contacts",
    "activities",
    "products",
)
# Money words that do not say which money field they mean.
GENERIC_MONEY_WORDS = frozenset({"金额", "amount", "amounts", "value", "money", "钱", "总额"})
# Count words that ask for a number of records even when an amount is also named.
STRONG_COUNT_WORDS = frozenset(
    {
        "数量",
        "个数",
        "多少个",
        "多少家",
        "多少笔",
        "多少条",
        "多少位",
        "几个",
        "数目",
        "笔数",
        "how many",
        "number of",
        "count",
        "count of",
        "number",
    }
)
# Sum words that always add money up, never count: "sum of wins" is the won amount.
MONEY_SUM_WORDS = frozenset({"sum", "sums", "总和"})
# Parts of a measure word that request its total themselves: "成单总额", "总业绩".
TOTAL_INSIDE_WORDS = ("总额", "总业绩", "total")
# Words between a counted object and a final count word: "销售各有几人".
_COUNT_LEAD_IN = frozenset(
    {"各", "各有", "有", "共有", "一共有", "分别有", "各自有", "一共", "总共", "共"}
)
# Adjectives that name a dimension and ask for its groups in one word.
SELF_GROUPING_WORDS = frozenset({"regional", "region-wise", "每个 sales", "各 sales", "每位 sales"})
# English "who" words that start a relative clause after a noun ("reps who closed …").
_RELATIVE_WHO = frozenset({"who", "whom", "whose"})
# The asker's own records. The time parser has already cut "本季度" out of "我本季度的", so
# spaces may stand between the parts; "我们" (we) is not "我".
MINE = re.compile(
    r"我\s*(?:自己\s*)?(?:负责\s*)?的"
    r"|(?<![诉给帮让问叫])我(?=\s*(?:自己|赢|成交|签|拿下|丢|输|跟进|负责|手上|手里|名下|有|逾期|超期|未完成))"
    r"|(?<![a-z])(?:my own|my|mine)(?![a-z])"
    r"|(?<![a-z])(?:do|did|have|had|can)\s+i(?![a-z])"
    r"|(?<![a-z])i\s+(?:have|had|won|lost|closed|own|ve|am|m)(?![a-z])"
)
DEFAULT_LIMIT = 1000

_PUNCTUATION = re.compile(r"[?？!！。，,、；;：:“”\"'‘’（）()\[\]【】<>《》]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_CJK = re.compile(r"[\u3400-\u9fff]")
_NEXT_DAYS = re.compile(r"next_\d+_days")


@dataclass(slots=True)
class Clarification:
    """A question back to the asker: ``code`` is stable, ``params`` fill its message."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ParseResult:
    query: ReportQuery | None = None
    clarification: Clarification | None = None
    # Phrases that the parser understood, for the explanation shown with an answer.
    understood: list[str] = field(default_factory=list)
    unknown: list[Unmatched] = field(default_factory=list)
    # Recognised phrases that the query does not apply, for the answer's warnings.
    ignored: list[Ignored] = field(default_factory=list)
    # Content words that nothing in the lexicon matched ("churn risk"), for a warning.
    unread: list[str] = field(default_factory=list)
    # The time phrase of a question about won or lost deals in a future period, which
    # the query answers with the open deals expected to close then instead.
    future_outcome: str | None = None
    # True when that question asks for a win or loss rate, which no deal of the period has yet.
    future_rate: bool = False

    @property
    def has_signal(self) -> bool:
        return bool(self.understood)

    @property
    def coverage(self) -> float:
        """Share of the question's content phrases that the query accounts for, 0 to 1.

        Each phrase the lexicon matched counts once, and so does each phrase left out:
        an ignored phrase or a run of unread words.
        """
        missed = len(self.unread) + len({found.text for found in self.ignored})
        # Open deals stand in for the won or lost ones asked about: that part is not answered.
        if self.future_outcome is not None:
            missed += 1
        understood = len(self.understood)
        if understood + missed == 0:
            return 0.0
        return understood / (understood + missed)


_CN_MONTH = re.compile(r"(?<=[年到至~-])\s*(十[一二]|[一二三四五六七八九十])(?=\s*月)")
_CN_MONTH_NUMBERS = {
    name: str(number)
    for number, name in enumerate(
        ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"), start=1
    )
}


def _month_numerals(text: str) -> str:
    """Write a month in Chinese numerals after a year in digits: "17年四月份" as "17年4月份"."""
    if "年" not in text:
        return text
    return _CN_MONTH.sub(lambda match: _CN_MONTH_NUMBERS[match.group(1)], text)


def _reachable(base: str, term: Term) -> bool:
    return path_for(base, term.target, term.field or "id") is not None


def _choose_base(reading: Reading, lexicon: Lexicon) -> str | None:
    votes: dict[str, int] = {name: 0 for name in OBJECT_PRIORITY if name in lexicon.readable}
    required: list[list[Term]] = []
    for phrase in reading.phrases:
        objects = [term for term in phrase.terms if term.kind == "object"]
        dimension = phrase.has("dimension")
        grouped = (
            dimension
            and not _counted_object(reading, phrase)
            and (
                reading.governed(phrase, ("group", "which", "top", "bottom"), before=2)
                or reading.near(phrase, ("rank", "group_after"), before=0, after=1)
                or reading.grouped_after_dimension(phrase)
            )
        )
        for term in objects:
            if term.target in votes and not grouped:
                votes[term.target] += 3
        for term in phrase.terms:
            if term.kind in ("measure_field", "condition") and term.target in votes:
                votes[term.target] += 2
            # A named rate exists on its object only: "product with the highest win rate"
            # ranks products by the win rate of their deals.
            if term.kind == "rate" and term.target in votes:
                votes[term.target] += 4
        # Closing verbs speak of deals ("how much has X closed"), whatever else they mean.
        if phrase.has("won_verb") and "opportunities" in votes:
            # "how many distinct customers signed with us": the customers are counted
            # through their deals.
            votes["opportunities"] += 4 if reading.of("distinct") else 2
        values = [term for term in phrase.terms if term.kind == "value"]
        if values:
            required.append(values)
    counted = _counted_dimension(reading)
    if counted is not None and counted.target in votes:
        votes[counted.target] += 5
    candidates = [
        name
        for name in votes
        if all(any(_reachable(name, term) for term in terms) for terms in required)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda name: (votes[name], -OBJECT_PRIORITY.index(name)))


def _counted_object(reading: Reading, phrase: Phrase) -> bool:
    """True for an object word that a superlative counts while another word groups.

    In "which country has the most accounts" and "客户最多的国家是哪个" the countries are
    ranked by their number of accounts, so "accounts" is what is counted, not a group.
    """
    if not phrase.has("object") or not reading.near(phrase, ("top", "bottom"), before=1, after=1):
        return False
    return any(
        other is not phrase
        and other.has("dimension")
        and not other.has("object")
        and reading.near(other, ("which",), before=2, after=2)
        for other in reading.phrases
    )


def _is_group_dimension(reading: Reading, phrase: Phrase, top: bool) -> bool:
    if reading.owns_next(phrase) or _counted_object(reading, phrase):
        return False
    # "三个大区各自成单多少个": "各自" right after a dimension requests each of its values,
    # unless a group word already chose the groups ("不同国家的客户分别…").
    if not reading.of("group") and reading.followed(phrase, ("respectively",), after=1):
        return True
    # An adjective of a dimension groups by it: "regional median of won deals".
    if phrase.text in SELF_GROUPING_WORDS:
        return True
    if reading.governed(phrase, ("group", "which"), before=2):
        return True
    # "按区域和产品", "by stage and region": a second dimension of the same group word.
    if reading.grouped_after_dimension(phrase):
        return True
    # "行业分布" and "区域业绩分布": the distribution word follows, a measure may sit between.
    if reading.followed(phrase, ("group_after",), after=2):
        return True
    # A superlative before or after the dimension ranks it: "top 3 reps", "业绩最好的销售",
    # "销售业绩top3".
    if top and reading.near(phrase, ("top", "bottom"), before=4, after=3):
        return True
    # A rank word on either side: "rank all reps by …", "销售的赢单金额排名".
    return reading.near(phrase, ("rank",), before=3, after=3)


def _all_of_base(reading: Reading, phrase: Phrase, base: str) -> bool:
    """True when an object's word names the records counted or totalled, not a group of them.

    "每个系列各有几款产品" counts the products in each series, and "add up the list prices
    of every product" totals the prices of all products.
    """
    if phrase.position == 0:
        return False
    before = reading.phrases[phrase.position - 1]
    # "每个行业各有多少个客户", "各有几人": what follows a count word is what is counted.
    if before.has("count") and _CJK.search(before.text):
        return True
    term = phrase.first("object")
    # "average headcount per account", "平均每家客户有几个员工": one figure over all of the
    # base's records.
    if term is None or term.target != base:
        return False
    if before.text in ("every", "all", "per", "across"):
        return bool(reading.of("aggregate"))
    averaged = any(item.value in ("avg", "median") for _, item in reading.of("aggregate"))
    return averaged and before.text in ("每", "每个", "每家", "每位")


def _owned_by_dimension(reading: Reading, phrase: Phrase) -> bool:
    """True for an object word after a field of that object: the 客户 of "哪个国家的客户".

    The object only names the owner of the dimension. A group word right before it
    ("每个国家每个客户") still groups by it.
    """
    term = phrase.first("object")
    if term is None or phrase.position == 0:
        return False
    before = reading.phrases[phrase.position - 1]
    return before.has("group") is False and any(
        item.kind == "dimension" and item.target == term.target and item.field != "name"
        for item in before.terms
    )


def _dimension(base: str, phrase: Phrase) -> str | None:
    for term in phrase.terms:
        if term.kind == "dimension":
            path = path_for(base, term.target, term.field)
            if path is not None and term.target != base:
                return path
            if path is not None and term.field is not None and term.target == base:
                return path
    return None


def _value_filters(reading: Reading, base: str) -> tuple[list[ReportFilter], list[str]]:
    """Filters from values: one field's values OR-ed, negated after a negation word."""
    chosen: dict[tuple[str, bool], list[Any]] = {}
    order: list[tuple[str, bool]] = []
    previous: tuple[Phrase, str, bool] | None = None
    for phrase in reading.phrases:
        for term in phrase.terms:
            if term.kind != "value":
                continue
            target = term.target
            if target == "users" and _names_manager(reading, phrase):
                target = "managers"
            path = path_for(base, target, term.field)
            if path is None:
                continue
            negated = reading.near(phrase, ("negation",), before=1) or _excluded_after(
                reading, phrase
            )
            # "除了A和B之外", "excluding A and B": a value right after a negated value of
            # the same field is excluded too (conjunctions are fillers, so they sit between
            # the two values as nothing at all).
            if previous is not None and previous[1] == path and previous[2]:
                negated = negated or previous[0].position == phrase.position - 1
            previous = (phrase, path, negated)
            key = (path, negated)
            if key not in chosen:
                chosen[key] = []
                order.append(key)
            if term.value not in chosen[key]:
                chosen[key].append(term.value)
            break
    filters = []
    for path, negated in order:
        values = sorted(chosen[(path, negated)], key=str)
        if len(values) == 1:
            filters.append(ReportFilter(field=path, op="ne" if negated else "eq", value=values[0]))
        else:
            filters.append(ReportFilter(field=path, op="not_in" if negated else "in", value=values))
    return filters, [
        path for path, negated in order if not negated and len(chosen[(path, negated)]) > 1
    ]


def _excluded_after(reading: Reading, phrase: Phrase) -> bool:
    """True when "以外" follows the value, or a list of values it ends ("A和B以外的客户")."""
    position = phrase.position + 1
    while position < len(reading.phrases):
        following = reading.phrases[position]
        if following.has("negation_after"):
            return True
        if not (following.has("value") and following.conjoined):
            return False
        position += 1
    return False


def _names_manager(reading: Reading, phrase: Phrase) -> bool:
    """True when a person's name stands for their team: "X团队", "X's team", "under X"."""
    return reading.near(phrase, ("manager_after",), before=0, after=2) or reading.near(
        phrase, ("manager_before",), before=1
    )


def _condition_filters(reading: Reading, base: str) -> list[ReportFilter]:
    filters = []
    for phrase in reading.phrases:
        # A phrase that is a value here ("won") is read as that value, not as a condition.
        if any(
            term.kind == "value" and path_for(base, term.target, term.field) is not None
            for term in phrase.terms
        ):
            continue
        for term in phrase.terms:
            if term.kind != "condition":
                continue
            prefix = words.PATHS.get(base, {}).get(term.target or "")
            if prefix is None:
                continue
            for name, op, value in term.conditions:
                found = ReportFilter(field=prefix + name, op=op, value=value)
                # "还挂着没关的" and "没成交也没丢的" repeat one condition.
                if found not in filters:
                    filters.append(found)
            break
    return filters


def _measure_fields(reading: Reading, base: str) -> list[tuple[Phrase, str]]:
    found: list[tuple[Phrase, str]] = []
    for phrase in reading.phrases:
        candidates = [term for term in phrase.terms if term.kind == "measure_field"]
        own = [term for term in candidates if term.target == base]
        for term in own or candidates:
            path = path_for(base, term.target, term.field)
            if path is None:
                break
            known = [index for index, (_, other) in enumerate(found) if other == path]
            if not known:
                found.append((phrase, path))
            elif found[known[0]][0].position == phrase.position - 1 and not (
                phrase.has("top") or phrase.has("bottom")
            ):
                # "规模（员工数）", "size (headcount)": one field named twice in a row is one
                # mention, and its aggregate word sits next to the second name.
                found[known[0]] = (phrase, path)
            break
    return found


def _aggregate_for(reading: Reading, phrase: Phrase, ranked: bool) -> str | None:
    """Return the aggregate word next to a measure field, if any.

    In a ranked question ("哪位销售签的金额最大") a superlative that is also an
    aggregate word ranks the groups by their total rather than asking for a maximum.
    A measure word may carry its own aggregate ("客单价" is an average amount).
    """
    own = phrase.first("aggregate")
    if own is not None and isinstance(own.value, str):
        return own.value
    for other in reading.phrases:
        if phrase.position - 3 <= other.position <= phrase.position + 1 and other is not phrase:
            term = other.first("aggregate")
            if term is None or not isinstance(term.value, str):
                continue
            if ranked and (other.has("top") or other.has("bottom")):
                continue
            return term.value
    # "平均每家客户有几个员工": an average word may open the question, further away.
    for other in reading.phrases[max(0, phrase.position - 6) : phrase.position]:
        term = other.first("aggregate")
        if term is not None and term.value in ("avg", "median"):
            return str(term.value)
    return None


def _date_field(reading: Reading, base: str, filters: list[ReportFilter], measured: bool) -> str:
    if reading.of("expected") and base in words.EXPECTED_CLOSE_DATE_FIELD:
        return words.EXPECTED_CLOSE_DATE_FIELD[base]
    if reading.of("created"):
        return words.CREATED_DATE_FIELD.get(base, words.DEFAULT_DATE_FIELD[base])
    if reading.of("closed"):
        return words.CLOSED_DATE_FIELD.get(base, words.DEFAULT_DATE_FIELD[base])
    if base == "opportunities":
        closing = any(
            item.field in ("stage.key", "stage.is_won", "stage.is_lost")
            and item.op in ("eq", "in")
            and item.value not in (False,)
            for item in filters
        )
        open_only = any(item.field == "stage.is_won" and item.value is False for item in filters)
        if open_only or not (closing or measured):
            return "engaged_on"
        return "closed_on"
    if base == "activities" and any(
        item.field == "kind" and item.value == "task" for item in filters
    ):
        # Only tasks have a due date, and "今天的任务" are the ones due today.
        return "due_at"
    return words.DEFAULT_DATE_FIELD.get(base, "created_at")


def _is_future(found: TimeFilter | None, today: date) -> bool:
    """True when the period starts after today: "下个月", "next 30 days", "2030年"."""
    if found is None:
        return False
    if found.op == "relative":
        return str(found.value).startswith("next_") or found.value == "tomorrow"
    start = found.value[0] if isinstance(found.value, list) else found.value
    if found.op in ("between", "gt", "gte"):
        return str(start) > today.isoformat()
    return False


def _is_wholly_future(found: TimeFilter | None, today: date) -> bool:
    """True when the whole period lies after today: "下个月", "next quarter", "2030年".

    "Next 30 days" and "未来3个月" start today, when deals can already be won.
    """
    if found is None or not _is_future(found, today):
        return False
    return not (found.op == "relative" and _NEXT_DAYS.fullmatch(str(found.value)))


def _open_instead_of_closed(
    lexicon: Lexicon, filters: list[ReportFilter]
) -> tuple[list[ReportFilter], bool]:
    """Replace the won and lost stages of ``filters`` with open deals.

    Returns the new filters and whether any stage was replaced. Open stages named next
    to the closed ones ("赢单和报价谈判的商机") stay; with none, the open-deal condition
    takes the closed stages' place.
    """
    closed_keys = {lexicon.won_stage_key, *lexicon.lost_stage_keys}
    kept: list[ReportFilter] = []
    replaced = False
    for item in filters:
        if item.field in ("stage.is_won", "stage.is_lost") and item.value is True:
            replaced = True
            continue
        if item.field == "stage.key" and item.op in ("eq", "in"):
            values = item.value if isinstance(item.value, list) else [item.value]
            open_values = [value for value in values if value not in closed_keys]
            if len(open_values) < len(values):
                replaced = True
                if open_values:
                    kept.append(ReportFilter(field="stage.key", op="in", value=open_values))
                continue
        kept.append(item)
    if replaced and not any(item.field == "stage.key" for item in kept):
        for path in ("stage.is_won", "stage.is_lost"):
            if not any(item.field == path for item in kept):
                kept.append(ReportFilter(field=path, op="eq", value=False))
    return kept, replaced


def _future_date_field(lexicon: Lexicon, base: str, filters: list[ReportFilter]) -> str | None:
    """Return the expected close date for deals in a future period, unless won or lost are named.

    A deal closes in the future only by expectation: "下个月的商机" and "deals next
    quarter" are the deals expected to close then, while "未来30天的赢单金额" keeps the
    close date that won deals have.
    """
    if base not in words.EXPECTED_CLOSE_DATE_FIELD:
        return None
    closed_keys = {lexicon.won_stage_key, *lexicon.lost_stage_keys}
    for item in filters:
        if item.field in ("stage.is_won", "stage.is_lost") and item.value is True:
            return None
        if item.field == "stage.key" and item.op in ("eq", "in"):
            values = item.value if isinstance(item.value, list) else [item.value]
            if any(value in closed_keys for value in values):
                return None
    return words.EXPECTED_CLOSE_DATE_FIELD[base]


def _record_groups(base: str) -> list[ReportGroup]:
    """Return the groups that make one row per record: its title, then its id."""
    return [ReportGroup(field=words.TITLE_FIELD.get(base, "name")), ReportGroup(field="id")]


def _overdue_filters(filters: list[ReportFilter], today: date) -> list[ReportFilter]:
    """Return the filters of overdue activities: still open and due before today."""
    overdue = [ReportFilter(field="due_at", op="lt", value=today.isoformat())]
    if not any(item.field == "status" for item in filters):
        overdue.append(ReportFilter(field="status", op="eq", value="open"))
    return overdue


def parse_question(
    question: str, lexicon: Lexicon, today: date, user_id: uuid.UUID | None = None
) -> ParseResult:
    """Parse ``question`` into a report query, or into a clarification when it is ambiguous."""
    text = _PUNCTUATION.sub(" ", _THOUSANDS.sub("", expand_shorthand(normalize(question))))
    # "列出本周的任务", "list my open tickets": a question that starts with the verb requests
    # the records themselves, as "which" does. "list price" is a field, not the verb.
    text = re.sub(
        r"^\s*(?:please\s+)?(?:list(?!\s+(?:price|at|for)\b)|列出来?|列一下)", " which ", text
    )
    # "win %" is the win percentage; a percent sign after a number stays as it is.
    text = re.sub(r"(?<=[a-z])\s*%", " percent", text)
    # "engaging-to-won" names two stages: split it so each stage is matched.
    text = re.sub(r"(?<=[a-z])-to-(?=[a-z])", " to ", text)
    # "order the reps by …" ranks; "order" alone may name a sales order.
    text = re.sub(r"\border(?=\s+(?:the|all|our|my)\b)", "rank", text)
    # "by rep and quarter", "按销售和季度": a period at the end of a group list is a bucket.
    text = re.sub(
        r"\b(by|per)\b(.{1,40}?)\band\s+(day|week|month|quarter|year)\b(?!\s+(?:founded|established))",
        r"\1\2and by \3",
        text,
    )
    # "split by region, then stage": a second group term after "then" is grouped too.
    text = re.sub(r"\b(by|per)\b(.{1,40}?)\bthen\s+(?:by\s+)?", r"\1\2and by ", text)
    # "按季度和产品系列", "by quarter and series": a dimension after a period keeps its group word.
    text = re.sub(
        r"\b(by|per)\s+(day|week|month|quarter|year)\s+(and|&)\s+(?!by\b)", r"\1 \2 \3 by ", text
    )
    text = re.sub(
        r"(按|每个?)(季度|月份|年份|周|月(?!收入)|年(?!收入|营收))(和|与|及)(?!按)",
        r"\1\2\3按",
        text,
    )
    # 年收入 and 月收入 are fields, not periods.
    text = re.sub(
        r"(按|每个?)([^按每]{1,12}?)(和|与|及)(季度|月份|年份|周|月(?!收入)|年(?!收入|营收))",
        r"\1\2\3按\4",
        text,
    )
    # "reps who've won at least one deal" are reps with a won deal: no ranking, no threshold.
    text = re.sub(r"\bat least (?:one|1|once)\b", " ", text)
    # "across all accounts" and "across software accounts" are the whole set or a filtered
    # one, not a grouping by account.
    text = re.sub(
        r"\bacross\s+(?=(?:all|every)\b|(?:[a-z0-9]+\s+){1,2}(?:accounts|customers|companies"
        r"|deals|opps|opportunities|products|reps)\b)",
        " ",
        text,
    )
    # "what does it list at", "retails for": the verb asks for the list price. "retail for"
    # counts only at the end, because "won revenue in retail for the West" names the sector.
    text = re.sub(
        r"\b(?:lists?|listed|retails|retailed)\s+(?:at|for)\b|\bretail\s+(?:at\b|for\s*$)",
        " list price ",
        text,
    )
    # "what percent of closed deals do we win": the share of won deals is the win rate.
    text = re.sub(
        r"\b(?:what|which)\s+(?:percent|percentage|share|fraction|proportion)\s+of\s+"
        r"(?:(?:our|the|all|closed|decided|finished)\s+)*(?:deals|opps|opportunities)\s+"
        r"(?:do|did|does|have|are|were|get|got)\s+(?:(?:we|you|they|i)\s+)?(?:actually\s+)?"
        r"(win|won|lose|lost|closed won|closed lost)\b",
        lambda match: " loss rate " if "los" in match.group(1) else " win rate ",
        text,
    )
    # "员工最少的客户有几个人": the number of people is the headcount already named.
    if re.search(r"员工|人数|headcount|employees", text):
        text = re.sub(r"(?:有|是)?(?:几个|多少个?)人", " 多少 ", text)
    # "most recently founded account - what year was that?" asks for the founding year.
    if re.search(r"\b(?:founded|established)\b", text):
        text = re.sub(r"\b(?:what|which) year\b", " year founded ", text)
    text, founded = founded_years(text)
    text = _month_numerals(text)
    time = find_time(text, today, lexicon.fiscal_start_month)
    # After the time parser, so that "March-May 2017" stays one range.
    scan = scan_patterns(split_hyphens(time.text, lexicon.terms), founded)
    text = scan.text
    unread_time = leftover_time(text, today, lexicon.fiscal_start_month)
    mine = MINE.search(text)
    mine_word = mine.group(0).strip() if mine is not None else None
    text = MINE.sub(" ", text)
    phrases, unknown = match_phrases(tokenize(text, lexicon), lexicon)
    phrases, unknown = _drop_out_of_context(phrases, unknown, lexicon)
    result = ParseResult(unknown=unknown)
    result.understood = [phrase.text for phrase in phrases if phrase.terms]
    # A product or field name may contain a time word ("年收入"); it is no time phrase.
    result.ignored = [
        Ignored("time", found)
        for found in unread_time
        if not any(found in phrase.text for phrase in phrases if phrase.terms)
    ]
    if time.filter is not None or time.bucket is not None:
        result.understood.append("time")
    for phrase in phrases:
        if phrase.text.startswith("__threshold"):
            index = int(phrase.text[len("__threshold") : -2])
            phrase.terms = [Term("aggregate", value=("threshold", index))]
        elif phrase.text in ("__top__", "__bottom__"):
            phrase.terms = [Term("top" if phrase.text == "__top__" else "bottom")]
    for phrase, following in itertools.pairwise(phrases):
        if phrase.has("what") and following.has("dimension"):
            phrase.terms.append(Term("which"))
    _drop_relative_who(phrases)
    _drop_headcount_people(phrases)
    _drop_distinct_grouping(phrases)
    phrases, bucket_position = _take_bucket_marker(phrases)
    reading = Reading(phrases)

    if not result.understood:
        return ParseResult(clarification=Clarification("assistant_not_understood"), unknown=unknown)

    # A region the tenant does not have is asked back, never guessed.
    for phrase, _ in reading.of("region_name"):
        if phrase.has("value"):
            continue
        if not lexicon.region_values:
            return _clarify(result, "assistant_region_field_missing", region=phrase.text)
        return _clarify(
            result,
            "assistant_region_unknown",
            options=lexicon.region_values,
            region=phrase.text,
            known=", ".join(lexicon.region_values),
        )

    base = _choose_base(reading, lexicon)
    if base is None:
        return _clarify(result, "assistant_object_unclear")
    reading.base = base

    # An activity has no service level, so "逾期"/"overdue" there reads its due date.
    overdue_activities = base == "activities" and bool(reading.of("sla"))
    if reading.of("sla") and not overdue_activities:
        sla_path = lexicon.sla_fields.get(base) if base == "tickets" else None
        if base != "tickets" or sla_path is None:
            return _clarify(result, "assistant_sla_field_missing", object=base)

    top = bool(reading.of("top") or reading.of("bottom") or scan.top_n)
    ascending = scan.top_ascending or (bool(reading.of("bottom")) and not reading.of("top"))

    # Group-by terms: a time bucket, then dimensions in question order.
    filters, respectively = _value_filters(reading, base)
    filters.extend(_condition_filters(reading, base))
    future = _is_future(time.filter, today)
    # No deal is won in the future, so "closing next month" speaks of an expected close.
    won_stage = None if future else _implied_won_stage(reading, lexicon, base, filters)
    if won_stage is not None:
        filters.append(won_stage)
    # Which deals will be won or lost in a period still to come is not known yet, so
    # the open deals expected to close in it are counted instead, with a warning.
    if base == "opportunities" and _is_wholly_future(time.filter, today):
        filters, replaced = _open_instead_of_closed(lexicon, filters)
        if replaced:
            # The period is read before any time bucket, so it is the first phrase.
            result.future_outcome = time.phrases[0]
    rate = rate_measure(reading, lexicon, base, filters)
    closing_rate = rate is not None and rate.measure.alias in ("win_rate", "loss_rate")
    if rate is not None:
        filters = rate.filters
    if closing_rate and _is_wholly_future(time.filter, today):
        # A win rate counts closed deals, and none of a period still to come has closed: the
        # rate is empty, and the warning says why rather than leaving a blank answer.
        result.future_outcome = time.phrases[0]
        result.future_rate = True
    measure_fields = _measure_fields(reading, base)
    date_field = _date_field(reading, base, filters, bool(measure_fields) or rate is not None)
    # A rate of closed deals keeps their close date. Other deals close in the future only
    # by expectation.
    if future and not reading.of("created") and not closing_rate:
        date_field = _future_date_field(lexicon, base, filters) or date_field
    filtered_paths = {item.field for item in filters if item.op == "eq"}
    groups: list[ReportGroup] = []
    used_dimension_phrases: set[int] = set()
    for phrase in reading.phrases:
        is_measure_word = phrase.has("measure_field") and not phrase.has("object")
        if not phrase.has("dimension") or is_measure_word:
            continue
        path = _dimension(base, phrase)
        if path is None or not _is_group_dimension(reading, phrase, top):
            continue
        if _all_of_base(reading, phrase, base) or _owned_by_dimension(reading, phrase):
            continue
        # "East区…最高的销售": a value that is already a filter is no group, unless a
        # group word governs it ("各大区").
        if path in filtered_paths and not reading.governed(phrase, ("group",), before=2):
            continue
        if path not in [group.field for group in groups]:
            groups.append(ReportGroup(field=path))
            used_dimension_phrases.add(phrase.position)
    if time.bucket is not None:
        # The bucket takes its place in question order: "每个区域每个季度" groups by region first.
        before = sum(1 for position in used_dimension_phrases if position < bucket_position)
        groups.insert(before, ReportGroup(field=date_field, bucket=time.bucket))
    if reading.of("who") and not groups:
        owner = path_for(base, "users", "display_name")
        if owner is not None:
            groups.append(ReportGroup(field=owner))
    # "across Codehow and Konex" pools the named values; "across regions" groups.
    group_words = [
        phrase
        for phrase, _ in reading.of("group")
        if not (phrase.text == "across" and _value_follows(reading, phrase))
    ]
    asks_each = group_words or reading.of("respectively") or reading.of("versus")
    if not groups and asks_each and respectively:
        groups.extend(ReportGroup(field=path) for path in respectively)
    if not groups and scan.top_n is not None and scan.top_n > 1 and top and measure_fields:
        # "金额最大的5个商机", "top 5 open deals by amount": the records themselves are ranked,
        # and two deals may share a name, so each is kept apart by its id.
        groups.extend(_record_groups(base))
    if not groups and reading.of("which"):
        for phrase in reading.phrases:
            names_base = phrase.has("object") and phrase.first("object").target == base  # type: ignore[union-attr]
            # "明天到期的任务有哪些": a kind of activity or ticket names the records as well.
            names_kind = base in words.TITLE_FIELD and any(
                term.kind == "condition" and term.target == base for term in phrase.terms
            )
            if names_base or names_kind:
                if base in words.TITLE_FIELD:
                    # Subjects repeat ("上门拜访"), so each activity or ticket is its own row.
                    groups.extend(_record_groups(base))
                else:
                    groups.append(ReportGroup(field="name"))
                break

    # Measures.
    measures: list[ReportMeasure] = []
    sort_measure: str | None = None
    conversion = _conversion_measure(reading, base, filters)
    if conversion is not None:
        filters = [item for item in filters if item.field != "stage.key"]
        measure_fields = []
        measures.append(conversion)
    elif rate is not None:
        measures.append(rate.measure)
    # A rate has no single record to take the largest of: "lowest win rate by rep" ranks.
    extreme = None if measures else _extreme_aggregate(reading, groups, scan)
    if _asks_field_extreme(
        reading, groups, scan, measure_fields, is_chinese=_CJK.search(text) is not None
    ):
        groups = [group for group in groups if group.field != "name"]
    for phrase, path in measure_fields:
        if phrase.text in GENERIC_MONEY_WORDS and len(lexicon.money_fields.get(base, [])) > 1:
            fields = lexicon.money_fields[base]
            return _clarify(
                result,
                "assistant_money_field_ambiguous",
                options=[item.path for item in fields],
                fields=", ".join(f"{item.label} ({item.path})" for item in fields),
            )
        aggregate = _aggregate_for(reading, phrase, ranked=bool(groups) and extreme is None)
        if aggregate is None or not isinstance(aggregate, str):
            aggregate = "sum"
            if top and not groups:
                aggregate = "min" if ascending else "max"
        if extreme is not None and aggregate == "sum":
            aggregate = extreme
        measures.append(ReportMeasure(aggregate=aggregate, field=path))
    plain_aggregates = [
        term.value for _, term in reading.of("aggregate") if isinstance(term.value, str)
    ]
    # Fields whose aggregate a word of the question requests ("平均金额", "一共多少钱"),
    # which stay measures when a comparison also filters on them.
    requested = {
        path
        for phrase, path in measure_fields
        if _aggregate_for(reading, phrase, ranked=False) is not None
    }
    requested |= _totals_named(reading, base)
    # "累计成交了多少": with a sum word, "多少" after a won word is an amount of money.
    sums_won = _has_sum_word(reading) and (_asks_how_much_won(reading) or _total_won(reading))
    wants_money = (
        bool(reading.of("money")) or _won_total(reading, lexicon) or sums_won
    ) and not measures
    if wants_money and not plain_aggregates:
        plain_aggregates = ["sum"]
    # "largest win this year", "每个销售最小的一笔赢单": a superlative over single records
    # with no amount named requests the maximum or minimum of the money field. So does
    # "最大的一笔单子赢了多少", where "多少" is "how much", not a number of deals.
    if extreme is not None and (
        (not measures and (not reading.of("count") or _asks_how_much_won(reading)))
        or (plain_aggregates == ["sum"] and not _has_sum_word(reading))
    ):
        plain_aggregates = [extreme]
    if not measures and plain_aggregates and (plain_aggregates[0] != "sum" or wants_money):
        money = lexicon.money_fields.get(base, [])
        if len(money) > 1:
            return _clarify(
                result,
                "assistant_money_field_ambiguous",
                options=[item.path for item in money],
                fields=", ".join(f"{item.label} ({item.path})" for item in money),
            )
        if money:
            measures.append(ReportMeasure(aggregate=plain_aggregates[0], field=money[0].path))
            requested.add(money[0].path)
    strong_count = any(
        phrase.text in STRONG_COUNT_WORDS and not _counts_field(reading, lexicon, base, phrase)
        for phrase, _ in reading.of("count")
    )
    distinct = _distinct_measure(reading, base, groups)
    if distinct is not None and not measures:
        measures.append(distinct)
        # Each group of a record's own name contains one record: "不同客户数" counts, not groups.
        if distinct.field and distinct.field.endswith("_id"):
            own_name = distinct.field[: -len("_id")] + ".name"
            groups = [group for group in groups if group.field != own_name]
    elif not measures or strong_count:
        measures.insert(0, ReportMeasure(aggregate="count"))
        if strong_count and len(measures) > 1:
            sort_measure = measures[0].name

    # Comparisons attach to the nearest measure field before them, else the money field.
    for phrase, term in reading.of("aggregate"):
        if not isinstance(term.value, tuple):
            continue
        op, number = scan.thresholds[term.value[1]]
        # "accounts with more than 2,000 employees": an English field right after the number.
        target = next(
            (
                path
                for other, path in measure_fields
                if other.position == phrase.position + 1 and other.text.isascii()
            ),
            None,
        ) or next(
            (path for other, path in reversed(measure_fields) if other.position < phrase.position),
            None,
        )
        if target is None:
            money = lexicon.money_fields.get(base, [])
            if measure_fields:
                target = measure_fields[0][1]
            elif money:
                target = money[0].path
        if target is None:
            return _clarify(result, "assistant_comparison_unclear", value=str(number))
        filters.append(ReportFilter(field=target, op=op, value=number))
        # The field of a comparison is a filter, not a measure, unless it was named twice
        # or an aggregate word requests it ("超过5千的赢单总金额", "一共多少钱").
        measures = [
            item
            for item in measures
            if item.field != target or _named_twice(measure_fields, target) or target in requested
        ] or [_compared_measure(reading, plain_aggregates, target)]

    if overdue_activities:
        filters.extend(_overdue_filters(filters, today))
    elif reading.of("sla"):
        filters.append(ReportFilter(field=lexicon.sla_fields[base], op="eq", value=True))
    if mine_word is not None:
        if user_id is not None and path_for(base, "users", "id") is not None:
            filters.append(ReportFilter(field="owner_id", op="eq", value=str(user_id)))
        else:
            result.ignored.append(Ignored("filter", mine_word))
    if time.filter is not None:
        filters.append(ReportFilter(field=date_field, op=time.filter.op, value=time.filter.value))

    sort: list[ReportSort] = []
    limit = DEFAULT_LIMIT
    if groups and (top or reading.of("rank")) and extreme is None:
        column = sort_measure or next(
            (item.name for item in measures if item.field is not None), measures[0].name
        )
        sort = [ReportSort(column=column, descending=not ascending)]
        if scan.top_n:
            limit = scan.top_n
        elif top and not reading.of("rank") and _singular(reading):
            limit = 1

    if scan.top_n is not None and scan.top_n > 1 and limit != scan.top_n:
        result.ignored.append(Ignored("filter", scan.top_text))

    filters.sort(key=lambda item: (item.field, item.op))
    try:
        result.query = ReportQuery(
            object=base, filters=filters, group_by=groups, measures=measures, sort=sort, limit=limit
        )
    except ValidationError:
        return _clarify(result, "assistant_object_unclear")
    applied = Applied(
        filters=filters,
        groups=groups,
        measures=measures,
        grouped_positions=used_dimension_phrases,
        rate_phrase=rate.phrase if rate is not None and conversion is None else None,
        conversion=conversion is not None,
    )
    for found in ignored_phrases(reading, applied):
        if found not in result.ignored:
            result.ignored.append(found)
    accounted = [found.text for found in result.ignored]
    result.unread = unread_words(unknown, lexicon, accounted)
    # An unknown word that names the measure or dimension is asked back: ranking "by churn
    # risk" with the deal count would answer another question.
    unknown_keys = key_words(unknown, reading.phrases, lexicon, accounted)
    if unknown_keys:
        return _clarify(result, "assistant_key_word_unknown", word=unknown_keys[0])
    return result


def _value_follows(reading: Reading, phrase: Phrase) -> bool:
    following = phrase.position + 1
    return following < len(reading.phrases) and reading.phrases[following].has("value")


def _drop_out_of_context(
    phrases: list[Phrase], unknown: list[Unmatched], lexicon: Lexicon
) -> tuple[list[Phrase], list[Unmatched]]:
    """Drop the value meaning of a phrase that needs its field named beside it.

    "服务行业的客户" and "零售和服务业" name the industry "services"; "服务工单有多少" and
    "服务类产品" do not. The field counts as named when a word for it stands within two
    phrases, or when the phrase is in a list with another value of the field. A phrase left
    with no meaning becomes an unmatched word, so the answer names it.
    """
    kept: list[Phrase] = []
    missing = list(unknown)
    for index, phrase in enumerate(phrases):
        needed = lexicon.contextual.get(phrase.text)
        if needed is None or _has_context(phrases, index, needed):
            kept.append(phrase)
            continue
        phrase.terms = [
            term
            for term in phrase.terms
            if not (term.kind == "value" and (term.target, term.field) == needed)
        ]
        if phrase.terms:
            kept.append(phrase)
        else:
            is_cjk = _CJK.search(phrase.text) is not None
            missing.append(Unmatched(phrase.text, is_cjk, phrase.first_token))
    if len(kept) == len(phrases):
        return phrases, unknown
    for position, phrase in enumerate(kept):
        phrase.position = position
    missing.sort(key=lambda word: word.token)
    return kept, missing


def _has_context(phrases: list[Phrase], index: int, needed: tuple[str, str]) -> bool:
    def names_field(phrase: Phrase) -> bool:
        return any(
            term.kind == "dimension" and (term.target, term.field) == needed
            for term in phrase.terms
        )

    def is_value(phrase: Phrase) -> bool:
        return any(
            term.kind == "value" and (term.target, term.field) == needed for term in phrase.terms
        )

    nearby = phrases[max(0, index - 2) : index] + phrases[index + 1 : index + 3]
    if any(names_field(phrase) for phrase in nearby):
        return True
    previous = phrases[index - 1] if index > 0 else None
    following = phrases[index + 1] if index + 1 < len(phrases) else None
    if previous is not None and phrases[index].conjoined and is_value(previous):
        return True
    return following is not None and following.conjoined and is_value(following)


def _drop_headcount_people(phrases: list[Phrase]) -> None:
    """Drop the rep meaning of "人" in a question about headcount.

    "有几个人成过单" counts reps, but in "员工最多的客户有多少人" the people are employees.
    """
    headcount = any(
        term.kind == "measure_field" and term.field == "employee_count"
        for phrase in phrases
        for term in phrase.terms
    )
    if not headcount:
        return
    for phrase in phrases:
        if phrase.text == "人":
            phrase.terms = [term for term in phrase.terms if term.kind != "dimension"]


def _drop_relative_who(phrases: list[Phrase]) -> None:
    """Read "who" after a noun as a relative pronoun: "customers who bought GTX Pro".

    Only a "who" that opens the question or stands alone asks for people; after a noun it
    starts a clause that filters that noun, and grouping by owner would answer another question.
    """
    for previous, phrase in itertools.pairwise(phrases):
        if phrase.text not in _RELATIVE_WHO or not (
            previous.has("object") or previous.has("dimension")
        ):
            continue
        phrase.terms = [term for term in phrase.terms if term.kind != "who"]


def _drop_distinct_grouping(phrases: list[Phrase]) -> None:
    """Read "不同" next to a count word as "distinct": "多少个不同的客户" counts customers.

    "不同" is also a group word ("不同行业的赢单金额"), but right after a count word, or
    before the records that a count word follows ("不同的客户有多少家"), it says which
    records to count, not how to split them.
    """
    for index, phrase in enumerate(phrases):
        if not (phrase.has("distinct") and phrase.has("group")):
            continue
        after_count = index > 0 and phrases[index - 1].has("count")
        counted = (
            index + 2 < len(phrases)
            and phrases[index + 1].has("object")
            and phrases[index + 2].has("count")
        )
        if after_count or counted:
            phrase.terms = [term for term in phrase.terms if term.kind != "group"]


def _take_bucket_marker(phrases: list[Phrase]) -> tuple[list[Phrase], int]:
    """Remove the time bucket's marker and return the phrases and the marker's position."""
    position = next(
        (index for index, phrase in enumerate(phrases) if phrase.text == BUCKET_MARKER),
        len(phrases),
    )
    kept = [phrase for phrase in phrases if phrase.text != BUCKET_MARKER]
    for index, phrase in enumerate(kept):
        phrase.position = index
    return kept, position


def _implied_won_stage(
    reading: Reading, lexicon: Lexicon, base: str, filters: list[ReportFilter]
) -> ReportFilter | None:
    """Return the won-stage filter that a closing verb implies, unless a stage is already set.

    "Who closed the most revenue", "上季度签约金额" and "销冠" speak of won deals
    without naming the stage; "closed lost" or an open-deal condition name another.
    """
    if base != "opportunities" or lexicon.won_stage_key is None or not reading.of("won_verb"):
        return None
    if any(item.field.startswith("stage.") for item in filters):
        return None
    return ReportFilter(field="stage.key", op="eq", value=lexicon.won_stage_key)


def _conversion_measure(
    reading: Reading, base: str, filters: list[ReportFilter]
) -> ReportMeasure | None:
    """Return a conversion rate when a conversion word comes with two stages.

    "从方案沟通到赢单的转化率": the first stage named is ``from_stage``, the second
    ``to_stage``; the stages then stop being filters.
    """
    if base != "opportunities" or not reading.of("conversion"):
        return None
    stages: list[str] = []
    for phrase in reading.phrases:
        for term in phrase.terms:
            if term.kind == "value" and term.target == "pipeline_stages":
                if term.value not in stages:
                    stages.append(term.value)
                break
    stage_filters = [item for item in filters if item.field == "stage.key"]
    if len(stages) != 2 or any(item.op not in ("eq", "in") for item in stage_filters):
        return None
    return ReportMeasure(aggregate="conversion_rate", from_stage=stages[0], to_stage=stages[1])


def _extreme_aggregate(reading: Reading, groups: list[ReportGroup], scan: Scan) -> str | None:
    """Return ``max`` or ``min`` when a superlative picks single records, not groups.

    "largest win this year" and "每个产品的最高成交金额" ask for the biggest record
    (overall or in each group) rather than a ranking of totals. A count ("前三"), a
    "which"/"who" word or a rank word makes it a ranking, and so does a group that
    only the superlative implies ("业绩最好的销售").
    """
    has_top, has_bottom = bool(reading.of("top")), bool(reading.of("bottom"))
    # "最大的一笔" reads as a top-1 count, but one record is what a maximum returns.
    if has_top == has_bottom or scan.top_n not in (None, 1):
        return None
    if reading.of("which") or reading.of("who") or reading.of("rank"):
        return None
    extreme = "max" if has_top else "min"
    for phrase in reading.phrases:
        if not phrase.has("dimension") or reading.governed(phrase, ("group",), before=2):
            continue
        paths = {path_for(reading.base, t.target, t.field) for t in phrase.terms}
        if paths & {group.field for group in groups}:
            return None
    return extreme


def _asks_field_extreme(
    reading: Reading,
    groups: list[ReportGroup],
    scan: Scan,
    measure_fields: list[tuple[Phrase, str]],
    *,
    is_chinese: bool,
) -> bool:
    """True when a superlative requests the largest value of a field, not the record holding it.

    "the largest employee count among our accounts", "产品的最高价格是多少" and
    "员工最多的客户有多少人" ask for one number; "年收入最高的客户" and "the account with
    the highest annual revenue" ask which record it is. The number is meant when the field
    is the head of the phrase: in English the field comes before the records ("highest
    price of our products"), in Chinese after them ("产品的最高价格"), or a Chinese
    question asks 多少 after naming the records.
    """
    if [group.field for group in groups] != ["name"] or scan.top_n not in (None, 1):
        return False
    if bool(reading.of("top")) == bool(reading.of("bottom")):
        return False
    if reading.of("which") or reading.of("who") or reading.of("rank"):
        return False
    records = next((phrase for phrase, _ in reading.of("object")), None)
    if records is None or len(measure_fields) != 1:
        return False
    field_phrase, field_path = measure_fields[0]
    if field_phrase is records:
        return False
    named = [
        phrase
        for phrase in reading.phrases
        if any(
            term.kind == "measure_field"
            and path_for(reading.base, term.target, term.field) == field_path
            for term in phrase.terms
        )
    ]
    # "the cheapest product's list price", "最贵的产品的价格": a superlative that names the
    # field picks the record, and the field named again after the records is the value asked.
    superlative = [phrase for phrase in named if phrase.has("top") or phrase.has("bottom")]
    if any(phrase.position < records.position for phrase in superlative) and any(
        phrase.position > records.position and phrase not in superlative for phrase in named
    ):
        return True
    if not _next_to_superlative(reading, field_phrase):
        return False
    # "GTX products: what's the cheapest list price?": "what" requests the value itself.
    if reading.of("what") and field_phrase.position > records.position:
        return True
    if not is_chinese:
        return field_phrase.position < records.position
    if field_phrase.position > records.position:
        return True
    return any(phrase.position > records.position for phrase, _ in reading.of("count"))


def _next_to_superlative(reading: Reading, phrase: Phrase) -> bool:
    """True when a superlative stands right before or after ``phrase``.

    Count words may stand between: "最多有多少员工" asks the largest employee count.
    """
    if reading.near(phrase, ("top", "bottom"), before=1, after=1):
        return True
    position = phrase.position - 1
    while position >= 0 and reading.phrases[position].has("count"):
        position -= 1
    if position < 0 or position == phrase.position - 1:
        return False
    other = reading.phrases[position]
    return other.has("top") or other.has("bottom")


def _counts_field(reading: Reading, lexicon: Lexicon, base: str, phrase: Phrase) -> bool:
    """True when a count word requests a numeric field's total: "how many employees".

    Money words are left out, because "how many sales" counts deals.
    """
    if phrase.position + 1 >= len(reading.phrases):
        return False
    following = reading.phrases[phrase.position + 1]
    if following.has("object"):
        return False
    money = {item.path for item in lexicon.money_fields.get(base, [])}
    return any(
        term.kind == "measure_field"
        and term.target == base
        and path_for(base, term.target, term.field) not in money
        for term in following.terms
    )


def _has_sum_word(reading: Reading) -> bool:
    return any(term.value == "sum" for _, term in reading.of("aggregate"))


def _compared_measure(reading: Reading, plain_aggregates: list[str], target: str) -> ReportMeasure:
    """Return the measure left once a comparison took its field: "金额小于1000的赢单平均多少".

    An aggregate word elsewhere in the question then applies to the compared field; a bare
    total ("一共有多少") counts records unless a money word asks for the amount.
    """
    if plain_aggregates and (plain_aggregates[0] != "sum" or reading.of("money")):
        return ReportMeasure(aggregate=plain_aggregates[0], field=target)
    return ReportMeasure(aggregate="count")


def _distinct_measure(
    reading: Reading, base: str, groups: list[ReportGroup]
) -> ReportMeasure | None:
    """Return a distinct count of a related object that the question counts.

    "how many different accounts have we won deals with" and "赢过单的客户有多少家"
    count accounts through their deals: the base stays the deals and the measure is
    the number of different ``account_id`` values.
    """
    if not reading.of("count") and not reading.of("distinct"):
        return None
    grouped = {group.field for group in groups}
    dimension = _counted_dimension(reading)
    if dimension is not None and not groups:
        path = path_for(base, dimension.target, dimension.field)
        if path is not None:
            return ReportMeasure(aggregate="count_distinct", field=path)
    counted = _counted_related(reading, base)
    if counted is not None and counted[:-1] + "name" not in grouped:
        return ReportMeasure(aggregate="count_distinct", field=counted)
    if _counts_base_records(reading, base):
        return None
    for phrase, term in reading.of("object"):
        if term.target == base or term.target is None:
            continue
        # "按客户所在国家", "customer country": the object only says whose field is meant.
        if reading.owns_next(phrase):
            continue
        # "客户的商机数" counts deals; only a word such as "different" or "多少家"
        # counts the related records when the base object is named too.
        counts_base = any(other.target == base for _, other in reading.of("object"))
        if counts_base and not reading.of("distinct"):
            return None
        prefix = words.PATHS.get(base, {}).get(term.target)
        if not prefix or not prefix.endswith(".") or prefix.count(".") != 1:
            continue
        if prefix + "name" in grouped or prefix + "id" in grouped:
            continue
        return ReportMeasure(aggregate="count_distinct", field=prefix[:-1] + "_id")
    return None


def _counts_base_records(reading: Reading, base: str) -> bool:
    """True when a count word is followed by the base records or a stage of them.

    "how many wins came from customers outside the US" counts won deals: the customers
    only filter them.
    """
    for phrase, _ in reading.of("count"):
        if _after_stage_word(reading, phrase):
            return True
        # "赢单数", "丢单数": the count word carries the stage it counts.
        if base == "opportunities" and any(
            term.kind == "value" and term.target == "pipeline_stages" for term in phrase.terms
        ):
            return True
        if phrase.position + 1 >= len(reading.phrases):
            continue
        following = reading.phrases[phrase.position + 1]
        for term in following.terms:
            if term.kind == "object" and term.target == base:
                return True
            if (
                term.kind == "value"
                and term.target == "pipeline_stages"
                and base == "opportunities"
            ):
                return True
    return False


def _after_stage_word(reading: Reading, phrase: Phrase) -> bool:
    """True for "win count", "loss count": an English count word after a stage counts deals."""
    if not phrase.text.isascii() or phrase.position == 0:
        return False
    before = reading.phrases[phrase.position - 1]
    return any(term.kind == "value" and term.target == "pipeline_stages" for term in before.terms)


def _filters_counted(reading: Reading, position: int) -> bool:
    """True for a value right before the dimension a count word counts: "how many East reps".

    A stage is what is counted itself ("how many wins came from customers …").
    """
    value = reading.phrases[position]
    if position + 1 >= len(reading.phrases) or value.has("object"):
        return False
    following = reading.phrases[position + 1]
    return (
        any(term.kind == "value" and term.target != "pipeline_stages" for term in value.terms)
        and following.has("dimension")
        and following.first_token == value.last_token + 1
    )


def _counted_dimension(reading: Reading) -> Term | None:
    """Return the field that a count word counts the values of: "how many product series".

    Only a question that names nothing else to count or filter qualifies: "how many
    industries do we have" counts industries, "how many deals per industry" does not.
    """
    if reading.of("object") or reading.of("value") or reading.of("condition"):
        return None
    for phrase, _ in reading.of("count"):
        if phrase.position + 1 >= len(reading.phrases):
            continue
        following = reading.phrases[phrase.position + 1]
        term = following.first("dimension")
        if term is None or term.field in ("name", "display_name") or following.has("group"):
            continue
        return term
    return None


def _counted_related(reading: Reading, base: str) -> str | None:
    """Return the id field of a related object named right after a count word.

    "how many accounts have we won deals with" and "有几个销售赢过单" count accounts and
    reps through the deals, as ``account_id`` and ``owner_id``.
    """
    # "unique reps with a win" counts the reps without a count word.
    for phrase, _ in [*reading.of("count"), *reading.of("distinct")]:
        if _after_stage_word(reading, phrase):
            continue
        position = phrase.position + 1
        # "多少个不同的客户", "count of distinct reps": the distinct word may sit between, and so
        # may a value that filters them ("how many East reps").
        while position < len(reading.phrases) and (
            reading.phrases[position].has("distinct") or _filters_counted(reading, position)
        ):
            position += 1
        # "开过单的销售有几个": a plain Chinese count word that ends the question counts
        # the object just before it. "各客户的丢单数" counts the deals its count word names.
        if (
            position >= len(reading.phrases)
            and _CJK.search(phrase.text)
            and phrase.position
            and not phrase.has("value")
        ):
            position = phrase.position - 1
            # "赢过单的销售各有几人": "各有" between the object and the count adds no meaning.
            while position > 0 and reading.phrases[position].text in _COUNT_LEAD_IN:
                position -= 1
        if position >= len(reading.phrases):
            continue
        following = reading.phrases[position]
        for term in following.terms:
            if term.kind not in ("object", "dimension") or term.target in (None, base):
                continue
            if term.kind == "dimension" and term.field not in ("name", "display_name"):
                continue
            prefix = words.PATHS.get(base, {}).get(term.target or "")
            if prefix and prefix.count(".") == 1:
                return prefix[:-1] + "_id"
    return None


def _asks_how_much_won(reading: Reading) -> bool:
    """True when "多少" ends the question right after a won word: "那笔单子赢了多少"."""
    if len(reading.phrases) < 2:
        return False
    before, last = reading.phrases[-2], reading.phrases[-1]
    won = before.has("won_verb") or any(
        term.kind == "value" and term.target == "pipeline_stages" for term in before.terms
    )
    return won and last.text == "多少"


def _total_won(reading: Reading) -> bool:
    """True for "total won" with no deals counted after it: "total won from finance accounts"."""
    for first, second in itertools.pairwise(reading.phrases):
        if first.text != "total" or second.text != "won":
            continue
        after = second.position + 1
        following = reading.phrases[after] if after < len(reading.phrases) else None
        # "total won deals" counts them; "total won from deals of 8k" has a word between.
        if following is None or following.first_token != second.last_token + 1:
            return True
        return not (following.has("object") or following.has("count"))
    return False


def _won_total(reading: Reading, lexicon: Lexicon) -> bool:
    """True for a sum word right after a won word, as in "won total" or "成交合计".

    "sum of wins" puts the sum first. Won deals have a money total, not a count, unless a
    count word requests one.
    """
    if reading.of("count"):
        return False
    for phrase, following in itertools.pairwise(reading.phrases):
        value = phrase.first("value")
        aggregate = following.first("aggregate")
        won = value is not None and value.value == lexicon.won_stage_key
        if won and aggregate is not None and aggregate.value == "sum":
            return True
        value_after = following.first("value")
        won_after = value_after is not None and value_after.value == lexicon.won_stage_key
        if won_after and phrase.text in MONEY_SUM_WORDS:
            return True
    return False


def _totals_named(reading: Reading, base: str) -> set[str]:
    """Fields named by a measure word that requests their total itself: "成单总额"."""
    found = set()
    for phrase in reading.phrases:
        if not any(word in phrase.text for word in TOTAL_INSIDE_WORDS):
            continue
        for term in phrase.terms:
            path = path_for(base, term.target, term.field)
            if term.kind == "measure_field" and path is not None:
                found.add(path)
    return found


def _named_twice(measure_fields: list[tuple[Phrase, str]], path: str) -> bool:
    return sum(1 for _, known in measure_fields if known == path) > 1


def _singular(reading: Reading) -> bool:
    """True when the question requests one winner: "哪个", "which", "who", a bare superlative.

    "top reps" or "bottom products" asks for a ranked list: a plural English dimension right
    after the rank word.
    """
    plural = {"哪些", "哪几个", "哪几位"}
    if any(phrase.text in plural for phrase, _ in reading.of("which")):
        return False
    # "which industry has the most customers": the plural after "most" is what is counted.
    for phrase, _ in reading.of("which"):
        after = phrase.position + 1
        following = reading.phrases[after] if after < len(reading.phrases) else None
        if following is None or not following.has("dimension"):
            continue
        text = following.text.lower()
        return not (text.isascii() and _is_plural(text))
    for phrase, _ in reading.of("top") + reading.of("bottom"):
        after = phrase.position + 1
        if after < len(reading.phrases):
            following = reading.phrases[after]
            text = following.text.lower()
            if following.has("dimension") and text.isascii() and _is_plural(text):
                return False
    return True


def _is_plural(word: str) -> bool:
    # "series" is the same word in the singular.
    return word.endswith("s") and not word.endswith(("ss", "us", "is", "series"))


def _clarify(
    result: ParseResult, code: str, options: list[str] | None = None, **params: Any
) -> ParseResult:
    result.clarification = Clarification(code, params, options or [])
    result.query = None
    return result
