"""Text normalisation and the two token views retrieval fuses: jieba words and characters."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

import jieba

logger = logging.getLogger(__name__)

# Function words and politeness that customers add to any question; they carry no intent.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "嘛",
        "哦",
        "哈",
        "是",
        "我",
        "你",
        "您",
        "他",
        "她",
        "它",
        "在",
        "有",
        "和",
        "与",
        "及",
        "就",
        "都",
        "也",
        "还",
        "又",
        "要",
        "会",
        "能",
        "可以",
        "请问",
        "请",
        "问",
        "问下",
        "一下",
        "下",
        "你好",
        "您好",
        "谢谢",
        "麻烦",
        "那",
        "这",
        "这个",
        "那个",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "为什么",
        "为啥",
        "吗?",
        "呢?",
        "个",
        "把",
        "被",
        "给",
        "对",
        "让",
        "从",
        "到",
        "想",
        "想问",
        "问一下",
        "我的",
        "我们",
        "你们",
        "现在",
        "已经",
        "没",
        "不",
        "没有",
    ]
)

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_jieba_lock = threading.Lock()
_jieba_ready = False


def _ensure_jieba() -> None:
    global _jieba_ready
    if _jieba_ready:
        return
    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba_ready = True


def normalize(text: str) -> str:
    """Fold full-width forms and case so that ＡＢＣ１ and abc1 match."""
    return unicodedata.normalize("NFKC", text).lower().strip()


@lru_cache(maxsize=65536)
def words(text: str) -> tuple[str, ...]:
    """Jieba search-mode words without punctuation and stopwords."""
    _ensure_jieba()
    tokens = []
    for token in jieba.lcut_for_search(normalize(text)):
        token = _NON_WORD.sub("", token)
        if token and token not in STOPWORDS:
            tokens.append(token)
    return tuple(tokens)


@lru_cache(maxsize=65536)
def characters(text: str) -> tuple[str, ...]:
    """Single characters and character bigrams, robust to segmentation differences."""
    cleaned = _NON_WORD.sub(" ", normalize(text))
    grams: list[str] = []
    for chunk in cleaned.split():
        grams.extend(chunk)
        grams.extend(chunk[index : index + 2] for index in range(len(chunk) - 1))
    return tuple(grams)
