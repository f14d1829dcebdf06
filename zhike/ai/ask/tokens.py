"""Splitting a normalized question into tokens and matching them against the lexicon.

Chinese runs are cut by jieba, with every Chinese phrase of the lexicon added to a
tokenizer of our own (so product names and field labels stay whole, and the
retrieval index's tokenizer is left alone). Latin words and numbers are tokens of
their own. Phrases are then matched greedily, longest first, over the tokens; a
Chinese token that matches nothing is matched character by character, longest
phrase first, so a segmentation jieba gets wrong does not hide a known word.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

import jieba

from zhike.ai.ask import vocabulary as words
from zhike.ai.ask.lexicon import Lexicon, Term

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"__\w+?__|[a-z0-9][a-z0-9.&'+_-]*|[\u3400-\u9fff]+|&", re.UNICODE)
_CJK = re.compile(r"^[\u3400-\u9fff]+$")
MAX_PHRASE_TOKENS = 6
# Words that join two phrases of a list: "by region and product", "按区域和产品".
# "series x region" crosses two dimensions the way "and" lists them.
CONJUNCTIONS = frozenset(
    {"and", "or", "&", "plus", "和", "与", "及", "以及", "跟", "或", "或者", "x", "×"}
)

_tokenizer: jieba.Tokenizer | None = None
_known_words: set[str] = set()
_lock = threading.Lock()


def _jieba_tokenizer(lexicon: Lexicon) -> jieba.Tokenizer:
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            _tokenizer = jieba.Tokenizer()
            _tokenizer.initialize()
        for phrase in lexicon.terms:
            if phrase not in _known_words and _CJK.match(phrase):
                # A high frequency keeps the phrase whole against jieba's own words.
                _tokenizer.add_word(phrase, freq=100_000)
                _known_words.add(phrase)
        return _tokenizer


@dataclass(slots=True)
class Token:
    text: str
    is_cjk: bool


@dataclass(frozen=True, slots=True)
class Unmatched:
    """Text that matched no phrase: a Latin token, a whole Chinese token or part of one.

    ``token`` is the index of the token it came from, so neighbouring unmatched words can
    be joined back into the phrase the asker wrote ("churn risk", "流失风险").
    """

    text: str
    is_cjk: bool
    token: int
    whole: bool = True


@dataclass(slots=True)
class Phrase:
    """A matched phrase: its text, its meanings and its position among the phrases."""

    text: str
    terms: list[Term]
    position: int = 0
    # True when only a conjunction ("and", "和") separates it from the phrase before.
    conjoined: bool = False
    # The tokens it spans, ``first`` to ``last`` inclusive, to place unmatched words beside it.
    first_token: int = 0
    last_token: int = 0

    def first(self, kind: str) -> Term | None:
        return next((term for term in self.terms if term.kind == kind), None)

    def has(self, kind: str) -> bool:
        return any(term.kind == kind for term in self.terms)


def tokenize(text: str, lexicon: Lexicon) -> list[Token]:
    tokenizer = _jieba_tokenizer(lexicon)
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        piece = match.group(0)
        if _CJK.match(piece):
            tokens.extend(Token(word, True) for word in tokenizer.lcut(piece) if word.strip())
        else:
            tokens.append(Token(piece, False))
    return tokens


def _join(tokens: list[Token]) -> str:
    text = ""
    for index, token in enumerate(tokens):
        if index and not (token.is_cjk and tokens[index - 1].is_cjk):
            text += " "
        text += token.text
    return text


def _characters(token: str, lexicon: Lexicon) -> tuple[list[Phrase], list[str]]:
    """Forward maximum matching inside one Chinese token; also returns the unmatched runs."""
    phrases: list[Phrase] = []
    unknown: list[str] = []
    run = ""
    start = 0
    while start < len(token):
        for end in range(len(token), start, -1):
            terms = lexicon.terms.get(token[start:end])
            if terms:
                phrases.append(Phrase(token[start:end], list(terms)))
                if run:
                    unknown.append(run)
                    run = ""
                start = end
                break
        else:
            run += token[start]
            start += 1
    if run:
        unknown.append(run)
    return phrases, unknown


def match_phrases(tokens: list[Token], lexicon: Lexicon) -> tuple[list[Phrase], list[Unmatched]]:
    """Return the matched phrases in question order and the text that matched nothing."""
    phrases: list[Phrase] = []
    unknown: list[Unmatched] = []
    skipped: list[str] = []
    index = 0
    while index < len(tokens):
        for size in range(min(MAX_PHRASE_TOKENS, len(tokens) - index), 0, -1):
            text = _join(tokens[index : index + size])
            terms = lexicon.terms.get(text)
            if terms:
                conjoined = bool(skipped) and all(word in CONJUNCTIONS for word in skipped)
                phrases.append(
                    Phrase(
                        text,
                        list(terms),
                        conjoined=conjoined,
                        first_token=index,
                        last_token=index + size - 1,
                    )
                )
                skipped = []
                index += size
                break
        else:
            token = tokens[index]
            skipped.append(token.text)
            if token.text.startswith("__") and token.text.endswith("__"):
                phrases.append(Phrase(token.text, [], first_token=index, last_token=index))
                skipped = []
            elif token.is_cjk and len(token.text) > 1 and token.text in words.FILLER_WORDS:
                # A filler word jieba kept whole is not searched for shorter phrases:
                # "目前" contains "前" and "下来" contains "下", which mean something else alone.
                unknown.append(Unmatched(token.text, True, index))
            elif token.is_cjk:
                found, missing = _characters(token.text, lexicon)
                for phrase in found:
                    phrase.first_token = phrase.last_token = index
                phrases.extend(found)
                if found:
                    skipped = []
                whole = not found
                unknown.extend(Unmatched(text, True, index, whole) for text in missing)
            else:
                unknown.append(Unmatched(token.text, False, index))
            index += 1
    for position, phrase in enumerate(phrases):
        phrase.position = position
    return phrases, unknown
