"""The LLM gateway: the only way any feature reaches a language model.

For each request it reads the classification of every record field involved,
plans a route (highly sensitive data stays on private or local providers),
replaces personal data with placeholders before anything leaves the company,
calls providers along the fallback chain with caching and in-flight sharing,
validates structured answers and proposed tool calls, restores the values in
the answer, and accounts for usage and disclosure in the caller's session.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from zhike.ai.llm.cache import InFlight, ResponseCache, request_key
from zhike.ai.llm.errors import InvalidModelOutput, LLMUnavailable
from zhike.ai.llm.local import LocalProvider
from zhike.ai.llm.models import LLMPolicy, LLMProvider
from zhike.ai.llm.names import NameMatcherCache, name_matchers
from zhike.ai.llm.policy import PURPOSES, load_policy, load_providers, plan_route
from zhike.ai.llm.privacy import CATEGORIES, Detector, Redactor
from zhike.ai.llm.prompting import data_block, system_prompt
from zhike.ai.llm.providers import (
    OpenAICompatibleProvider,
    Provider,
    ProviderConfig,
    ProviderError,
    ProviderReply,
    ProviderRequest,
)
from zhike.ai.llm.secrets import decrypt_secret
from zhike.ai.llm.usage import (
    UsageEntry,
    call_cost,
    check_tenant_budget,
    log_disclosure,
    provider_budget_reason,
    record_usage,
)
from zhike.core.errors import InvalidInput
from zhike.platform.classification import (
    INTERNAL,
    classify_field,
    load_classifications,
    strictest,
)
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

STRUCTURED_ATTEMPTS = 2
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$")
# Placeholder category of a withheld field value, by field name (others become VALUE).
_FIELD_LABELS = {"mobile": "phone", "phone": "phone", "email": "email", "address": "address"}


@dataclass(slots=True)
class RecordData:
    """A record the request draws on: its object name and the fields it uses."""

    object_name: str
    fields: dict[str, str | None]


@dataclass(slots=True)
class ToolSpec:
    name: str
    description: str
    arguments: type[BaseModel]

    def wire(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.arguments.model_json_schema(),
            },
        }


# Decides whether the actor may run a tool with these arguments; no callback means no.
ToolPermission = Callable[[Actor, str, BaseModel], bool]


@dataclass(slots=True)
class LLMRequest:
    purpose: str
    instruction: str
    documents: list[str] = field(default_factory=list)
    records: list[RecordData] = field(default_factory=list)
    question: str | None = None
    response_model: type[BaseModel] | None = None
    tools: list[ToolSpec] = field(default_factory=list)
    max_tokens: int | None = None
    temperature: float | None = None


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: BaseModel | None
    is_accepted: bool
    reason: str | None = None


@dataclass(slots=True)
class LLMResult:
    text: str
    provider: str
    model: str | None
    parsed: BaseModel | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    is_cache_hit: bool = False
    is_no_parse: bool = False
    redacted_categories: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Prepared:
    """Both versions of a request: raw for local and private providers, redacted for the rest."""

    raw: ProviderRequest
    redacted: ProviderRequest
    redactor: Redactor
    strictest: str
    clear_fields: list[str]
    all_fields: list[str]


class LLMGateway:
    def __init__(
        self,
        *,
        http_client: httpx.Client | None = None,
        cache: ResponseCache | None = None,
        names: NameMatcherCache | None = None,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = http_client or httpx.Client()
        self.cache = cache or ResponseCache()
        self.in_flight = InFlight()
        self.names = names or name_matchers
        self.local = LocalProvider()
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep

    # -- building --------------------------------------------------------------

    def provider_for(self, row: LLMProvider) -> Provider:
        api_key = (
            decrypt_secret(row.api_key_encrypted, row.tenant_id) if row.api_key_encrypted else None
        )
        config = ProviderConfig(
            name=row.name,
            base_url=row.base_url,
            chat_model=row.chat_model,
            embedding_model=row.embedding_model,
            api_key=api_key,
            timeout_seconds=row.timeout_seconds,
            max_retries=row.max_retries,
            is_private=row.is_private,
            backoff_seconds=self.backoff_seconds,
        )
        return OpenAICompatibleProvider(config, self._client, sleep=self._sleep)

    def redactor_for(self, session: Session, actor: Actor, policy: LLMPolicy) -> Redactor:
        categories = set(CATEGORIES)
        if not policy.redact_company_names:
            categories.discard("company")
        detector = Detector(self.names.get(session, actor.tenant_id))
        return Redactor(detector=detector, redact_categories=frozenset(categories))

    def _prepare(
        self, session: Session, actor: Actor, request: LLMRequest, policy: LLMPolicy
    ) -> _Prepared:
        overrides = load_classifications(session, actor.tenant_id)
        redactor = self.redactor_for(session, actor, policy)
        classes: list[str] = []
        raw_lines: list[str] = []
        safe_lines: list[str] = []
        clear_fields: list[str] = []
        all_fields: list[str] = []
        for record in request.records:
            for name, value in record.fields.items():
                if value is None or value == "":
                    continue
                text = str(value)
                label = f"{record.object_name}.{name}"
                classification = classify_field(record.object_name, name, overrides)
                classes.append(classification)
                all_fields.append(label)
                raw_lines.append(f"{label}: {text}")
                if classification == INTERNAL or classification == "public":
                    clear_fields.append(label)
                    safe_lines.append(f"{label}: {redactor.redact(text)}")
                else:
                    category = _FIELD_LABELS.get(name, "person" if name == "name" else "value")
                    redactor.literals.append((text, category))
                    safe_lines.append(f"{label}: {redactor.redact_value(text, category)}")
        redacted_documents = [redactor.redact(text) for text in request.documents]
        redacted_question = redactor.redact(request.question) if request.question else None
        instruction = redactor.redact(request.instruction)
        schema = (
            json.dumps(request.response_model.model_json_schema(), ensure_ascii=False)
            if request.response_model
            else None
        )
        tools = [tool.wire() for tool in request.tools] or None

        def build(lines: list[str], documents: list[str], question: str | None) -> ProviderRequest:
            blocks = []
            if lines:
                blocks.append(data_block("crm_records", "\n".join(lines)))
            blocks.extend(
                data_block(f"document_{index}", text) for index, text in enumerate(documents, 1)
            )
            if question:
                blocks.append(f"Question:\n{data_block('question', question)}")
            return ProviderRequest(
                purpose=request.purpose,
                messages=[
                    {"role": "system", "content": system_prompt(instruction, schema)},
                    {"role": "user", "content": "\n\n".join(blocks)},
                ],
                tools=tools,
                wants_json=schema is not None,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                documents=documents,
                question=question,
                locale=actor.locale,
            )

        raw = build(raw_lines, list(request.documents), request.question)
        redacted = build(safe_lines, redacted_documents, redacted_question)
        return _Prepared(raw, redacted, redactor, strictest(classes), clear_fields, all_fields)

    # -- calling ---------------------------------------------------------------

    def complete(
        self,
        session: Session,
        actor: Actor,
        request: LLMRequest,
        *,
        tool_permission: ToolPermission | None = None,
    ) -> LLMResult:
        """Answer ``request`` through the first provider of the allowed chain that succeeds."""
        if request.purpose not in PURPOSES:
            raise InvalidInput(
                "llm_unknown_purpose", purpose=request.purpose, known=", ".join(PURPOSES)
            )
        policy = load_policy(session, actor.tenant_id)
        rows = load_providers(session, actor.tenant_id)
        prepared = self._prepare(session, actor, request, policy)
        plan = plan_route(policy, rows, request.purpose, prepared.strictest)
        skipped: list[str] = []
        if plan.providers:
            check_tenant_budget(session, policy, actor.tenant_id)
        for row in plan.providers:
            reason = provider_budget_reason(session, row)
            if reason is not None:
                skipped.append(f"{row.name}: {reason}")
                continue
            try:
                result = self._call_network(
                    session, actor, request, prepared, policy, row, tool_permission
                )
            except (ProviderError, InvalidModelOutput) as error:
                skipped.append(f"{row.name}: {_reason(error)}")
                continue
            result.skipped = skipped
            return result
        if plan.use_local:
            result = self._call_local(session, actor, request, prepared)
            result.skipped = skipped
            return result
        raise LLMUnavailable(reasons="; ".join(skipped) or "-")

    def _call_local(
        self, session: Session, actor: Actor, request: LLMRequest, prepared: _Prepared
    ) -> LLMResult:
        started = time.perf_counter()
        reply = self.local.complete(prepared.raw)
        record_usage(
            session,
            actor,
            UsageEntry(
                feature=request.purpose,
                provider_name=self.local.name,
                model=reply.model,
                latency_ms=int((time.perf_counter() - started) * 1000),
                outcome="no_parse" if reply.is_no_parse else "ok",
            ),
        )
        return LLMResult(
            text=reply.text,
            provider=self.local.name,
            model=reply.model,
            is_no_parse=reply.is_no_parse,
        )

    def _call_network(
        self,
        session: Session,
        actor: Actor,
        request: LLMRequest,
        prepared: _Prepared,
        policy: LLMPolicy,
        row: LLMProvider,
        tool_permission: ToolPermission | None,
    ) -> LLMResult:
        provider = self.provider_for(row)
        redacts = not row.is_private
        outgoing = prepared.redacted if redacts else prepared.raw
        key = (
            request_key(actor.tenant_id, row.name, row.chat_model, _cache_body(outgoing))
            if redacts
            else None
        )
        cached = self.cache.get(key) if key else None
        if cached is not None:
            record_usage(
                session,
                actor,
                UsageEntry(
                    request.purpose, row.name, cached.model, is_cache_hit=True, outcome="cache_hit"
                ),
            )
            return self._finish(
                cached, request, prepared, row, actor, tool_permission, is_cache_hit=True
            )

        disclosed, withheld = self._disclosure(prepared, redacts)
        messages = list(outgoing.messages)
        for attempt in range(STRUCTURED_ATTEMPTS if request.response_model else 1):
            attempt_request = _with_messages(outgoing, messages)
            started = time.perf_counter()
            entry = UsageEntry(
                request.purpose, row.name, row.chat_model, disclosed_categories=disclosed
            )
            try:
                if key is not None and attempt == 0:
                    reply, _ = self.in_flight.run(key, partial(provider.complete, attempt_request))
                else:
                    reply = provider.complete(attempt_request)
            except ProviderError:
                entry.outcome = "failed"
                entry.latency_ms = int((time.perf_counter() - started) * 1000)
                record_usage(session, actor, entry)
                raise
            entry.latency_ms = int((time.perf_counter() - started) * 1000)
            entry.prompt_tokens, entry.completion_tokens = (
                reply.prompt_tokens,
                reply.completion_tokens,
            )
            entry.cost = call_cost(row, reply.prompt_tokens, reply.completion_tokens)
            entry.model = reply.model
            log_disclosure(
                session,
                actor,
                provider=row.name,
                model=reply.model,
                purpose=request.purpose,
                disclosed=disclosed,
                redacted=withheld,
            )
            try:
                result = self._finish(reply, request, prepared, row, actor, tool_permission)
            except InvalidModelOutput as error:
                entry.outcome = "invalid_output"
                record_usage(session, actor, entry)
                messages = [
                    *outgoing.messages,
                    {"role": "assistant", "content": reply.text},
                    {
                        "role": "user",
                        "content": f"The answer was rejected: {error}. Reply again with JSON only.",
                    },
                ]
                continue
            record_usage(session, actor, entry)
            if key is not None:
                self.cache.put(key, reply, policy.cache_seconds)
            return result
        raise InvalidModelOutput(f"no valid answer after {STRUCTURED_ATTEMPTS} attempts")

    def _disclosure(self, prepared: _Prepared, redacts: bool) -> tuple[list[str], list[str]]:
        """Categories sent in clear, and categories withheld behind placeholders."""
        redactor = prepared.redactor
        if not redacts:
            seen = redactor.categories_seen | redactor.categories_kept
            return sorted(seen | set(prepared.all_fields)), []
        return (
            sorted(redactor.categories_kept | set(prepared.clear_fields)),
            sorted(redactor.categories_seen),
        )

    def _finish(
        self,
        reply: ProviderReply,
        request: LLMRequest,
        prepared: _Prepared,
        row: LLMProvider,
        actor: Actor,
        tool_permission: ToolPermission | None,
        is_cache_hit: bool = False,
    ) -> LLMResult:
        redactor = prepared.redactor
        parsed = None
        if request.response_model is not None:
            parsed = parse_structured(reply.text, request.response_model, redactor)
        calls = [
            check_tool_call(call, request.tools, actor, tool_permission, redactor)
            for call in reply.tool_calls
        ]
        return LLMResult(
            text=redactor.restore(reply.text),
            provider=row.name,
            model=reply.model,
            parsed=parsed,
            tool_calls=calls,
            is_cache_hit=is_cache_hit,
            redacted_categories=sorted(redactor.categories_seen) if not row.is_private else [],
        )

    def stream(self, session: Session, actor: Actor, request: LLMRequest) -> Iterator[str]:
        """Yield the answer as it arrives, placeholders restored even when split across chunks.

        Providers are tried in order until one starts answering; a failure after
        the first chunk is raised, since half an answer cannot be retracted.
        """
        if request.response_model is not None or request.tools:
            raise InvalidInput("llm_stream_unsupported")
        if request.purpose not in PURPOSES:
            raise InvalidInput(
                "llm_unknown_purpose", purpose=request.purpose, known=", ".join(PURPOSES)
            )
        policy = load_policy(session, actor.tenant_id)
        rows = load_providers(session, actor.tenant_id)
        prepared = self._prepare(session, actor, request, policy)
        plan = plan_route(policy, rows, request.purpose, prepared.strictest)
        if plan.providers:
            check_tenant_budget(session, policy, actor.tenant_id)
        skipped: list[str] = []
        for row in plan.providers:
            reason = provider_budget_reason(session, row)
            if reason is not None:
                skipped.append(f"{row.name}: {reason}")
                continue
            redacts = not row.is_private
            outgoing = prepared.redacted if redacts else prepared.raw
            restorer = prepared.redactor.stream_restorer()
            disclosed, withheld = self._disclosure(prepared, redacts)
            entry = UsageEntry(
                request.purpose, row.name, row.chat_model, disclosed_categories=disclosed
            )
            started = time.perf_counter()
            has_started = False
            try:
                for item in self.provider_for(row).stream(outgoing):
                    if isinstance(item, ProviderReply):
                        entry.prompt_tokens, entry.completion_tokens = (
                            item.prompt_tokens,
                            item.completion_tokens,
                        )
                        entry.model = item.model
                        continue
                    if not has_started:
                        has_started = True
                        log_disclosure(
                            session,
                            actor,
                            provider=row.name,
                            model=row.chat_model,
                            purpose=request.purpose,
                            disclosed=disclosed,
                            redacted=withheld,
                        )
                    restored = restorer.feed(item)
                    if restored:
                        yield restored
            except ProviderError as error:
                entry.outcome = "failed"
                entry.latency_ms = int((time.perf_counter() - started) * 1000)
                record_usage(session, actor, entry)
                if has_started:
                    raise LLMUnavailable(reasons=f"{row.name}: {error.reason}") from error
                skipped.append(f"{row.name}: {error.reason}")
                continue
            tail = restorer.flush()
            if tail:
                yield tail
            entry.latency_ms = int((time.perf_counter() - started) * 1000)
            entry.cost = call_cost(row, entry.prompt_tokens, entry.completion_tokens)
            record_usage(session, actor, entry)
            return
        if plan.use_local:
            result = self._call_local(session, actor, request, prepared)
            if result.text:
                yield result.text
            return
        raise LLMUnavailable(reasons="; ".join(skipped) or "-")

    def embed(self, session: Session, actor: Actor, texts: list[str]) -> list[list[float]]:
        """Embed redacted texts with the first allowed provider that has an embedding model."""
        policy = load_policy(session, actor.tenant_id)
        rows = [row for row in load_providers(session, actor.tenant_id) if row.embedding_model]
        plan = plan_route(policy, rows, "embedding", INTERNAL)
        redactor = self.redactor_for(session, actor, policy)
        redacted = [redactor.redact(text) for text in texts]
        if plan.providers:
            check_tenant_budget(session, policy, actor.tenant_id)
        for row in plan.providers:
            if provider_budget_reason(session, row) is not None:
                continue
            outgoing = texts if row.is_private else redacted
            started = time.perf_counter()
            try:
                vectors, tokens = self.provider_for(row).embed(outgoing)
            except ProviderError:
                record_usage(
                    session,
                    actor,
                    UsageEntry("embedding", row.name, row.embedding_model, outcome="failed"),
                )
                continue
            record_usage(
                session,
                actor,
                UsageEntry(
                    "embedding",
                    row.name,
                    row.embedding_model,
                    prompt_tokens=tokens,
                    latency_ms=int((time.perf_counter() - started) * 1000),
                    cost=call_cost(row, tokens, 0),
                ),
            )
            return vectors
        vectors, _ = self.local.embed(texts)
        record_usage(session, actor, UsageEntry("embedding", self.local.name, self.local.model))
        return vectors


def _reason(error: Exception) -> str:
    return error.reason if isinstance(error, ProviderError) else str(error)


def _with_messages(request: ProviderRequest, messages: list[dict[str, Any]]) -> ProviderRequest:
    return ProviderRequest(
        purpose=request.purpose,
        messages=messages,
        tools=request.tools,
        wants_json=request.wants_json,
        max_tokens=request.max_tokens,
        temperature=request.temperature,
        documents=request.documents,
        question=request.question,
        locale=request.locale,
    )


def _cache_body(request: ProviderRequest) -> dict[str, Any]:
    return {
        "purpose": request.purpose,
        "messages": request.messages,
        "tools": request.tools,
        "json": request.wants_json,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
    }


def _restore_values(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return redactor.restore(value)
    if isinstance(value, list):
        return [_restore_values(item, redactor) for item in value]
    if isinstance(value, dict):
        return {key: _restore_values(item, redactor) for key, item in value.items()}
    return value


def parse_structured(text: str, model: type[BaseModel], redactor: Redactor) -> BaseModel:
    """Parse and validate a JSON answer; anything that does not validate is rejected."""
    try:
        data = json.loads(_FENCE.sub("", text))
    except ValueError as error:
        raise InvalidModelOutput("the answer is not valid JSON") from error
    try:
        return model.model_validate(_restore_values(data, redactor))
    except ValidationError as error:
        fields = ", ".join(
            ".".join(str(part) for part in item["loc"]) or "-" for item in error.errors()
        )
        raise InvalidModelOutput(
            f"the answer does not match the schema (fields: {fields})"
        ) from error


def check_tool_call(
    call: dict[str, Any],
    tools: list[ToolSpec],
    actor: Actor,
    permission: ToolPermission | None,
    redactor: Redactor,
) -> ToolCall:
    """Validate a proposed tool call against its schema and the actor's permissions."""
    function = call.get("function") or {}
    name = str(function.get("name") or "")
    call_id = str(call.get("id") or "")
    spec = next((tool for tool in tools if tool.name == name), None)
    if spec is None:
        return ToolCall(call_id, name, None, False, "unknown tool")
    try:
        raw = json.loads(function.get("arguments") or "{}")
        arguments = spec.arguments.model_validate(_restore_values(raw, redactor))
    except (ValueError, ValidationError):
        return ToolCall(call_id, name, None, False, "arguments do not match the schema")
    if permission is None or not permission(actor, name, arguments):
        return ToolCall(call_id, name, arguments, False, "not permitted for this user")
    return ToolCall(call_id, name, arguments, True)
