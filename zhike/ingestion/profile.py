"""Mapping profiles: declarative YAML that says how source columns become records.

A profile has ordered steps; each step reads one file into one target object.
Profiles are validated with Pydantic when loaded, so a typo in a key is
reported with its location before any row is read.
"""

from __future__ import annotations

import re
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zhike.core.errors import InvalidInput
from zhike.core.i18n import SUPPORTED_LOCALES
from zhike.platform.models import CLASSIFICATIONS, FIELD_TYPES

CELL_TYPES = ("text", "int", "decimal", "date", "datetime", "bool")
TRANSFORMS = ("strip", "lower", "upper", "slug", "collapse_spaces")
CUSTOM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TEMPLATE_PART = re.compile(r"\{([^{}]+)\}")
ROW_NUMBER_COLUMN = "_row"

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Lookup(BaseModel):
    """Find a related record by a column of it, e.g. an account by its external id."""

    model_config = _STRICT

    object: str = Field(description="table of the related records, e.g. accounts or users")
    by: str = Field(
        default="external_id",
        description="column matched against the cell; for users also email_or_name, which "
        "matches the e-mail or the display name ignoring case and whitespace",
    )
    source: str | None = Field(
        default=None, description="external-id source to match; defaults to the profile's"
    )


class FieldMapping(BaseModel):
    """How one target field gets its value: exactly one of column, columns, template, value."""

    model_config = _STRICT

    column: str | None = None
    columns: list[str] | None = Field(default=None, description="combined with separator")
    separator: str = " "
    template: str | None = Field(default=None, description="text with {column} placeholders")
    value: Any = Field(default=None, description="a constant")
    type: Literal["text", "int", "decimal", "date", "datetime", "bool"] = "text"
    format: str | None = Field(default=None, description="strptime format of dates")
    transforms: list[Literal["strip", "lower", "upper", "slug", "collapse_spaces"]] = []
    map: dict[str, Any] | None = Field(default=None, description="source value -> stored value")
    map_strict: bool = Field(default=False, description="reject values missing from map")
    default: Any = Field(default=None, description="used when the cell is empty")
    required: bool = False
    multiply: Decimal | None = None
    true_values: list[str] | None = None
    false_values: list[str] | None = None
    lookup: Lookup | None = None

    @field_validator("map", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        # YAML reads 1 or yes as numbers and booleans; cells are always compared as text.
        if isinstance(value, dict):
            return {
                (str(key).lower() if isinstance(key, bool) else str(key)): item
                for key, item in value.items()
            }
        return value

    @model_validator(mode="after")
    def _one_source(self) -> FieldMapping:
        given = [
            name for name in ("column", "columns", "template") if getattr(self, name) is not None
        ]
        if self.value is not None:
            given.append("value")
        if len(given) != 1:
            raise ValueError(
                "give exactly one of column, columns, template or value"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self

    def source_columns(self) -> list[str]:
        if self.column is not None:
            return [self.column]
        if self.columns is not None:
            return list(self.columns)
        if self.template is not None:
            return TEMPLATE_PART.findall(self.template)
        return []


class Split(BaseModel):
    """Split one column into several new columns, which fields then map like any other."""

    model_config = _STRICT

    column: str
    into: list[str] = Field(min_length=2)
    separator: str | None = None
    pattern: str | None = Field(
        default=None, description="regular expression with one group per column"
    )

    @model_validator(mode="after")
    def _one_rule(self) -> Split:
        if (self.separator is None) == (self.pattern is None):
            raise ValueError("give exactly one of separator or pattern")
        if self.pattern is not None:
            try:
                compiled = re.compile(self.pattern)
            except re.error as error:
                raise ValueError(f"invalid pattern: {error}") from None
            if compiled.groups != len(self.into):
                raise ValueError(
                    f"pattern has {compiled.groups} groups but into names {len(self.into)} columns"
                )
        return self


class CustomFieldDeclaration(BaseModel):
    """A custom field the profile creates on its target object before importing."""

    model_config = _STRICT

    name: str
    type: str = "text"
    label_zh: str
    label_en: str
    classification: str = "internal"
    choices: list[str] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not CUSTOM_NAME.match(value):
            raise ValueError("use lower-case letters, digits and _ (starting with a letter)")
        return value

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in FIELD_TYPES:
            raise ValueError(f"unknown field type; use one of {', '.join(FIELD_TYPES)}")
        return value

    @field_validator("classification")
    @classmethod
    def _classification(cls, value: str) -> str:
        if value not in CLASSIFICATIONS:
            raise ValueError(f"unknown classification; use one of {', '.join(CLASSIFICATIONS)}")
        return value


class Step(BaseModel):
    """One file imported into one target object."""

    model_config = _STRICT

    name: str
    labels: dict[str, str] = Field(
        default={},
        description="the step's name per locale (zh-CN, en) in the rejects report; a locale "
        "without a label gets name",
    )
    description: str = Field(
        default="",
        description="what the step does, as 中文 / English, shown in the wizard's profile list",
    )
    target: str
    file: str | None = Field(default=None, description="file name inside the source folder")
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    key: str = Field(
        default="external_id", description="column that identifies a record for upserts"
    )
    on_duplicate: Literal["error", "skip"] = Field(
        default="error", description="what a repeated key in the same file does"
    )
    skip_if_empty: list[str] = Field(
        default=[], description="columns whose emptiness makes the row irrelevant to this step"
    )
    splits: list[Split] = []
    fields: dict[str, FieldMapping]
    custom_fields: list[CustomFieldDeclaration] = []

    @field_validator("labels")
    @classmethod
    def _known_locales(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SUPPORTED_LOCALES))
        if unknown:
            raise ValueError(
                f"unknown locale {', '.join(unknown)}; use {', '.join(SUPPORTED_LOCALES)}"
            )
        return value

    @field_validator("fields", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # "name: 客户名称" is short for "name: {column: 客户名称}".
        if isinstance(value, dict):
            return {
                key: {"column": item} if isinstance(item, str) else item
                for key, item in value.items()
            }
        return value

    def required_columns(self) -> list[str]:
        """Columns the file must have, in first-use order; split outputs excluded."""
        produced = {name for split in self.splits for name in split.into}
        produced.add(ROW_NUMBER_COLUMN)
        wanted: list[str] = [split.column for split in self.splits]
        wanted.extend(self.skip_if_empty)
        for mapping in self.fields.values():
            wanted.extend(mapping.source_columns())
        seen: list[str] = []
        for name in wanted:
            if name not in produced and name not in seen:
                seen.append(name)
        return seen


class Profile(BaseModel):
    model_config = _STRICT

    name: str
    description: str = ""
    source: str = Field(description="external-id namespace: re-importing the same source upserts")
    historical: bool = Field(
        default=False,
        description="import as historical data by default, without sales-process stage rules",
    )
    steps: list[Step] = Field(min_length=1)

    def files(self) -> list[str]:
        return sorted({step.file for step in self.steps if step.file})


def shipped_profiles() -> list[str]:
    folder = resources.files("zhike.ingestion").joinpath("profiles")
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def load_profile(name_or_path: str | Path) -> Profile:
    """Load a shipped profile by name, or a YAML file by path."""
    text, label = _read_profile_text(name_or_path)
    return parse_profile(text, label)


def _read_profile_text(name_or_path: str | Path) -> tuple[str, str]:
    candidate = str(name_or_path)
    if candidate in shipped_profiles():
        path = resources.files("zhike.ingestion").joinpath("profiles", f"{candidate}.yaml")
        return path.read_text("utf-8"), candidate
    file = Path(candidate)
    if file.suffix in (".yaml", ".yml") and file.is_file():
        return file.read_text("utf-8"), file.name
    raise InvalidInput(
        "import_unknown_profile", profile=candidate, known=", ".join(shipped_profiles())
    )


def parse_profile(text: str, label: str) -> Profile:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInput("import_profile_yaml", profile=label, reason=str(error)) from None
    try:
        profile = Profile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise InvalidInput(
            "import_profile_invalid", profile=label, location=location, reason=first["msg"]
        ) from None
    from zhike.ingestion.targets import check_profile_targets

    check_profile_targets(profile, label)
    return profile
