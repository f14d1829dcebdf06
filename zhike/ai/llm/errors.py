"""Errors of the LLM gateway, each with a stable code and a localized message."""

from __future__ import annotations

from zhike.core.errors import Forbidden, ZhikeError


class LLMRefused(Forbidden):
    """The data or the purpose may not go to any provider the tenant allows."""

    code = "llm_refused"


class LLMBudgetExhausted(ZhikeError):
    status = 429
    code = "llm_budget_exhausted"


class LLMUnavailable(ZhikeError):
    """Every provider of the chain failed; ``reasons`` says why each one did."""

    status = 502
    code = "llm_unavailable"


class InvalidModelOutput(Exception):
    """A model answer that failed validation; it is retried or rejected, never trusted."""
