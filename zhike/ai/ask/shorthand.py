"""Abbreviations, shorthand years and typos rewritten into the words the grammar reads.

Users type "won rev per mgr this yr", "May '17", "Q4 '16", "non-US" and "wich". This pass
runs on the normalized question before the time parser and the lexicon, so every later
step sees "won revenue per manager this year", "may 2017" and "which".
"""

from __future__ import annotations

import re
from collections.abc import Container

# English abbreviations and frequent misspellings, each with the word it stands for. Only
# whole Latin words are rewritten, so "prod" never touches "product".
ABBREVIATIONS: dict[str, str] = {
    "rev": "revenue",
    "revs": "revenue",
    "revenu": "revenue",
    "revnue": "revenue",
    "revenew": "revenue",
    "reveune": "revenue",
    "revenues": "revenue",
    "avrage": "average",
    "avarage": "average",
    "averge": "average",
    "averag": "average",
    "aveage": "average",
    "opportunites": "opportunities",
    "oppurtunities": "opportunities",
    "oportunities": "opportunities",
    "opportunties": "opportunities",
    "custmers": "customers",
    "cusotmers": "customers",
    "acount": "account",
    "acounts": "accounts",
    "prodcut": "product",
    "prodcuts": "products",
    "mangers": "managers",
    "manger": "manager",
    "mgr": "manager",
    "mgrs": "managers",
    "mngr": "manager",
    "mngrs": "managers",
    "qtr": "quarter",
    "qtrs": "quarters",
    "qtrly": "quarterly",
    "yr": "year",
    "yrs": "years",
    "yrly": "yearly",
    "mth": "month",
    "mths": "months",
    "mthly": "monthly",
    "wk": "week",
    "wks": "weeks",
    "wkly": "weekly",
    "acct": "account",
    "accts": "accounts",
    "cust": "customer",
    "custs": "customers",
    "amt": "amount",
    "amts": "amounts",
    "prod": "product",
    "prods": "products",
    "emps": "employees",
    "ppl": "people",
    "cnt": "count",
    "pct": "percent",
    "yoy": "year over year",
    "excl": "excluding",
    "w/o": "without",
    "w/": "with",
    "wich": "which",
    "whcih": "which",
    "whihc": "which",
    "teh": "the",
    "anual": "annual",
    "quartely": "quarterly",
    "quaterly": "quarterly",
    "quarterley": "quarterly",
    "montly": "monthly",
    "monthy": "monthly",
    "anually": "annually",
}
_ABBREVIATION = re.compile(
    r"(?<![a-z0-9])("
    + "|".join(re.escape(word) for word in sorted(ABBREVIATIONS, key=len, reverse=True))
    + r")(?![a-z0-9])\.?"
)
# A year written with an apostrophe and two digits: "May '17", "Q4 '16", "fy'17".
_SHORT_YEAR = re.compile(r"(?<![a-z0-9])['’‘`](\d{2})(?!\d)")
# A two-digit year before a month: "17年5月到7月".
_CHINESE_SHORT_YEAR = re.compile(r"(?<![\d.])(\d{2})年(?=\d{1,2}月)")
# "every region but West", "all products except GTX Pro": the value after is excluded. A team
# keeps its own words, where the name after stands for the manager.
_EVERY_BUT = re.compile(r"\b(?:every|all)\s+(?!teams?\b)[a-z]+\s+(?:but|except)\b")
# "not won, not lost", "no outcome yet": the open deals.
_NEITHER_OUTCOME = re.compile(
    r"\bnot won,?\s+(?:and\s+|or\s+|nor\s+)?not lost\b|\bno outcome(?: yet)?\b"
)
# "across every stage", "every stage included": all deals, not a group per stage.
_ALL_STAGES = re.compile(
    r"\b(?:across|including|incl)\s+(?:every|all)\s+stages?\b|\b(?:every|all)\s+stages?\s+included\b"
)
_FISCAL_SHORT_YEAR = re.compile(r"\bfy\s*(\d{2})(?!\d)")
# "#" before a noun is "number of": "# of deals", "#deals".
_NUMBER_SIGN = re.compile(r"#\s*(?:of\s+)?(?=[a-z\u3400-\u9fff])")
# A currency sign with no amount after it names the money: "won $ by month", "ranked by won $".
_BARE_CURRENCY = re.compile(r"[$¥￥](?!\s*\d)")
# Homophones that pinyin input puts in place of a sales word: 消售 for 销售, 城交 for 成交.
CHINESE_TYPOS: dict[str, str] = {"消售": "销售", "城交": "成交", "中为数": "中位数"}
_CHINESE_TYPO = re.compile("|".join(CHINESE_TYPOS))
# A round number in its spoken form: "一万五" is 15,000 and "三千五" 3,500.
_SPOKEN_NUMBER = re.compile(
    r"([一二两三四五六七八九]|\d)(万|千)([一二两三四五六七八九])(?![十百千万\d])"
)
_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# A currency word after an amount is its unit, not a request for money: "under 100 dollars".
_AMOUNT_UNIT = re.compile(
    r"(?:(?<=\d)|(?<=\d[km万千]))\s*(?:dollars?|bucks|usd|美元|美金)(?![a-z])"
)
# "non-US", "non US": "non" negates the word after it like "not".
_NON = re.compile(r"\bnon[\s-]+(?=[a-z])")

# A rate typed by pinyin with the homophone 律 for 率: "赢单律", "成交律", "转化律".
_RATE_TYPO = re.compile(r"(?<=[单交化功失败胜])律")

# "not US", "excluding US": the bare "us" is a pronoun elsewhere, so a negation before it
# gets the article that makes it the country.
_BARE_COUNTRY = re.compile(r"\b(not|excluding|except|outside|outside of)\s+(us|usa|uk)\b")


def expand_shorthand(text: str) -> str:
    """Rewrite abbreviations, short years and bare currency signs in a normalized question."""
    text = _SHORT_YEAR.sub(r" 20\1", text)
    text = _CHINESE_SHORT_YEAR.sub(r"20\1年", text)
    text = _EVERY_BUT.sub("excluding", text)
    text = _NEITHER_OUTCOME.sub("still open", text)
    text = _ALL_STAGES.sub(" ", text)
    text = _FISCAL_SHORT_YEAR.sub(r"fy 20\1", text)
    text = _NUMBER_SIGN.sub("number of ", text)
    text = _BARE_CURRENCY.sub(" amount ", text)
    text = _AMOUNT_UNIT.sub("", text)
    text = _NON.sub("not ", text)
    text = _BARE_COUNTRY.sub(r"\1 the \2", text)
    text = _ABBREVIATION.sub(lambda match: ABBREVIATIONS[match.group(1)], text)
    text = _RATE_TYPO.sub("率", text)
    text = _CHINESE_TYPO.sub(lambda match: CHINESE_TYPOS[match.group(0)], text)
    text = _SPOKEN_NUMBER.sub(_spoken_number, text)
    return " ".join(text.split())


def _spoken_number(match: re.Match[str]) -> str:
    whole, scale, tenth = match.groups()
    return f"{_DIGITS.get(whole, whole)}.{_DIGITS[tenth]}{scale}"


def split_hyphens(text: str, known: Container[str]) -> str:
    """Split a hyphenated Latin word into its parts unless the whole word is a known phrase.

    "medical-sector", "lowest-earning" and "US-based" carry a known word on each side of the
    hyphen, while "closed-won" and "follow-up" are phrases of their own.
    """

    def split(match: re.Match[str]) -> str:
        word = match.group(0)
        return word if word in known else word.replace("-", " ")

    return re.sub(r"(?<![a-z0-9])[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)+(?![a-z0-9])", split, text)
