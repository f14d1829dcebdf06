"""The tool registry: every action an agent can take, with a JSON schema for its input.

A tool receives a ``ToolContext`` whose ``actor`` is the user the agent works
for, and acts only through the service layer with that actor, so a tool call
sees and changes exactly what that user could in the UI. ``effect`` says what
kind of change a tool makes; it decides approvals and dry-run behaviour.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from zhike.core.errors import InvalidInput, NotFound
from zhike.security.context import Actor

if TYPE_CHECKING:
    from zhike.ai.agents.connectors import Connectors

# read: reads or computes, changes nothing. write: changes CRM records.
# outbound: sends something to a customer. destructive: deletes or overwrites data.
# external: calls a service outside Zhike without changing anything there.
Effect = Literal["read", "write", "outbound", "destructive", "external"]
APPROVAL_EFFECTS: frozenset[str] = frozenset({"outbound", "destructive"})


class ToolFailed(Exception):
    """A tool could not do its work; ``is_retryable`` says whether trying again may help."""

    def __init__(self, reason: str, *, is_retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.is_retryable = is_retryable


@dataclass
class ToolContext:
    session: Session
    actor: Actor
    run_id: uuid.UUID
    step_key: str
    idempotency_key: str
    now: datetime
    config: dict[str, Any]
    connectors: Connectors
    facts: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[ToolContext, Any], BaseModel]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    effect: Effect
    handler: Handler
    # False when part of the effect happens outside the database (an email, a call to
    # another company's API), so a rollback cannot undo it.
    is_transactional: bool = True
    # True when repeating the outside call is harmless (a lookup), so a call cut off
    # by a crash may simply be made again.
    is_repeatable: bool = False

    def input_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = self.input_model.model_json_schema()
        return schema

    def output_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = self.output_model.model_json_schema()
        return schema

    def parse_input(self, values: dict[str, Any]) -> BaseModel:
        """Validate ``values`` against the input schema; raise 400 naming the invalid fields."""
        try:
            return self.input_model.model_validate(values)
        except ValidationError as error:
            fields = ", ".join(
                ".".join(str(part) for part in item["loc"]) or "-" for item in error.errors()
            )
            raise InvalidInput("agent_tool_input_invalid", tool=self.name, fields=fields) from None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "effect": self.effect,
            "input_schema": self.input_schema(),
            "output_schema": self.output_schema(),
        }


_TOOLS: dict[str, Tool] = {}


def register_tool(tool: Tool) -> Tool:
    if tool.name in _TOOLS and _TOOLS[tool.name] is not tool:
        raise ValueError(f"tool {tool.name!r} is registered twice")
    _TOOLS[tool.name] = tool
    return tool


def load_tools() -> None:
    from zhike.ai.agents.domain import load_agents

    load_agents()


def get_tool(name: str) -> Tool:
    load_tools()
    try:
        return _TOOLS[name]
    except KeyError:
        raise NotFound("agent_tool_not_found", name=name) from None


def all_tools() -> list[Tool]:
    load_tools()
    return sorted(_TOOLS.values(), key=lambda tool: tool.name)
