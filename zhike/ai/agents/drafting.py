"""Drafted text: a template offline, a language model through the gateway when configured."""

from __future__ import annotations

import logging

from zhike.ai.agents.tools.registry import ToolContext
from zhike.ai.llm.gateway import LLMRequest, RecordData
from zhike.ai.llm.policy import load_providers
from zhike.core.errors import ZhikeError

logger = logging.getLogger(__name__)


def compose(
    context: ToolContext,
    purpose: str,
    instruction: str,
    template_text: str,
    records: list[RecordData] | None = None,
    documents: list[str] | None = None,
) -> tuple[str, str]:
    """Return the drafted text and where it came from (``template`` or the provider's name).

    The template text is the answer whenever no provider is configured or the
    gateway fails, so a draft never depends on the network.
    """
    if not load_providers(context.session, context.actor.tenant_id):
        return template_text, "template"
    from zhike.ai.agents.llm_planner import gateway

    request = LLMRequest(
        purpose=purpose,
        instruction=instruction,
        records=records or [],
        documents=[*(documents or []), "Template draft:\n" + template_text],
        max_tokens=800,
        temperature=0.3,
    )
    try:
        result = gateway().complete(context.session, context.actor, request)
    except ZhikeError as error:
        logger.info("draft falls back to the template", extra={"reason": error.code})
        return template_text, "template"
    if result.is_no_parse or not result.text.strip() or result.provider == "local":
        return template_text, "template"
    return result.text.strip(), result.provider
