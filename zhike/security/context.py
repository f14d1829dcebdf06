"""Who is acting: every service call receives an Actor and never reads globals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from zhike.security.roles import BUILTIN_ROLES, NO_ACCESS, SYSTEM_ROLE, RoleDefinition


@dataclass(frozen=True, slots=True)
class SharingGrant:
    """A sharing rule that applies to the actor: records of ``object_name`` matching ``filters``."""

    object_name: str
    filters: tuple[tuple[str, str], ...]
    can_edit: bool


@dataclass(frozen=True, slots=True)
class Actor:
    """The user (or system job) on whose behalf a service call runs.

    ``grants`` is the resolved role; when it is not given, a built-in role of
    that key is used, ``system`` gets full access, and any other key gets none.
    """

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None
    role: str
    locale: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    region: str = "CN"
    currency: str = "CNY"
    team_id: uuid.UUID | None = None
    # The actor's team and its parents, for sharing rules granted to a department.
    team_path: tuple[uuid.UUID, ...] = ()
    # The actor's team and every team below it, for the department_tree scope.
    team_subtree: tuple[uuid.UUID, ...] = ()
    # Users whose records the department and department_tree scopes open, loaded once
    # per request so that the scope is an index lookup on owner_id, not a subquery.
    department_members: tuple[uuid.UUID, ...] = ()
    subtree_members: tuple[uuid.UUID, ...] = ()
    # Manual shares that reach the actor: (object, record id, may edit). When there are
    # more than fit a query comfortably, ``shares_overflow`` makes scoping use a subquery.
    shares: tuple[tuple[str, uuid.UUID, bool], ...] = ()
    shares_overflow: bool = False
    grants: RoleDefinition = field(default=NO_ACCESS, compare=False)
    sharing: tuple[SharingGrant, ...] = field(default=(), compare=False)
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.grants is NO_ACCESS:
            resolved = (
                SYSTEM_ROLE if self.role == "system" else BUILTIN_ROLES.get(self.role, NO_ACCESS)
            )
            object.__setattr__(self, "grants", resolved)

    @property
    def is_system(self) -> bool:
        """True for jobs and imports that act for the tenant rather than for a person."""
        return self.user_id is None and self.role == "system"

    def with_locale(self, locale: str) -> Actor:
        # Every other field carries over: dropping the member lists or shares here
        # would silently narrow what the actor sees when a request names a language.
        return replace(self, locale=locale, cache={})


def system_actor(tenant_id: uuid.UUID, **settings: Any) -> Actor:
    """An actor for jobs and command-line imports that act for the tenant as a whole."""
    return Actor(tenant_id=tenant_id, user_id=None, role="system", **settings)
