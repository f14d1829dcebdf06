"""Per-tenant configuration of each agent, validated by the agent's own settings model."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.ai.agents.connectors import CompanyInfoSettings, SmtpSettings
from zhike.ai.agents.models import AgentSetting
from zhike.core.errors import ValidationFailed
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

SECRET_KEYS = frozenset({"password", "api_key"})
SECRET_SHOWN = "********"  # noqa: S105 - the mask shown instead of a secret


class BaseAgentSettings(BaseModel):
    """Settings every agent has; each agent extends them with its own thresholds."""

    model_config = ConfigDict(extra="forbid")

    # Tenant rules that let a kind of step run without a person approving it first.
    auto_approve_outbound: bool = False
    auto_approve_destructive: bool = False
    max_replans: int = Field(default=2, ge=0, le=5)
    retry_base_seconds: int = Field(default=30, ge=1, le=3600)
    company_info: CompanyInfoSettings | None = None
    smtp: SmtpSettings | None = None


def parse_settings(model: type[BaseAgentSettings], config: dict[str, Any]) -> BaseAgentSettings:
    """Validate stored or submitted settings; list every invalid field at once."""
    try:
        return model.model_validate(config)
    except ValidationError as error:
        raise ValidationFailed(
            [
                {
                    "field": ".".join(str(part) for part in item["loc"]) or "config",
                    "code": item["type"],
                    "message": item["msg"],
                }
                for item in error.errors()
            ]
        ) from None


def load_setting(session: Session, actor: Actor, agent: str) -> AgentSetting | None:
    return session.scalar(
        select(AgentSetting).where(
            AgentSetting.tenant_id == actor.tenant_id,
            AgentSetting.agent == agent,
            AgentSetting.deleted_at.is_(None),
        )
    )


def effective_settings(
    session: Session, actor: Actor, agent: str, model: type[BaseAgentSettings]
) -> tuple[bool, BaseAgentSettings]:
    """Return whether the agent is enabled and its settings, defaults where none are stored.

    A stored configuration that no longer validates (a setting renamed in an
    upgrade) disables the agent rather than running it with guessed values.
    """
    row = load_setting(session, actor, agent)
    if row is None:
        return True, model()
    try:
        return row.is_enabled, model.model_validate(row.config)
    except ValidationError:
        logger.error("stored agent settings are invalid; agent disabled", extra={"agent": agent})
        return False, model()


def seal_secrets(
    config: dict[str, Any], stored: dict[str, Any], tenant_id: uuid.UUID
) -> dict[str, Any]:
    """Encrypt the secrets of submitted settings; the shown mask keeps the stored secret."""
    from zhike.ai.llm.secrets import encrypt_secret

    sealed: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            previous = stored.get(key)
            sealed[key] = seal_secrets(
                value, previous if isinstance(previous, dict) else {}, tenant_id
            )
        elif key in SECRET_KEYS and isinstance(value, str) and value:
            sealed[key] = (
                stored.get(key) if value == SECRET_SHOWN else encrypt_secret(value, tenant_id)
            )
        else:
            sealed[key] = value
    return sealed


def open_secrets(config: dict[str, Any], tenant_id: uuid.UUID) -> dict[str, Any]:
    """Decrypt the secrets of stored settings for a connector that needs them."""
    from zhike.ai.llm.secrets import decrypt_secret

    opened: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            opened[key] = open_secrets(value, tenant_id)
        elif key in SECRET_KEYS and isinstance(value, str) and value:
            opened[key] = decrypt_secret(value, tenant_id)
        else:
            opened[key] = value
    return opened


def shown_config(settings: BaseAgentSettings) -> dict[str, Any]:
    """Return the settings as JSON with secrets replaced, for the API and the UI."""

    def hide(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: (SECRET_SHOWN if key in SECRET_KEYS and item else hide(item))
                for key, item in value.items()
            }
        return value

    shown: dict[str, Any] = hide(settings.model_dump(mode="json"))
    return shown
