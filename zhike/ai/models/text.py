"""Tokenisation of Chinese and English text for the text templates."""

from __future__ import annotations

import logging
import re

import jieba

# jieba announces its dictionary load on the root logger at DEBUG/INFO; keep it quiet.
jieba.setLogLevel(logging.WARNING)

_SPACE = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"^[\W_]+$")


def tokenize_words(text: str) -> list[str]:
    """Split Chinese into jieba words and English into lower-case words, without punctuation."""
    tokens = jieba.lcut(_SPACE.sub(" ", text.lower()), HMM=False)
    return [token for token in tokens if token.strip() and not _PUNCTUATION.match(token)]
