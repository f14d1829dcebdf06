"""Validate a batch of rows with an object's write schema, without building models.

``TypeAdapter(list[schema])`` builds one model per row and then dumps it back
to a dict, which took about a tenth of an import's time. Where the schema's
fields are plain values and the class adds no validators or serializers, a
``TypedDict`` with the same field types and config validates the rows instead.
Its output is the dict that ``model_dump(exclude_unset=True)`` would give, and
it costs about half as much. Any other schema keeps the model path.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import types
import typing
import uuid
from typing import Annotated, Any, Literal, NotRequired, Required, Union

from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

# Pydantic reads TypedDict from typing only on Python 3.12 and later.
from typing_extensions import TypedDict

# Types whose validated value is also their dumped value in Python mode.
_PLAIN_TYPES: frozenset[Any] = frozenset(
    {
        str,
        int,
        float,
        bool,
        bytes,
        decimal.Decimal,
        datetime.date,
        datetime.datetime,
        datetime.time,
        datetime.timedelta,
        uuid.UUID,
        type(None),
        Any,
        dict,
        list,
    }
)


def _is_plain(annotation: Any) -> bool:
    """Tell whether every type inside ``annotation`` dumps unchanged."""
    if annotation in _PLAIN_TYPES:
        return True
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return True
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return True
    if origin is Annotated:
        return _is_plain(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType, dict, list):
        return all(_is_plain(argument) for argument in typing.get_args(annotation))
    return False


def _is_plain_field(field: FieldInfo) -> bool:
    return (
        field.alias is None
        and field.validation_alias is None
        and field.serialization_alias is None
        and not field.exclude
        and field.discriminator is None
        and _is_plain(field.annotation)
    )


def _has_custom_code(schema: type[BaseModel]) -> bool:
    decorators = schema.__pydantic_decorators__
    return any(
        (
            decorators.validators,
            decorators.field_validators,
            decorators.root_validators,
            decorators.model_validators,
            decorators.field_serializers,
            decorators.model_serializers,
            decorators.computed_fields,
        )
    )


def values_adapter(schema: type[BaseModel]) -> TypeAdapter[list[dict[str, Any]]] | None:
    """Build a validator of a list of row dicts with ``schema``'s fields and config.

    Returns None when the schema needs the model path: a field with an alias, an
    exclusion or a nested model, or any validator, serializer or computed field.
    """
    if _has_custom_code(schema) or not all(
        _is_plain_field(field) for field in schema.model_fields.values()
    ):
        return None
    keys: dict[str, Any] = {}
    for name, field in schema.model_fields.items():
        shape: Any = (
            Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        )
        # A key left out of a row stays out of the output, as exclude_unset leaves it.
        keys[name] = Required[shape] if field.is_required() else NotRequired[shape]
    # mypy checks a TypedDict only when its name and keys are literals, and these come
    # from the schema.
    make_typed_dict: Any = TypedDict
    values = make_typed_dict(f"{schema.__name__}Values", keys)
    values.__pydantic_config__ = schema.model_config
    adapter: TypeAdapter[list[dict[str, Any]]] = TypeAdapter(list[values])  # type: ignore[valid-type]
    return adapter
