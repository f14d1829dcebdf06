"""Declarations of the CRM objects that the generic record service handles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from zhike.core.db import Base
from zhike.security.context import Actor

# A hook that checks and rewrites incoming values before they are stored. It receives
# the values being written and the stored record (None on create), and returns the
# values to store or raises ValidationFailed.
Normalizer = Callable[[Session, Actor, dict[str, Any], Any], dict[str, Any]]
AfterWrite = Callable[[Session, Actor, Any, dict[str, Any], dict[str, Any] | None], None]


@dataclass(frozen=True)
class ObjectSpec:
    """Everything the generic service and router need to know about one object."""

    name: str  # API path segment and permission name, e.g. "contacts"
    model: type[Base]
    create_schema: type[BaseModel]
    update_schema: type[BaseModel]
    read_schema: type[BaseModel]
    search_fields: tuple[str, ...] = ("name",)
    filter_fields: tuple[str, ...] = ()
    sort_fields: tuple[str, ...] = ("created_at", "updated_at", "name")
    default_sort: str = "-created_at"
    normalizers: tuple[Normalizer, ...] = ()
    after_write: tuple[AfterWrite, ...] = ()
    export_fields: tuple[str, ...] = field(default=())
    # Built-in text fields that contain a coded value from a fixed list. The field catalog
    # offers these values with their labels (``field_choice.<object>.<field>.<value>``).
    choice_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Choice fields whose writes also accept other values, so a filter cannot reject one.
    open_choice_fields: tuple[str, ...] = ()

    @property
    def closed_choices(self) -> dict[str, tuple[str, ...]]:
        """Return the choice fields whose stored values always come from their list."""
        return {
            name: values
            for name, values in self.choice_fields.items()
            if name not in self.open_choice_fields
        }


_OBJECTS: dict[str, ObjectSpec] = {}


def register_object(spec: ObjectSpec) -> ObjectSpec:
    _OBJECTS[spec.name] = spec
    return spec


def get_object(name: str) -> ObjectSpec:
    from zhike.core.errors import NotFound

    load_objects()
    try:
        return _OBJECTS[name]
    except KeyError:
        raise NotFound("unknown_object", name=name, known=", ".join(sorted(_OBJECTS))) from None


def all_objects() -> list[ObjectSpec]:
    load_objects()
    return list(_OBJECTS.values())


def load_objects() -> None:
    from zhike.customers import objects as _customers  # noqa: F401
    from zhike.marketing import objects as _marketing  # noqa: F401
    from zhike.sales import objects as _sales  # noqa: F401
    from zhike.service import objects as _service  # noqa: F401
