"""The built-in ``local`` provider: deterministic answers with no network and no model.

Every feature keeps working offline. Summaries and answers are extractive
(sentences chosen by a simple frequency and overlap score), email drafts come
from a template, and parsing or classification answer "no parse" so callers
fall back to their own offline parsers.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterator

from zhike.ai.llm.providers import ProviderReply, ProviderRequest
from zhike.core.i18n import translate

SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)\s+")
SUMMARY_SENTENCES = 3
ANSWER_SENTENCES = 2
EMBEDDING_DIMENSIONS = 256


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE_END.split(text) if part and part.strip()]


def _terms(text: str) -> list[str]:
    """Character bigrams of Han text and lower-cased words otherwise: no segmenter needed."""
    terms: list[str] = [word.lower() for word in re.findall(r"[A-Za-z0-9]+", text)]
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        terms.extend(run[index : index + 2] for index in range(max(1, len(run) - 1)))
    return terms


def extractive_summary(text: str, count: int = SUMMARY_SENTENCES) -> str:
    sentences = split_sentences(text)
    if len(sentences) <= count:
        return "".join(sentences)
    frequency = Counter(_terms(text))
    scored = []
    for position, sentence in enumerate(sentences):
        terms = _terms(sentence)
        score = sum(frequency[term] for term in terms) / math.sqrt(len(terms) + 1)
        # Openings usually state the matter; give them a small lead.
        score *= 1.25 if position == 0 else 1.0
        scored.append((score, position))
    chosen = sorted(position for _, position in sorted(scored, key=lambda item: -item[0])[:count])
    return "".join(sentences[position] for position in chosen)


def extractive_answer(question: str, passages: list[str], count: int = ANSWER_SENTENCES) -> str:
    asked = set(_terms(question))
    candidates = [sentence for passage in passages for sentence in split_sentences(passage)]
    scored = [
        (len(asked & set(_terms(sentence))), -index, sentence)
        for index, sentence in enumerate(candidates)
    ]
    best = [item for item in sorted(scored, reverse=True)[:count] if item[0] > 0]
    return "".join(sentence for _, _, sentence in sorted(best, key=lambda item: -item[1]))


def hashed_embedding(text: str) -> list[float]:
    """Embed text as a bag of hashed character bigrams: crude, but stable for near-duplicates."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for term in _terms(text):
        digest = hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest()
        bucket = int.from_bytes(digest, "big")
        vector[bucket % EMBEDDING_DIMENSIONS] += 1.0 if bucket & 1 << 31 else -1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


class LocalProvider:
    name = "local"
    is_network = False
    is_private = True
    model: str | None = "local-extractive-1"

    def complete(self, request: ProviderRequest) -> ProviderReply:
        text = "\n".join(request.documents)
        if request.purpose == "summary":
            answer = extractive_summary(text)
        elif request.purpose == "email_draft":
            answer = translate(
                "llm.local.email_draft", request.locale, summary=extractive_summary(text, 2)
            )
        elif request.purpose == "answer_generation":
            answer = extractive_answer(request.question or "", request.documents)
        else:
            return ProviderReply(text="", model=self.model, is_no_parse=True)
        return ProviderReply(text=answer, model=self.model)

    def stream(self, request: ProviderRequest) -> Iterator[str | ProviderReply]:
        reply = self.complete(request)
        if reply.text:
            yield reply.text
        yield reply

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        return [hashed_embedding(text) for text in texts], 0
