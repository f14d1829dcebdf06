"""Scores from day one: priors and rules until a template has enough labelled outcomes."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from zhike.ai.models.templates import Template

# A small lexicon so that sentiment works before any tenant has labelled a single text.
POSITIVE_WORDS = (
    "好",
    "满意",
    "不错",
    "喜欢",
    "感谢",
    "谢谢",
    "棒",
    "赞",
    "快",
    "专业",
    "推荐",
    "热情",
    "方便",
    "good",
    "great",
    "thanks",
    "thank",
    "excellent",
    "love",
    "happy",
    "fast",
)
NEGATIVE_WORDS = (
    "差",
    "慢",
    "失望",
    "投诉",
    "退款",
    "退货",
    "坏",
    "问题",
    "糟糕",
    "生气",
    "不满",
    "骗",
    "垃圾",
    "难吃",
    "太贵",
    "没用",
    "bad",
    "slow",
    "refund",
    "broken",
    "angry",
    "terrible",
    "complaint",
    "worst",
    "not working",
)
_NEGATION = re.compile(r"(不|没|无|别|not |no )$")
SENTIMENT_BAND = (0.4, 0.6)


def rule_scores(
    template: Template, frame: pd.DataFrame
) -> tuple[np.ndarray, list[list[dict[str, Any]]]]:
    """Prior plus the weight of every matching rule, clipped to a probability."""
    scores = np.full(len(frame), template.prior, dtype=float)
    factors: list[list[dict[str, Any]]] = [[] for _ in range(len(frame))]
    for rule in template.rules:
        if rule.feature not in frame.columns:
            continue
        for row, value in enumerate(frame[rule.feature].tolist()):
            if (
                value is not None
                and not (isinstance(value, float) and np.isnan(value))
                and rule.matches(value)
            ):
                scores[row] += rule.weight
                factors[row].append(
                    {
                        "feature": "rule",
                        "value": rule.feature,
                        "contribution": round(rule.weight, 3),
                    }
                )
    for row_factors in factors:
        row_factors.sort(key=lambda factor: -abs(factor["contribution"]))
    return np.clip(scores, 0.01, 0.99), [row[:3] for row in factors]


def lexicon_sentiment(texts: list[str]) -> tuple[np.ndarray, list[list[dict[str, Any]]]]:
    """Share of positive cues among all cues, with a negation word flipping the cue after it."""
    scores = np.full(len(texts), 0.5)
    factors: list[list[dict[str, Any]]] = []
    for row, text in enumerate(texts):
        lowered = text.lower()
        found: list[dict[str, Any]] = []
        positive = negative = 0
        for words, sign in ((POSITIVE_WORDS, 1), (NEGATIVE_WORDS, -1)):
            for word in words:
                start = lowered.find(word)
                if start < 0:
                    continue
                flipped = bool(_NEGATION.search(lowered[max(0, start - 4) : start]))
                effective = -sign if flipped else sign
                if effective > 0:
                    positive += 1
                else:
                    negative += 1
                found.append({"feature": "term", "value": word, "contribution": 0.1 * effective})
        if positive + negative:
            scores[row] = (positive + 0.5) / (positive + negative + 1.0)
        factors.append(found[:3])
    return scores, factors


def sentiment_label(positive_probability: float) -> str:
    low, high = SENTIMENT_BAND
    if positive_probability < low:
        return "negative"
    if positive_probability > high:
        return "positive"
    return "neutral"
