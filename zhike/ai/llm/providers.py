"""Talking to OpenAI-compatible chat-completions and embeddings endpoints.

One client serves DeepSeek, Qwen (DashScope compatible mode), GLM, Kimi,
vLLM and Ollama: they all speak the same wire format. Retries back off
exponentially on timeouts, connection errors and 5xx, and wait as long as a
429's Retry-After asks (within a cap). Nothing here logs a prompt, an answer
or a key.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from zhike.core.timeutil import utc_now

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER_SECONDS = 30.0


@dataclass(slots=True)
class ProviderRequest:
    """A chat request as a provider sees it; ``documents`` and ``question`` serve ``local``."""

    purpose: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    wants_json: bool = False
    max_tokens: int | None = None
    temperature: float | None = None
    documents: list[str] = field(default_factory=list)
    question: str | None = None
    locale: str = "zh-CN"


@dataclass(slots=True)
class ProviderReply:
    text: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str | None = None
    # Set by the local provider for purposes it cannot answer; callers use their own parser.
    is_no_parse: bool = False


class ProviderError(Exception):
    """A provider failed after its retries; ``reason`` is safe to log and show."""

    def __init__(self, provider: str, reason: str, status: int | None = None) -> None:
        self.provider = provider
        self.reason = reason
        self.status = status
        super().__init__(f"{provider}: {reason}")


class Provider(Protocol):
    name: str
    is_network: bool
    is_private: bool
    model: str | None

    def complete(self, request: ProviderRequest) -> ProviderReply: ...

    def stream(self, request: ProviderRequest) -> Iterator[str | ProviderReply]: ...

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]: ...


@dataclass(slots=True)
class ProviderConfig:
    name: str
    base_url: str
    chat_model: str | None
    embedding_model: str | None = None
    api_key: str | None = None
    timeout_seconds: float = 30.0
    max_retries: int = 2
    is_private: bool = False
    backoff_seconds: float = 0.5


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - utc_now()).total_seconds()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER_SECONDS))


class OpenAICompatibleProvider:
    is_network = True

    def __init__(
        self,
        config: ProviderConfig,
        client: httpx.Client,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.name = config.name
        self.model = config.chat_model
        self.is_private = config.is_private
        self._client = client
        self._sleep = sleep

    def _url(self, path: str) -> str:
        return self.config.base_url.rstrip("/") + path

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        return headers

    def _body(self, request: ProviderRequest, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.config.chat_model, "messages": request.messages}
        if request.tools:
            body["tools"] = request.tools
        if request.wants_json:
            body["response_format"] = {"type": "json_object"}
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def _backoff(self, attempt: int) -> float:
        base: float = self.config.backoff_seconds * (2**attempt)
        return base + random.uniform(0, base / 2)  # noqa: S311 - jitter, not security

    def _open(self, path: str, body: dict[str, Any], stream: bool) -> httpx.Response:
        """Send with retries; return a response with a 2xx status (unread when streaming)."""
        attempts = self.config.max_retries + 1
        last_reason = "no attempt"
        last_status: int | None = None
        for attempt in range(attempts):
            delay = self._backoff(attempt)
            try:
                request = self._client.build_request(
                    "POST",
                    self._url(path),
                    json=body,
                    headers=self._headers(),
                    timeout=self.config.timeout_seconds,
                )
                response = self._client.send(request, stream=stream)
            except httpx.TimeoutException:
                last_reason, last_status = "timeout", None
            except httpx.TransportError as error:
                last_reason, last_status = f"connection failed ({type(error).__name__})", None
            else:
                status = response.status_code
                if status < 400:
                    return response
                response.close()
                last_status = status
                if status == 429:
                    last_reason = "rate limited (429)"
                    delay = parse_retry_after(response.headers.get("retry-after")) or delay
                elif status >= 500:
                    last_reason = f"server error ({status})"
                else:
                    raise ProviderError(self.name, f"request rejected ({status})", status)
            logger.warning(
                "llm provider attempt failed",
                extra={"provider": self.name, "attempt": attempt + 1, "reason": last_reason},
            )
            if attempt + 1 < attempts:
                self._sleep(delay)
        raise ProviderError(self.name, f"{last_reason} after {attempts} attempt(s)", last_status)

    def complete(self, request: ProviderRequest) -> ProviderReply:
        response = self._open("/chat/completions", self._body(request, stream=False), stream=False)
        try:
            payload = response.json()
            message = payload["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise ProviderError(self.name, "malformed response body") from error
        usage = payload.get("usage") or {}
        return ProviderReply(
            text=message.get("content") or "",
            tool_calls=list(message.get("tool_calls") or []),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            model=payload.get("model") or self.model,
        )

    def stream(self, request: ProviderRequest) -> Iterator[str | ProviderReply]:
        """Yield text deltas as they arrive, then one ProviderReply with the whole answer."""
        response = self._open("/chat/completions", self._body(request, stream=True), stream=True)
        parts: list[str] = []
        tools: dict[int, dict[str, Any]] = {}
        usage: dict[str, Any] = {}
        model = self.model
        try:
            for data in iter_sse_data(response.iter_lines()):
                if data == "[DONE]":
                    break
                try:
                    chunk = json.loads(data)
                except ValueError as error:
                    raise ProviderError(self.name, "malformed stream chunk") from error
                usage = chunk.get("usage") or usage
                model = chunk.get("model") or model
                for choice in chunk.get("choices") or []:
                    delta = choice.get("delta") or {}
                    if delta.get("content"):
                        parts.append(delta["content"])
                        yield delta["content"]
                    for call in delta.get("tool_calls") or []:
                        _merge_tool_delta(tools, call)
        except httpx.TimeoutException as error:
            raise ProviderError(self.name, "timeout while streaming") from error
        finally:
            response.close()
        yield ProviderReply(
            text="".join(parts),
            tool_calls=[tools[index] for index in sorted(tools)],
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            model=model,
        )

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        if not self.config.embedding_model:
            raise ProviderError(self.name, "no embedding model configured")
        body = {"model": self.config.embedding_model, "input": texts}
        response = self._open("/embeddings", body, stream=False)
        try:
            payload = response.json()
            rows = sorted(payload["data"], key=lambda row: row.get("index", 0))
            vectors = [[float(value) for value in row["embedding"]] for row in rows]
        except (ValueError, KeyError, TypeError) as error:
            raise ProviderError(self.name, "malformed embeddings response") from error
        if len(vectors) != len(texts):
            raise ProviderError(self.name, "embeddings response has the wrong number of rows")
        return vectors, int((payload.get("usage") or {}).get("prompt_tokens") or 0)


def iter_sse_data(lines: Iterator[str]) -> Iterator[str]:
    """Yield the data of each server-sent event, joining multi-line data fields."""
    buffer: list[str] = []
    for line in lines:
        if not line:
            if buffer:
                yield "\n".join(buffer)
                buffer = []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if name == "data":
            buffer.append(value[1:] if value.startswith(" ") else value)
    if buffer:
        yield "\n".join(buffer)


def _merge_tool_delta(tools: dict[int, dict[str, Any]], delta: dict[str, Any]) -> None:
    index = int(delta.get("index", 0))
    current = tools.setdefault(
        index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
    )
    if delta.get("id"):
        current["id"] = delta["id"]
    function = delta.get("function") or {}
    if function.get("name"):
        current["function"]["name"] += function["name"]
    if function.get("arguments"):
        current["function"]["arguments"] += function["arguments"]
