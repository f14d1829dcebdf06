"""Batch validation straight to dicts gives what the write schema's models give."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError, field_validator

from zhike.customers.schemas import AccountUpdate, ContactUpdate
from zhike.platform.bulk_schema import values_adapter
from zhike.platform.objects import all_objects
from zhike.platform.schemas import WriteSchema

CONTACT_ROWS: list[dict[str, Any]] = [
    {"name": "  王芳 ", "mobile": "+8613812345678", "custom": {"company": "知客"}},
    {"external_id": "k1", "source": "crm", "birth_date": "1990-05-01", "do_not_contact": "yes"},
    {"account_id": str(uuid.UUID(int=7)), "owner_id": uuid.UUID(int=8), "city": None},
    {},
]
ACCOUNT_ROWS: list[dict[str, Any]] = [
    {"name": "知客科技", "employee_count": "120", "annual_revenue": "1000.50", "currency": "cny"},
    {"founded_year": 1999, "is_churned": "false", "parent_account_id": None},
]
INVALID_ROWS: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (ContactUpdate, {"name": ""}),
    (ContactUpdate, {"name": "x" * 201}),
    (ContactUpdate, {"birth_date": "not a date"}),
    (ContactUpdate, {"unknown": "extra fields are rejected"}),
    (ContactUpdate, {"custom": "not a mapping"}),
    (AccountUpdate, {"employee_count": -1}),
    (AccountUpdate, {"annual_revenue": "1.005"}),
    (AccountUpdate, {"currency": "yuan"}),
]


def _model_path(schema: type[BaseModel], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    models = TypeAdapter(list[schema])  # type: ignore[valid-type]
    dumped: list[dict[str, Any]] = models.dump_python(
        models.validate_python(rows), exclude_unset=True
    )
    return dumped


@pytest.mark.parametrize(
    ("schema", "rows"), [(ContactUpdate, CONTACT_ROWS), (AccountUpdate, ACCOUNT_ROWS)]
)
def test_valid_rows_match_model_dump(schema: type[BaseModel], rows: list[dict[str, Any]]) -> None:
    adapter = values_adapter(schema)
    assert adapter is not None

    values = adapter.validate_python(rows)

    assert values == _model_path(schema, rows)
    assert values[0]["name"] == rows[0]["name"].strip()


def test_converted_types_match_model_dump() -> None:
    adapter = values_adapter(ContactUpdate)
    assert adapter is not None

    (values,) = adapter.validate_python([CONTACT_ROWS[1]])

    assert values["birth_date"] == date(1990, 5, 1)
    assert values["do_not_contact"] is True


@pytest.mark.parametrize(("schema", "row"), INVALID_ROWS)
def test_invalid_rows_rejected_by_both(schema: type[BaseModel], row: dict[str, Any]) -> None:
    adapter = values_adapter(schema)
    assert adapter is not None

    with pytest.raises(ValidationError):
        adapter.validate_python([row])
    with pytest.raises(ValidationError):
        _model_path(schema, [row])


def test_declared_schemas_leave_unset_fields_out() -> None:
    for spec in all_objects():
        adapter = values_adapter(spec.update_schema)
        if adapter is None:
            continue

        assert adapter.validate_python([{}]) == _model_path(spec.update_schema, [{}]), spec.name


class _Validated(WriteSchema):
    code: str | None = None

    @field_validator("code")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class _Nested(WriteSchema):
    child: _Validated | None = None


def test_schemas_needing_the_model_have_no_adapter() -> None:
    assert values_adapter(_Validated) is None
    assert values_adapter(_Nested) is None
